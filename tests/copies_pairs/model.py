"""A small logistic model of "same article" on interpretable pair features.

`bot.dedup_verify.compare` decides with hand rules; a pair none of them folds and that has no
correction, changed figure or swapped facts reaches its last verdict ("new"). There
`copy_probability(q, c, scores)` weighs how much of the two texts' facts, words and sentence
order agree and says how likely the pair is one article reworded (a press release or agency
story rewritten, a write-through). The features (each in [0, 1]):

    numbers_kept   share of the new text's numbers found in the old one (smoothed: (k+1)/(n+2),
    numbers_back   ... and of the old text's in the new one      so no numbers reads 0.5)
    names_kept     share of the new text's names in the old one, and back (names count only
    names_back     when capitals mark names in both texts, not German nouns; else 0.5)
    words_kept     share of the new text's words in the old one, and back
    words_back
    in_order       share of the new text's sentences saying what an old sentence says (word
                   Dice >= aligned_match), in the old order
    old_matched    share of the old text's sentences so matched
    lead           1 when the new lead says what an old sentence says (Dice >= aligned_lead)
    old_covered    share of the old text (tokens) whose sentences are shared verbatim-ish
    length_ratio   shorter / longer, in tokens

`WEIGHTS` (standardised: per feature its train mean, scale and weight) and `INTERCEPT` are
written by `fit.py --write` from the `train` split (L2 logistic regression,
Newton steps, fitted on every train pair); nothing is fitted at run time. The explanation
names the features that pushed the probability the most, with their counts.

Status: an experiment kept under tests/, NOT wired into `compare`. Grouped 5-fold
cross-validation on `train` (fit.py) found no
threshold at which "rules OR model" folds one more copy before it folds new news: the copies
the rules miss (heavy rewordings of press releases and agency stories, a translation) rank
below follow-ups and two outlets' own reports of one event whatever the fitting population,
and 5 of the 9 never reach `compare` (bot.dedup's candidate gate stops them). Kept so the
experiment can be re-run as the pair set grows: `python tests/copies_pairs/fit.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.dedup_verify import Text

NAMES = (
    "numbers_kept",
    "numbers_back",
    "names_kept",
    "names_back",
    "words_kept",
    "words_back",
    "in_order",
    "old_matched",
    "lead",
    "old_covered",
    "length_ratio",
)

# --- written by tests/copies_pairs/fit.py --write (train split only) ---
INTERCEPT = 0.0017
WEIGHTS: dict[str, tuple[float, float, float]] = {  # name: (mean, scale, weight)
    "numbers_kept": (0.6303, 0.2428, 0.6556),
    "numbers_back": (0.5980, 0.2693, 0.2263),
    "names_kept": (0.7014, 0.2814, -0.0315),
    "names_back": (0.6589, 0.3180, 0.4564),
    "words_kept": (0.7708, 0.2712, 0.4443),
    "words_back": (0.7136, 0.3298, 0.4254),
    "in_order": (0.6877, 0.3563, 0.4794),
    "old_matched": (0.6724, 0.3861, 0.3522),
    "lead": (0.6038, 0.4891, 0.9620),
    "old_covered": (0.6353, 0.4151, 0.3563),
    "length_ratio": (0.7552, 0.3151, -1.3611),
}
# --- end of fitted weights ---


def _share(k: int, n: int) -> float:
    return (k + 1) / (n + 2)


def measure(q: Text, c: Text, scores: Mapping[str, float]) -> dict[str, int | float]:
    """The counts the features are made of (the explanation reads them too)."""
    from bot.dedup_verify import RULES, _in_order

    names = q.proper and c.proper
    q_names, c_names = (q.names, c.names) if names else (frozenset(), frozenset())
    in_order, matched, lead = _in_order(q, c, RULES["aligned_match"], RULES["aligned_lead"])
    both_words = len(q.words & c.words)
    return {
        "numbers": len(q.numbers),
        "numbers_kept": len(q.numbers & c.numbers),
        "old_numbers": len(c.numbers),
        "names_proper": int(names),
        "names": len(q_names),
        "names_kept": len(q_names & c_names),
        "old_names": len(c_names),
        "words": len(q.words),
        "old_words": len(c.words),
        "words_both": both_words,
        "sentences": len(q.sentences),
        "old_sentences": len(c.sentences),
        "in_order": in_order,
        "old_matched": matched,
        "lead": int(lead),
        "old_covered": float(scores.get("old_covered", 0.0)),
        "tokens": q.tokens,
        "old_tokens": c.tokens,
    }


def features_of(m: Mapping[str, int | float]) -> dict[str, float]:
    """Features from `measure`'s counts."""
    return {
        "numbers_kept": _share(int(m["numbers_kept"]), int(m["numbers"])),
        "numbers_back": _share(int(m["numbers_kept"]), int(m["old_numbers"])),
        "names_kept": _share(int(m["names_kept"]), int(m["names"])),  # no names (not counted
        "names_back": _share(int(m["names_kept"]), int(m["old_names"])),  # in German): 0.5
        "words_kept": m["words_both"] / max(1, m["words"]),
        "words_back": m["words_both"] / max(1, m["old_words"]),
        "in_order": m["in_order"] / max(1, m["sentences"]),
        "old_matched": m["old_matched"] / max(1, m["old_sentences"]),
        "lead": float(m["lead"]),
        "old_covered": float(m["old_covered"]),
        "length_ratio": min(m["tokens"], m["old_tokens"]) / max(1, m["tokens"], m["old_tokens"]),
    }


