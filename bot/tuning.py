"""Per-channel tag thresholds learned from the team's 👍/👎 votes: `tune(votes, policy)`.

A tag's score must reach its threshold for a story to carry the tag at all (the taxonomy's
`threshold`, or `tag_thresholds` in the config): that is the floor, and tuning never goes below
it. What the votes can show is that a channel does not want the weaker stories of a tag, so
tuning only ever raises a channel's threshold for a tag, within visible bounds:

1. Each voted story counts once per channel and tag it carries: relevant when its 👍 outnumber
   its 👎, not relevant when the 👎 do, ignored on a tie.
2. Nothing changes before `min_votes` such stories are counted for that channel and tag.
3. The new threshold is the candidate (the floor, or just above a voted story's score) that
   costs least, where a not-relevant story still alerted costs 1 and a relevant story no
   longer alerted costs `miss_cost` (default 2: when unsure, alert); ties go to the lowest.
4. It never exceeds `floor + max_raise` (nor 1.0).

Votes cast before a channel's `/hubnews feedback reset` do not count (`bot.store.sqlite.feedback`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STEP = 0.001  # "just above" a score: scores are stored with 3 decimals


@dataclass(frozen=True, slots=True)
class TuningVote:
    """One story's standing in one channel for one of its tags: net votes and the tag's score."""

    channel: str
    tag: str
    score: float
    story_key: str
    relevant: int
    not_relevant: int


@dataclass(frozen=True, slots=True)
class Policy:
    min_votes: int = 10
    max_raise: float = 0.25
    miss_cost: float = 2.0


@dataclass(frozen=True, slots=True)
class Tuned:
    """One channel's threshold for one tag and what it rests on."""

    channel: str
    tag: str
    floor: float
    threshold: float
    relevant: int
    not_relevant: int
    policy: Policy

    @property
    def counted(self) -> int:
        return self.relevant + self.not_relevant

    @property
    def raised(self) -> bool:
        return self.threshold > self.floor

    def describe(self) -> str:
        if self.counted < self.policy.min_votes:
            return (
                f"{self.tag}: threshold {self.floor:.2f} (untuned: {self.counted} of "
                f"{self.policy.min_votes} voted stories needed)"
            )
        if not self.raised:
            return (
                f"{self.tag}: threshold {self.floor:.2f} (votes on {self.counted} stories, "
                f"{self.relevant} 👍 / {self.not_relevant} 👎: kept)"
            )
        return (
            f"{self.tag}: threshold {self.threshold:.2f}, raised from {self.floor:.2f} by votes "
            f"on {self.counted} stories ({self.relevant} 👍 / {self.not_relevant} 👎; "
            f"at most {min(1.0, self.floor + self.policy.max_raise):.2f})"
        )


Thresholds = Mapping[tuple[str, str], Tuned]


def tune(
    votes: Iterable[TuningVote], floors: Mapping[str, float], policy: Policy = Policy()
) -> dict[tuple[str, str], Tuned]:
    """(channel, tag) -> Tuned, for every channel and tag with at least one counted vote."""
    stories: dict[tuple[str, str], list[tuple[float, bool]]] = defaultdict(list)
    for vote in votes:
        if vote.relevant != vote.not_relevant:
            stories[(vote.channel, vote.tag)].append(
                (vote.score, vote.relevant > vote.not_relevant)
            )
    result = {}
    for (channel, tag), voted in stories.items():
        floor = floors.get(tag, 0.5)
        good = sum(1 for _, relevant in voted if relevant)
        threshold = floor
        if len(voted) >= policy.min_votes:
            threshold = _best(voted, floor, min(1.0, floor + policy.max_raise), policy.miss_cost)
        result[(channel, tag)] = Tuned(
            channel, tag, floor, threshold, good, len(voted) - good, policy
        )
    return result


def tune_for(
    votes: Iterable[TuningVote],
    taxonomy_thresholds: Mapping[str, float],
    tag_thresholds: Mapping[str, float],
    policy: Policy | None = None,
) -> dict[tuple[str, str], Tuned]:
    """`tune` with the floors a deployment uses: the taxonomy's, overridden by the config's."""
    return tune(votes, {**taxonomy_thresholds, **tag_thresholds}, policy or Policy())


def _best(voted: list[tuple[float, bool]], floor: float, ceiling: float, miss: float) -> float:
    candidates = sorted({floor} | {round(s + STEP, 3) for s, _ in voted if floor < s + STEP})
    best, best_cost = floor, float("inf")
    for threshold in candidates:
        if threshold > ceiling:
            break
        cost = sum(
            (miss if relevant else 0.0) if score < threshold else (0.0 if relevant else 1.0)
            for score, relevant in voted
        )
        if cost < best_cost:
            best, best_cost = threshold, cost
    return best


def passes(tuned: Thresholds, channel: str, tag: str, score: float) -> bool:
    """Does a tag with `score` still count for `channel` after tuning?"""
    entry = tuned.get((channel, tag))
    return entry is None or score >= entry.threshold
