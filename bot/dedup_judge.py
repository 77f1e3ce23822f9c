"""The decision rules of `bot.dedup`: is a new story a copy of one earlier story?

`judge(q, c, thresholds)` compares the `Features` of a new story `q` and an earlier one `c`
and returns (verdict, scores, reason). The order, and why, is in `bot.dedup`'s docstring:
containment of the shorter text's word 4-grams, then the facts each side has and the other
lacks, then which side is longer (update vs roundup), then the paraphrase band. Items without
a body are judged on their titles only, never on a generic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from rapidfuzz.distance import Indel

from bot.dedup_text import MAX_FACTS, SAMPLE_MOD, Features

DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        "containment": 0.75,  # shorter text's 4-grams found in the longer: a copy
        "paraphrase": 0.45,  # lower band: a copy only if no side adds facts, similar lengths
        "length_ratio": 0.6,  # paraphrase band: shorter/longer body length in tokens
        "new_facts": 5,  # numbers/names each text has and the other lacks: new news at this many
        "lead_facts": 2,  # ... or at this many when the leads differ (a follow-up, a template)
        "lead_changed": 0.6,  # leads differ: their word 3-grams overlap less than this
        "novelty": 0.5,  # share of a longer new story that may be new (update vs roundup)
        "excerpt_lead": 0.5,  # an earlier excerpt: lead 3-gram overlap with the full text ...
        "excerpt_title": 0.6,  # ... and title similarity
        "title": 0.9,  # title-only items: Indel similarity of title words
        "short_title": 0.5,  # a short body (< FULL_BELOW shingles) folds only with this title
    }
)


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _new(a: np.ndarray, b: np.ndarray) -> int:
    """Facts in `a` not in `b` (bottom-k sketches: only below the lower full maximum)."""
    if len(a) >= MAX_FACTS or len(b) >= MAX_FACTS:
        limit = min(
            a[-1] if len(a) >= MAX_FACTS else 65535, b[-1] if len(b) >= MAX_FACTS else 65535
        )
        a, b = a[a <= limit], b[b <= limit]
    return len(set(a.tolist()) - set(b.tolist()))


def _overlap(q: Features, c: Features) -> tuple[int, int, int]:
    qs, cs = q.sample, c.sample
    if q.full != c.full:  # compare like with like: the 1/SAMPLE_MOD sample (a long text's
        # sample is one already)
        qs, cs = (qs[qs % SAMPLE_MOD == 0], cs) if q.full else (qs, cs[cs % SAMPLE_MOD == 0])
    if (q.capped or c.capped) and len(qs) and len(cs):  # bottom-k: below both maxima
        limit = min(qs[-1] if q.capped else 2**32, cs[-1] if c.capped else 2**32)
        qs, cs = qs[qs <= limit], cs[cs <= limit]
    # <= 72 values a side: a set intersection costs less than numpy's sort-based one
    return len(set(qs.tolist()).intersection(cs.tolist())), len(qs), len(cs)


# A pair the sketches show sharing little both ways, where the new text also adds numbers,
# can meet no copy rule of the verifier (bot.dedup_verify: a copy adds <= 15 % or covers
# >= 50 % of the earlier text; a rewording adds no number), with a wide margin: on the bench
# and the train, dev and devweb pairs, every such verification (1 in 6 on the bench) said new.
HOPELESS_NEW = 0.4  # at least this share of the new text's sampled keys is not in the other
HOPELESS_COVER = 0.3  # and at most this share of the earlier text's keys is in the new one
HOPELESS_NUMBERS = 2  # and the new text has this many numbers the earlier lacks
HOPELESS_SAMPLE = 8  # both samples this large (fewer keys estimate nothing)
HOPELESS_LONGER = 2  # and the new one at most twice the earlier's: a full article after its
# teaser shares few of the teaser's keys when trailers, plugs and captions fill the teaser


def hopeless(q: Features, c: Features) -> bool:
    """Whether verifying `q` against `c` on full text can only say "new" (see above)."""
    inter, nq, nc = _overlap(q, c)
    return (
        min(nq, nc) >= HOPELESS_SAMPLE
        and nq <= HOPELESS_LONGER * nc
        and inter <= (1 - HOPELESS_NEW) * nq
        and inter <= HOPELESS_COVER * nc
        and _new(q.numbers, c.numbers) >= HOPELESS_NUMBERS
    )


def _title(q: Features, c: Features) -> float:
    return Indel.normalized_similarity(q.title.tolist(), c.title.tolist())


def judge(q: Features, c: Features, th: Mapping[str, float]) -> tuple[bool, dict[str, float], str]:
    """Is `q` (new) a copy of `c` (earlier)? The verdict, the scores and one sentence why."""
    if not (q.has_body and c.has_body):
        return _judge_titles(q, c, _title(q, c), th)
    inter, nq, nc = _overlap(q, c)
    s = {"containment": _ratio(inter, min(nq, nc))}
    pct = f"{s['containment']:.0%} of the shorter text's word 4-grams are in the other"
    if s["containment"] < th["paraphrase"]:
        return False, s, f"only {pct}"
    title = _title(q, c)
    if (q.full or c.full) and title < th["short_title"]:
        s["title"] = title
        return (
            False,
            s,
            (
                f"{pct}, but the text is short and the titles differ "
                f"({title:.2f}): feed boilerplate, not a copy"
            ),
        )
    s |= {
        "title": title,
        "new_share": 1 - _ratio(inter, nq),
        "lead": _ratio(
            len(set(q.lead.tolist()) & set(c.lead.tolist())), min(len(q.lead), len(c.lead))
        ),
        "length_ratio": _ratio(min(q.n_tokens, c.n_tokens), max(q.n_tokens, c.n_tokens)),
        "new_facts": _new(q.numbers, c.numbers) + _new(q.names, c.names),
        "dropped_facts": _new(c.numbers, q.numbers) + _new(c.names, q.names),
    }
    facts = min(s["new_facts"], s["dropped_facts"])
    swapped = f"({s['new_facts']:.0f} new and {s['dropped_facts']:.0f} dropped numbers/names)"
    if facts >= th["new_facts"]:
        return False, s, f"{pct}, but each text has facts the other lacks {swapped}"
    if facts >= th["lead_facts"] and s["lead"] < th["lead_changed"]:
        return False, s, f"{pct}, but it opens differently and swaps facts {swapped}"
    if s["containment"] >= th["containment"]:
        if q.n_tokens <= c.n_tokens or s["new_share"] <= th["novelty"]:
            return True, s, f"{pct} and no numbers or names were swapped (title {title:.2f})"
        if s["lead"] >= th["excerpt_lead"] and title >= th["excerpt_title"]:
            return True, s, f"the earlier excerpt opens this text ({pct}, same lead and title)"
        return False, s, f"{pct}, but {s['new_share']:.0%} of the new story is new text"
    if s["length_ratio"] >= th["length_ratio"]:
        return True, s, f"{pct} (a paraphrase) and no numbers or names were swapped"
    return False, s, f"{pct}, but the lengths differ too much for a paraphrase"


def _judge_titles(
    q: Features, c: Features, title: float, th: Mapping[str, float]
) -> tuple[bool, dict[str, float], str]:
    s = {"title": title}
    if q.title_generic or c.title_generic:
        return False, s, "a generic or very short title is never enough to fold"
    if title >= th["title"]:
        return True, s, f"title-only item with title similarity {title:.2f}"
    return False, s, f"title-only item, title similarity {title:.2f} is below {th['title']}"
