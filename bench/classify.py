"""Benchmark classify + summarize against a plain keyword list, and measure dev-set macro-F1.

    python bench/classify.py [--corpus ../shared/corpus] [--write docs/BENCHMARKS-classify.md]

Timing: every one of the 2,225 BBC articles (corpus/articles/bbc.jsonl, read in place: its text
may not be copied into the repo), one story at a time, in one process: median and p95 per story
for classify + summarize, each alone, and the baseline (one case-insensitive regex per tag over
title + text: any keyword hit = tag). Quality: macro-F1 over ai + industrial-policy on the dev
set (tests/classify_devset) for the rules, the baseline and ablations of the rules (what each
part contributes). Prints Markdown; --write also saves it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.classify import Target, Taxonomy, classify, load_taxonomy  # noqa: E402
from bot.evaluate import DEFAULT_TAGS, Labelled, load_devset  # noqa: E402
from bot.story import Source, Story  # noqa: E402
from bot.summarize import summarize  # noqa: E402

BASELINE = {
    "ai": [
        "artificial intelligence",
        "AI",
        "A.I.",
        "machine learning",
        "deep learning",
        "neural network",
        "chatbot",
        "ChatGPT",
        "OpenAI",
        "language model",
        "self-driving",
        "driverless",
        "autonomous driving",
        "autonomous vehicle",
        "robotaxi",
        "facial recognition",
        "generative AI",
    ],
    "industrial-policy": [
        "industrial policy",
        "subsidy",
        "subsidies",
        "subsidise",
        "state aid",
        "tariff",
        "tariffs",
        "anti-subsidy",
        "anti-dumping",
        "export controls",
        "export control",
        "entity list",
        "blacklist",
        "chips act",
        "five-year plan",
        "national plan",
        "national strategy",
        "pilot zone",
        "incentives",
        "grants",
        "state fund",
        "state-backed",
        "export ban",
    ],
}


NOTES = [
    "Notes:",
    "- Target: classify + summarize <= 1 ms median per story; macro-F1 >= 0.93 held out.",
    "- Baseline = the BASELINE keyword lists in this script, one case-insensitive regex per tag "
    "over title + text; any hit = tag.",
    "- Ablations switch one part of the rules off: combos (cue groups that must co-occur, e.g. "
    "a steering instrument + a technology sector), negative cues, the entity/alias table, "
    "fuzzy alias matching. The dev set has few misspelt names, so fuzzy matching shows no F1 "
    "gain here; tests/test_classify.py covers it directly.",
    "- Dev-set caveat: the same team wrote the items and the rules, so the held-out figure "
    "flatters them. Better estimate of fresh data: five batches written after tuning, each "
    "scored once before any rule change (first-run macro-F1 / industrial-policy F1): batch 2 "
    "(40 items) 0.907 / 0.815, batch 3 (50) 0.907 / 0.865, batch 4 (39) 0.833 / 0.667, "
    "batch 5 (40) 0.897 / 0.857, batch 6 (35) 0.913 / 0.870; ai F1 was 0.94-1.00 "
    "throughout. Misses were vocabulary the rules lacked (e.g. 'duties', 'scheme', 'memory "
    "maker', 'premier', 'revokes licences'); after each batch the rules were widened and the "
    "batch joined the held-out split (written-b2..b6). Expect about 0.90 on fresh text, "
    "industrial-policy recall being the weak side.",
    "- Learned component, measured and not added: a logistic regression over title/lede word "
    "1-2-grams (pure Python, trained on the other 362 items) scored macro-F1 0.808 alone on "
    "batch 5; rules OR model (p >= 0.7) scored 0.935 vs 0.897 for rules alone (1-2 items of "
    "40), but its strongest industrial-policy features were 'ministry', 'us', 'state', "
    "'chinese' (the dev set's topic mix, not policy) and it tagged 8 BBC articles the rules "
    "do not (e.g. 'Chinese wine tempts Italy's Illva'). An earlier scikit-learn hashed-n-gram "
    "model did not beat the rules either. Revisit with a larger labelled set (e.g. the "
    "team's feedback verdicts).",
]


def baseline_tagger() -> Callable[[Story], list[str]]:
    patterns = {
        tag: re.compile(r"\b(" + "|".join(re.escape(k) for k in words) + r")\b", re.IGNORECASE)
        for tag, words in BASELINE.items()
    }

    def tag(story: Story) -> list[str]:
        text = f"{story.title}\n{story.body}"
        return [t for t, p in patterns.items() if p.search(text)]

    return tag


def bbc_stories(corpus: Path) -> list[Story]:
    stories = []
    with (corpus / "articles" / "bbc.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            a = json.loads(line)
            stories.append(
                Story(
                    key=a["id"],
                    url="",
                    title=a["title"],
                    source=Source("bbc", "BBC News", "bbc.co.uk"),
                    published=None,
                    content=a["body"],
                )
            )
    return stories


def timings(
    stories: list[Story], work: Callable[[Story], object], rounds: int = 3
) -> tuple[float, float]:
    """(median, p95) seconds per story; each story timed `rounds` times, its best kept."""
    per_story = []
    for story in stories:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            work(story)
            best = min(best, time.perf_counter() - start)
        per_story.append(best)
    per_story.sort()
    return statistics.median(per_story), per_story[int(len(per_story) * 0.95)]


def macro_f1(items: Iterable[Labelled], predict: Callable[[Story], Iterable[str]]) -> float:
    counts = {t: [0, 0, 0] for t in DEFAULT_TAGS}  # tp, fp, fn
    for item in items:
        got = set(predict(item.story))
        for tag in DEFAULT_TAGS:
            if tag in got and tag in item.labels:
                counts[tag][0] += 1
            elif tag in got:
                counts[tag][1] += 1
            elif tag in item.labels:
                counts[tag][2] += 1
    f1s = [2 * tp / (2 * tp + fp + fn) if tp else 0.0 for tp, fp, fn in counts.values()]
    return sum(f1s) / len(f1s)


def without(
    tax: Taxonomy,
    kinds: frozenset[str] = frozenset(),
    combos: bool = True,
    fuzzy: bool = True,
    entities: bool = True,
) -> Taxonomy:
    """The taxonomy with some parts switched off (for the ablation table)."""
    names = {t.rule for entries in tax.fuzzy.values() for e in entries for t in e[3]}

    def keep(targets: tuple[Target, ...]) -> tuple[Target, ...]:
        return tuple(
            t
            for t in targets
            if t.kind not in kinds and (entities or t.rule not in names or t.kind == "group")
        )

    words = {k: tuple((rest, keep(ts)) for rest, ts in v) for k, v in tax.words.items()}
    return dataclasses.replace(
        tax,
        words=words,
        acronyms={k: keep(v) for k, v in tax.acronyms.items()},
        cjk=tuple((p, keep(ts)) for p, ts in tax.cjk),
        combos=tax.combos if combos else {},
        fuzzy=tax.fuzzy if fuzzy and entities else {},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    if not (args.corpus / "articles" / "bbc.jsonl").is_file():
        sys.exit(f"no BBC articles under {args.corpus}: pass --corpus PATH")
    tax = load_taxonomy()
    stories = bbc_stories(args.corpus)
    base = baseline_tagger()
    for story in stories[:200]:  # warm-up: memo tables, regex caches
        classify(story, tax)
        summarize(story)
    rows = {
        "classify + summarize": timings(stories, lambda s: (classify(s, tax), summarize(s))),
        "classify": timings(stories, lambda s: classify(s, tax)),
        "summarize": timings(stories, summarize),
        "baseline keyword list": timings(stories, base),
    }
    items, skipped = load_devset(ROOT / "tests" / "classify_devset", args.corpus)
    heldout = [i for i in items if i.split == "heldout"]

    def rules(t: Taxonomy) -> Callable[[Story], list[str]]:
        return lambda s: [tag.id for tag in classify(s, t)]

    variants = {
        "rules (full taxonomy)": rules(tax),
        "baseline keyword list": base,
        "rules without combos (phrases + entities + negatives)": rules(without(tax, combos=False)),
        "rules without negative cues": rules(without(tax, frozenset({"neg"}))),
        "rules without entities (alias table)": rules(without(tax, entities=False)),
        "rules without fuzzy aliases": rules(without(tax, fuzzy=False)),
    }
    quality = {name: (macro_f1(heldout, f), macro_f1(items, f)) for name, f in variants.items()}
    print(report(rows, quality, len(stories), len(items), len(heldout), skipped, args.write))


def report(
    rows: dict[str, tuple[float, float]],
    quality: dict[str, tuple[float, float]],
    n: int,
    n_items: int,
    n_heldout: int,
    skipped: tuple[str, ...],
    out: Path | None,
) -> str:
    base_median, _base_p95 = rows["baseline keyword list"]
    lines = [
        "# Benchmarks: classify + summarize",
        "",
        f"Command: `python bench/classify.py` · Python {platform.python_version()} · "
        f"{platform.machine()} · {n} BBC articles (corpus/articles/bbc.jsonl), one story at a "
        "time, best of 3 runs per story.",
        "",
        "| work per story | median (ms) | p95 (ms) | median / baseline |",
        "|---|---:|---:|---:|",
    ]
    for name, (median, p95) in rows.items():
        lines.append(
            f"| {name} | {median * 1e3:.3f} | {p95 * 1e3:.3f} | {median / base_median:.1f}x |"
        )
    lines += [
        "",
        f"Dev set: {n_items} items ({n_heldout} held out); macro-F1 over "
        "ai + industrial-policy." + (f" Skipped: {'; '.join(skipped)}." if skipped else ""),
        "",
        "| tagger | macro-F1 held-out | macro-F1 all |",
        "|---|---:|---:|",
    ]
    for name, (held, every) in quality.items():
        lines.append(f"| {name} | {held:.3f} | {every:.3f} |")
    lines += ["", *NOTES]
    text = "\n".join(lines) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    main()
