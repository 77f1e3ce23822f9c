"""tests/copies_pairs/model.py (an experiment, not wired into bot): pair features, the shipped
logistic weights, their explanation; and the
fit script's pieces (tests/copies_pairs/fit.py). All texts here are authored for the tests."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.dedup_verify import Text, compare, prepare

sys.path.insert(0, str(Path(__file__).parent / "copies_pairs"))
import fit
import model as dedup_model
from model import NAMES, WEIGHTS, copy_probability, features

OLD = """The Ministry of Trade in Seoul said on Monday it would give 300 chip firms grants worth \
2.5 trillion won over five years.
The money comes from a fund that Parliament approved in March, officials at the Ministry said.
Firms that build plants in Yongin or Pyeongtaek will be first in line, according to the plan.
Samsung and Hynix have asked for faster approval of power lines to the new sites.
The plan also funds 40 training centres for engineers by 2027.
Critics in the Democratic Party said the grants favour large groups over small suppliers."""

# the same article reworded sentence by sentence: same facts, same order
REWORDED = """On Monday the Ministry of Trade in Seoul said it would hand 300 chip companies \
grants worth 2.5 trillion won across five years.
Officials at the Ministry said the money comes out of a fund Parliament approved in March.
According to the plan, companies building plants in Yongin or Pyeongtaek will be first in line.
Samsung and Hynix asked for quicker approval of power lines to the new sites.
By 2027 the plan also funds 40 engineer training centres.
Critics in the Democratic Party said the grants favour big groups over small suppliers."""

# the same kind of story (a template) with other numbers and names
OTHER_FACTS = """The Ministry of Economy in Tokyo said on Friday it would lend 45 battery makers \
800 billion yen over three years.
The loans come from a budget the Diet passed in January, an official in Tokyo said.
Makers that open plants in Kumamoto or Hokkaido will be served first, the ministry said.
Panasonic and Toyota have asked for cheaper land near the new ports.
The scheme also pays for 12 research labs by 2029.
Opposition lawmakers in the Constitutional Democratic Party said the loans come too late."""

GERMAN = """Die Regierung in Berlin will den Bau neuer Fabriken für Halbleiter mit Milliarden \
fördern. Das Ministerium für Wirtschaft nannte am Montag keine Summe. Die Länder Sachsen und \
Bayern hoffen auf neue Werke."""


def _pair(new: str, old: str = OLD) -> tuple[Text, Text, dict[str, float]]:
    q, c = prepare("", new), prepare("", old)
    v = compare(q, c)
    assert v is not None
    return q, c, v.scores


def share(k: int, n: int) -> float:
    return (k + 1) / (n + 2)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        # numbers 300, 2.5, 40, 2027 on both sides; 11 names on both sides (counted by hand:
        # ministry trade seoul monday parliament march yongin pyeongtaek hynix democratic
        # party); all 6 sentences matched in order, the lead included
        (
            REWORDED,
            {
                "numbers_kept": share(4, 4),
                "numbers_back": share(4, 4),
                "names_kept": share(11, 11),
                "names_back": share(11, 11),
                "in_order": 1.0,
                "old_matched": 1.0,
                "lead": 1.0,
            },
        ),
        # numbers 45, 800, 12, 2029: none in the old text; of its 12 names only ministry,
        # democratic and party are the old text's 11; another lead
        (
            OTHER_FACTS,
            {
                "numbers_kept": share(0, 4),
                "numbers_back": share(0, 4),
                "names_kept": share(3, 12),
                "names_back": share(3, 11),
                "lead": 0.0,
                "old_covered": 0.0,
            },
        ),
    ],
)
def test_features_are_the_documented_shares(new: str, expected: dict[str, float]) -> None:
    q, c, scores = _pair(new)
    x = features(q, c, scores)
    assert set(x) == set(NAMES)
    for name, value in expected.items():
        assert x[name] == pytest.approx(value), name
    assert x["words_kept"] == pytest.approx(len(q.words & c.words) / len(q.words))
    assert x["words_back"] == pytest.approx(len(q.words & c.words) / len(c.words))
    assert x["length_ratio"] == pytest.approx(min(q.tokens, c.tokens) / max(q.tokens, c.tokens))
    assert all(0.0 <= v <= 1.0 for v in x.values())


def test_names_are_neutral_where_capitals_mark_nouns() -> None:
    """German capitalises every noun: there names are no facts, and the name features read
    0.5 even against an English text full of names (a translation keeps no English name)."""
    q, c, scores = _pair(GERMAN, OLD)
    assert not q.proper and c.proper and c.names
    x = features(q, c, scores)
    assert x["names_kept"] == x["names_back"] == 0.5


def test_the_shipped_weights_cover_every_feature() -> None:
    assert list(WEIGHTS) == list(NAMES)
    assert all(scale > 0 for _, scale, _ in WEIGHTS.values())
    assert any(weight != 0 for _, _, weight in WEIGHTS.values())  # fitted, not the placeholder


def test_a_reworded_copy_with_the_same_facts_scores_high_and_says_why() -> None:
    p, why = copy_probability(*_pair(REWORDED))
    assert p >= 0.8
    assert "keeps 4 of its 4 numbers" in why
    assert "6 of its 6 sentences in the earlier order" in why


def test_a_same_topic_story_with_other_facts_scores_low_and_says_why() -> None:
    p, why = copy_probability(*_pair(OTHER_FACTS))
    assert p <= 0.2
    assert "keeps 0 of its 4 numbers" in why


def test_the_explanation_names_the_features_that_pushed_most() -> None:
    x = features(*_pair(REWORDED))
    p, pushes = dedup_model.probability(x)
    z = dedup_model.INTERCEPT + sum(push for _, push in pushes)
    assert p == pytest.approx(1 / (1 + math.exp(-z)))
    assert [push for _, push in pushes] == sorted((push for _, push in pushes), reverse=True)


# ------------------------------------------------------------------ tests/copies_pairs/fit.py


def test_fit_recovers_the_weights_of_a_known_logistic_model() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4000, 2))
    truth = np.array([-0.5, 2.0, -1.0])
    y = (rng.random(4000) < 1 / (1 + np.exp(-(truth[0] + x @ truth[1:])))).astype(float)
    w = fit.fit(x, y, l2=0.01)
    assert w == pytest.approx(truth, abs=0.2)


def test_pairs_sharing_a_source_article_fall_in_one_fold() -> None:
    pairs = [
        {"a": {"src": "web:w1#a"}, "b": {"src": "web:w1#b"}},  # a web pair: one article
        {"a": {"src": "bbc:tech/1"}, "b": {"src": "bbc:tech/1"}},  # a copy of tech/1
        {"a": {"src": "bbc:tech/1"}, "b": {"src": "bbc:tech/2"}},  # a follow-up from tech/2
        {"a": {"src": "bbc:tech/2"}, "b": {"src": "bbc:tech/2"}},  # tech/2's own copy
        {"a": {"src": "bbc:tech/3"}, "b": {"src": "bbc:tech/3"}},
    ]
    gs = fit.groups(pairs)
    assert gs[1] == gs[2] == gs[3]
    assert len({gs[0], gs[1], gs[4]}) == 3
    folds = fit.assign_folds(gs * 3, k=2)  # each group three times over
    for g in set(gs):
        assert len({f for f, h in zip(folds, gs * 3, strict=True) if h == g}) == 1


def test_write_rewrites_only_the_fitted_block(tmp_path: Path) -> None:
    source = Path(dedup_model.__file__).read_text(encoding="utf-8")
    target = tmp_path / "dedup_model.py"
    target.write_text(source, encoding="utf-8")
    n = len(NAMES)
    fit.write(np.arange(n + 1) / 10, np.full(n, 0.5), np.full(n, 0.25), target)
    written = target.read_text(encoding="utf-8")
    assert "INTERCEPT = 0.0000" in written
    assert f'    "{NAMES[-1]}": (0.5000, 0.2500, {n / 10:.4f}),' in written
    head = source.index("# --- written by")
    tail = source.index("# --- end of fitted weights ---")
    assert written.startswith(source[:head])
    assert written.endswith(source[tail:])
