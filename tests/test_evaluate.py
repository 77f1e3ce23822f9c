"""evaluate: the real-text web set (train / locked test), per-language reports, tag coverage.

The web set (../shared/corpus/web/labelled-web.jsonl) is third-party text: it is read in place
through the `corpus` fixture and these tests skip when it is absent. Its split is fixed once
(tests/classify_devset/web-split.json, ids only). The rules are tuned on `train` only; `test` is
LOCKED: scored once per change, never tuned on. The floors below sit a little under the figure
measured on `test` (docs/BENCHMARKS.md, "Tags (tags-2)") so that they catch a regression.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bot.classify import Taxonomy, load_taxonomy
from bot.cli import main
from bot.evaluate import WEB_SET, WEB_SPLIT, by_language, load_devset, load_web, web_split

DEVSET = Path(__file__).parent / "classify_devset"
PAIR = ("ai", "industrial-policy")
MIN_EXAMPLES = 30

# Floors on the LOCKED test split (measured figure - a small margin; never lowered silently).
FLOORS = {
    ("en", "pair"): 0.90,  # measured 0.913
    ("non-en", "pair"): 0.89,  # measured 0.906
    ("all", "semiconductors"): 0.90,  # measured 0.925
    ("all", "export-controls"): 0.86,  # measured 0.875
}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def test_the_committed_split_is_the_rule_applied_once(corpus: Path) -> None:
    rows = [json.loads(line) for line in (corpus / WEB_SET).read_text().splitlines()]
    ids_by_lang: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        ids_by_lang[row["lang"]].append(row["id"])
    committed = json.loads(WEB_SPLIT.read_text())
    assert {k: committed[k] for k in ("train", "test")} == web_split(ids_by_lang)
    assert not set(committed["train"]) & set(committed["test"])
    assert len(committed["train"]) + len(committed["test"]) == len(rows)
    # ids only: no third-party text in the repository
    assert set(committed) == {"set", "rule", "train", "test"}


def test_split_is_stratified_by_language(corpus: Path) -> None:
    train, _ = load_web(corpus, "train")
    test, _ = load_web(corpus, "test")
    a, b = Counter(i.lang for i in train), Counter(i.lang for i in test)
    assert set(a) == set(b) and len(a) == 10
    assert all(abs(a[lang] - b[lang]) <= 1 for lang in a)


def test_web_set_is_skipped_with_a_reason_without_the_corpus(tmp_path: Path) -> None:
    items, skipped = load_web(tmp_path)
    assert not items and "absent" in skipped[0]


def test_every_taxonomy_tag_has_enough_labelled_examples(corpus: Path, taxonomy: Taxonomy) -> None:
    devset, _ = load_devset(DEVSET, corpus)
    web, _ = load_web(corpus)
    counts = Counter(tag for item in [*devset, *web] for tag in item.labels)
    thin = {t: counts[t] for t in taxonomy.tags if counts[t] < MIN_EXAMPLES}
    assert not thin, f"taxonomy tags with fewer than {MIN_EXAMPLES} labelled examples: {thin}"


def test_reports_cover_english_other_languages_and_each_language(
    corpus: Path, taxonomy: Taxonomy
) -> None:
    items, _ = load_web(corpus, "train")
    reports = by_language(items, taxonomy)
    assert {"all", "en", "non-en", "de", "fr", "ja", "ko", "zh-Hans", "zh-Hant"} <= set(reports)
    assert reports["en"].items + reports["non-en"].items == reports["all"].items == len(items)
    assert set(reports["all"].tags) == set(taxonomy.tags)  # tags come from the taxonomy


def test_locked_test_split_stays_above_its_floors(corpus: Path, taxonomy: Taxonomy) -> None:
    # LOCKED split: scored once per change; nothing is tuned on it (tune on "train").
    items, _ = load_web(corpus, "test")
    reports = by_language(items, taxonomy)
    measured = {
        (name, what): (
            reports[name].macro_over(PAIR) if what == "pair" else reports[name].tags[what].f1
        )
        for name, what in FLOORS
    }
    low = {k: round(v, 3) for k, v in measured.items() if v < FLOORS[k]}
    assert not low, {
        "below floor": low,
        "misses": {
            t: [c.id for c in r.false_negatives] + [c.id for c in r.false_positives]
            for t, r in reports["all"].tags.items()
        },
    }


def test_eval_cli_scores_the_web_set_per_language(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--set", "web", "--split", "train", "--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "web train" in out and "by language" in out
    for name in ("semiconductors", "export-controls", "non-en", "zh-Hant"):
        assert name in out


def test_eval_cli_rejects_an_unknown_tag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--tags", "ai,crypto", "--devset", str(DEVSET)]) != 0
    assert "crypto" in capsys.readouterr().err