def features(q: Text, c: Text, scores: Mapping[str, float]) -> dict[str, float]:
    """The pair's features (see the module docstring), each in [0, 1]."""
    return features_of(measure(q, c, scores))


def _say(name: str, m: Mapping[str, int | float]) -> str:
    """One feature in words, with its counts."""
    if name in ("numbers_kept", "numbers_back"):
        return (
            f"keeps {m['numbers_kept']} of its {m['numbers']} numbers"
            if name == "numbers_kept"
            else f"has {m['numbers_kept']} of the earlier story's {m['old_numbers']} numbers"
        )
    if name in ("names_kept", "names_back"):
        return (
            f"keeps {m['names_kept']} of its {m['names']} names"
            if name == "names_kept"
            else f"has {m['names_kept']} of the earlier story's {m['old_names']} names"
        )
    if name == "words_kept":
        return f"{m['words_both'] / max(1, m['words']):.0%} of its words are the earlier story's"
    if name == "words_back":
        return (
            f"it uses {m['words_both'] / max(1, m['old_words']):.0%} of the earlier story's words"
        )
    if name == "in_order":
        return f"{m['in_order']} of its {m['sentences']} sentences in the earlier order"
    if name == "old_matched":
        return f"{m['old_matched']} of the earlier story's {m['old_sentences']} sentences matched"
    if name == "lead":
        return "the same lead" if m["lead"] else "another lead"
    if name == "old_covered":
        return f"{m['old_covered']:.0%} of the earlier story shared"
    short, long = sorted((int(m["tokens"]), int(m["old_tokens"])))
    return f"one text is {short / max(1, long):.0%} as long as the other ({short} and {long} words)"


def probability(x: Mapping[str, float]) -> tuple[float, list[tuple[str, float]]]:
    """P(copy) for features `x`, and each feature's push (weight x standardised value),
    largest push towards the verdict first."""
    pushes = [
        (name, weight * (x[name] - mean) / scale) for name, (mean, scale, weight) in WEIGHTS.items()
    ]
    z = INTERCEPT + sum(p for _, p in pushes)
    p = 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))
    pushes.sort(key=lambda np_: -np_[1] if p >= 0.5 else np_[1])
    return p, pushes


def copy_probability(q: Text, c: Text, scores: Mapping[str, float]) -> tuple[float, str]:
    """P(`q` is a copy of `c`) and the 2-3 features that pushed most, in words."""
    m = measure(q, c, scores)
    p, pushes = probability(features_of(m))
    toward = [name for name, push in pushes[:3] if (push > 0) == (p >= 0.5)]
    said = [_say(name, m) for name in toward[:3]] or ["no feature stands out"]
    return p, ", ".join(said)
