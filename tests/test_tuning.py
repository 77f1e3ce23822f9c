"""Per-channel thresholds from votes (bot.tuning): bounded, only with enough votes, reversible."""

from __future__ import annotations

import pytest

from bot.tuning import Policy, TuningVote, passes, tune

POLICY = Policy(min_votes=4, max_raise=0.25, miss_cost=2.0)


def votes(*stories: tuple[float, int, int], channel: str = "C1", tag: str = "ai") -> list:
    """(score, 👍, 👎) per story."""
    return [
        TuningVote(channel, tag, score, f"s{n}", up, down)
        for n, (score, up, down) in enumerate(stories)
    ]


@pytest.mark.parametrize(
    ("stories", "expected"),
    [
        # too few voted stories: nothing changes, however one-sided they are
        ([(0.55, 0, 1), (0.56, 0, 1), (0.9, 1, 0)], 0.5),
        # weak stories voted down, strong ones up: just above the strongest bad one
        ([(0.55, 0, 2), (0.6, 0, 1), (0.8, 1, 0), (0.9, 3, 0)], 0.601),
        # a relevant story among the weak ones costs twice a bad one kept: stay lower
        ([(0.55, 0, 1), (0.6, 1, 0), (0.62, 0, 1), (0.9, 1, 0)], 0.551),
        # everything relevant: the floor
        ([(0.55, 1, 0), (0.6, 1, 0), (0.62, 1, 0), (0.9, 1, 0)], 0.5),
        # bad stories everywhere: never above floor + max_raise (0.75), so 0.8+ still alert
        ([(0.7, 0, 1), (0.8, 0, 1), (0.9, 0, 1), (0.95, 0, 1)], 0.701),
        # ties (one 👍, one 👎) do not count as voted stories
        ([(0.55, 1, 1), (0.6, 0, 1), (0.62, 0, 1), (0.9, 1, 0)], 0.5),
    ],
)
def test_threshold_from_votes(stories: list, expected: float) -> None:
    tuned = tune(votes(*stories), {"ai": 0.5}, POLICY)[("C1", "ai")]
    assert tuned.threshold == pytest.approx(expected)
    assert tuned.threshold >= tuned.floor == 0.5


def test_channels_and_tags_are_tuned_apart() -> None:
    bad = [(0.55, 0, 1), (0.56, 0, 1), (0.57, 0, 1), (0.58, 0, 1)]
    tuned = tune(
        votes(*bad, channel="C1") + votes(*bad, channel="C2", tag="industrial-policy"),
        {"ai": 0.5, "industrial-policy": 0.4},
        POLICY,
    )
    assert set(tuned) == {("C1", "ai"), ("C2", "industrial-policy")}
    assert tuned[("C1", "ai")].threshold == pytest.approx(0.581)
    assert tuned[("C2", "industrial-policy")].threshold == pytest.approx(0.581)
    assert passes(tuned, "C1", "ai", 0.59) and not passes(tuned, "C1", "ai", 0.58)
    assert passes(tuned, "C2", "ai", 0.51)  # no votes there: untouched
    assert passes(tuned, "C3", "industrial-policy", 0.41)


def test_description_says_what_the_votes_did() -> None:
    few = tune(votes((0.55, 0, 1)), {"ai": 0.5}, POLICY)[("C1", "ai")]
    assert few.describe() == "ai: threshold 0.50 (untuned: 1 of 4 voted stories needed)"
    many = tune(votes((0.55, 0, 1), (0.6, 0, 1), (0.8, 1, 0), (0.9, 1, 0)), {"ai": 0.5}, POLICY)[
        ("C1", "ai")
    ]
    assert many.raised
    assert many.describe() == (
        "ai: threshold 0.60, raised from 0.50 by votes on 4 stories (2 👍 / 2 👎; at most 0.75)"
    )
