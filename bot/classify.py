"""Tag a story with topics from the taxonomy (`config/taxonomy.toml`), with evidence for every tag.

Rule order, all rules being data in the taxonomy (loaded and compiled by bot/taxonomy.py):
 1. Places: the title, the lede (first paragraph of `story.body` - the next one when the first
    only repeats the headline -, cut at `lede_chars`) and the
    body (the rest, cut at `body_chars`: text beyond it is not read). The story's language comes
    from the title and lede (bot/lang.py) and selects the language's own vocabulary.
 2. Exact phrases: one Aho–Corasick pass per place over the lower-cased text (hyphens = spaces)
    finds every phrase; a Latin phrase needs a word boundary on both sides (CJK characters are
    boundaries, so Latin names inside Chinese/Japanese text match; punctuation is not a space, so
    no phrase spans a sentence end), a phrase of another Latin language on the left only
    (inflections, compounds), a CJK phrase none. Acronyms ("AI", "MOST") are found by a second
    pass over the text as written: the same capitals only, never in a place written in capitals.
 3. Fuzzy aliases (title and lede): Latin entity aliases of 8+ letters are compared (rapidfuzz
    Indel ratio) with token windows at capitalised words whose first four letters (across a
    space) start an alias, so spelling variants ("Yizhaung") match.
 4. Senses: an ambiguous term (AI, IA, chip …) is dropped from a story that names another of its
    senses (artificial insemination, avian influenza, Air India; potato chips, pet microchips).
 5. Per tag: phrase and entity weights x where-factor (title > lede > body; the body factor
    shrinks with body length; repeats add ln(count)), plus the strongest combo (every named cue
    group hit; weighed by the weakest group; a group sums its distinct hits, body hits capped;
    country names count at half weight as state actors); one phrase outside the title counts
    `single_hit` of its weight; negative cues take away at most `negative_share` of the rest.
 6. score = 1 - 2^(-raw / half); a tag is given when score >= its threshold and it has positive
    evidence (text found, taxonomy rule, place, weight). Regions are scored the same way from
    region phrases and entities' regions.

`classify`, `regions` and `tag_story` are pure.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from rapidfuzz.distance import Indel

from bot.lang import detect
from bot.story import Evidence, Story, Tag
from bot.taxonomy import Combo, Entry, Target, Taxonomy, load_taxonomy, normalise

__all__ = ["Target", "Taxonomy", "classify", "load_taxonomy", "regions", "tag_story"]

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_UPPER = re.compile(r"[A-Z]")
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e]")
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width Latin -> ASCII, same length
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class _Hit(NamedTuple):
    target: Target
    text: str
    where: str


# ---------------------------------------------------------------- matching


def _places(story: Story, scoring: Mapping[str, float]) -> list[tuple[str, str]]:
    text = _after_title(story.body.strip(), story.title)
    text = text[: int(scoring["body_chars"]) + int(scoring["lede_chars"])]
    first, _, rest = text.partition("\n")
    limit = int(scoring["lede_chars"])
    if len(first) > limit:
        cut = first.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        first, rest = first[:cut], first[cut:] + "\n" + rest
    return [("title", story.title), ("lede", first), ("body", rest[: int(scoring["body_chars"])])]


def _after_title(text: str, title: str) -> str:
    """The text without an opening that repeats the headline (feeds whose description starts
    with the title): the paragraph after it is the lede, the headline is counted once."""
    head = " ".join(title.split()).rstrip(".…")
    if len(head) < 20 or not text.startswith(head[:20]):
        return text
    first, _, rest = text.partition("\n")
    if " ".join(first.split()).rstrip(".…") != head:
        return text
    return rest.strip() or text


def _shouting(text: str) -> bool:
    """A place written in capitals, where acronyms cannot be told from words."""
    return text.isupper() and len(_UPPER.findall(text)) >= 12


def _wordchar(c: str) -> bool:
    """A letter or digit that continues a Latin word (CJK characters are boundaries)."""
    return c.isalnum() and (c < "\u2e80" or "\uff10" <= c <= "\uff5a")


def _match(text: str, where: str, tax: Taxonomy, lang: str) -> tuple[list[_Hit], int]:
    """Every taxonomy hit in one place, and the number of words there."""
    hits: list[_Hit] = []
    norm = normalise(text)  # full-width Latin folded too, same length
    if len(norm) != len(text):  # a character whose lower case is longer ("İ"): keep offsets
        norm = "".join(normalise(c)[:1] for c in text)
    size = len(text)
    acronyms_ok = not _shouting(text)
    exact: set[tuple[int, str]] = set()
    negatives: list[tuple[int, int, _Hit]] = []
    positive: list[tuple[int, int]] = []
    runs = [(tax.automaton, norm)]
    if acronyms_ok:
        wide = not text.isascii() and _FULL_WIDTH.search(text)
        runs.append((tax.capitals, text.translate(_WIDTH) if wide else text))
    for (matcher, payload), haystack in runs:
        if matcher is None:
            continue
        for key, start, end in matcher.find_matches_as_indexes(haystack, overlapping=True):
            entries = payload[key]
            entry: Entry
            for entry in entries:
                if entry.langs is not None and lang not in entry.langs:
                    continue
                stop = end
                if entry.mode != "cjk":
                    if start > 0 and _wordchar(norm[start - 1]):
                        continue
                    if entry.mode == "acronym":
                        if stop < size and text[stop] == "s":  # "AIs", "LLMs"
                            stop += 1
                        if stop < size and text[stop] == "$":  # "US$7.5 billion"
                            continue
                    if not entry.prefix and stop < size and _wordchar(norm[stop]):
                        continue
                found = text[start:stop]
                for t in entry.targets:
                    if t.kind == "neg":
                        negatives.append((start, stop, _Hit(t, found, where)))
                    else:
                        hits.append(_Hit(t, found, where))
                        if t.kind in ("tag", "group"):
                            positive.append((start, stop))
                exact.update((start, t.rule) for t in entry.targets)
    # a negative cue inside a longer positive phrase ("review" in "security review") is that
    # phrase, not the cue
    hits.extend(
        h
        for a, b, h in negatives
        if not any(s <= a and b <= e and e - s > b - a for s, e in positive)
    )
    words = text.count(" ") + 1  # enough for the body's length factor
    if lang in ("zh", "ja"):
        words += len(_CJK_CHAR.findall(text)) // 2
    if tax.fuzzy and where != "body":  # misspelt names: title and lede (the body weighs little)
        spans = [m.span() for m in _TOKEN.finditer(text)]
        hits.extend(_fuzzy_all(text, spans, exact, where, tax))
    return hits, words


def _fuzzy_all(
    text: str, spans: list[tuple[int, int]], exact: set[tuple[int, str]], where: str, tax: Taxonomy
) -> Iterable[_Hit]:
    fuzzy = tax.fuzzy
    raw = [text[s:e] for s, e in spans]
    n = len(raw)
    for i, token in enumerate(raw):
        if token[0].isupper() and (token + (raw[i + 1] if i + 1 < n else ""))[:4].lower() in fuzzy:
            yield from _fuzzy(i, text, spans, raw, exact, where, tax)


def _fuzzy(
    i: int,
    text: str,
    spans: list[tuple[int, int]],
    raw: list[str],
    exact: set[tuple[int, str]],
    where: str,
    tax: Taxonomy,
) -> Iterable[_Hit]:
    """The best fuzzy alias hit for token windows starting at token `i`, if any."""
    low = [t.lower().replace("'", "").replace("’", "") for t in raw[i : i + 8]]
    pair = low[0] + (low[1] if len(low) > 1 else "")
    best: tuple[float, int, tuple[Target, ...]] = (tax.scoring["fuzzy_cutoff"] / 100, 0, ())
    for squashed, ntok, _alias, targets in tax.fuzzy.get(pair[:4], ()):
        if any((spans[i][0], t.rule) in exact for t in targets):
            return
        for size in (ntok - 1, ntok, ntok + 1) if ntok > 1 else (1,):
            if size < 1 or size > len(low):
                continue
            window = "".join(low[:size])
            if abs(len(window) - len(squashed)) > max(2, len(squashed) // 8):
                continue
            score = Indel.normalized_similarity(window, squashed, score_cutoff=best[0])
            if score and (score > best[0] or not best[2]):
                best = (score, size, targets)
    score, size, targets = best
    if targets:
        found = text[spans[i][0] : spans[i + size - 1][1]]
        yield from (_Hit(t, found, where) for t in targets)


# ---------------------------------------------------------------- scoring


def _factors(words_in_body: int, scoring: Mapping[str, float]) -> dict[str, float]:
    shrink = math.sqrt(min(1.0, scoring["body_words"] / max(1, words_in_body)))
    return {"title": scoring["title"], "lede": scoring["lede"], "body": scoring["body"] * shrink}


def _collect(story: Story, tax: Taxonomy) -> tuple[list[_Hit], dict[str, float]]:
    hits: list[_Hit] = []
    body_words = 0
    places = _places(story, tax.scoring)
    lang = detect(places[0][1] + "\n" + places[1][1])
    for where, text in places:
        found, n = _match(text, where, tax, lang)
        hits.extend(found)
        if where == "body":
            body_words = n
    senses = {int(h.target.name) for h in hits if h.target.kind == "sense"}
    if senses:  # an ambiguous term next to one of its other senses is not evidence
        silenced = frozenset().union(*(tax.senses[k] for k in senses))
        hits = [h for h in hits if h.target.rule not in silenced and h.target.kind != "sense"]
    return hits, _factors(body_words, tax.scoring)


def _weigh(
    hits: Iterable[_Hit], factors: Mapping[str, float], repeat: float
) -> dict[tuple[str, str, str, str], tuple[float, str]]:
    """(kind, name, rule, where) -> (weight with repeats, text as found)."""
    counts: dict[tuple[str, str, str, str], list[Any]] = {}
    for hit in hits:
        key = (hit.target.kind, hit.target.name, hit.target.rule, hit.where)
        if key in counts:
            counts[key][0] += 1
        else:
            counts[key] = [1, hit.text, hit.target.weight]
    out = {}
    for key, (count, text, weight) in counts.items():
        bonus = 1 + repeat * math.log(count) if key[0] != "neg" else 1.0
        out[key] = (weight * factors[key[3]] * bonus, text)
    return out


def _group_strengths(
    weighed: Mapping[tuple[str, str, str, str], tuple[float, str]],
    cap: float,
    body_cap: float,
    region_group: str,
) -> dict[str, tuple[float, Evidence]]:
    """Cue group -> (sum of its distinct hits, capped; its strongest hit)."""
    out: dict[str, tuple[float, Evidence]] = {}
    body: dict[str, float] = defaultdict(float)
    for (kind, name, rule, where), (weight, text) in weighed.items():
        if kind == "region" and region_group:
            name, weight = region_group, weight / 2
        elif kind != "group":
            continue
        if where == "body":  # many small body hits must not add up to a headline's worth
            weight = max(0.0, min(weight, body_cap - body[name]))
            body[name] += weight
        total, best = out.get(name, (0.0, Evidence(text, rule, where, weight)))
        if weight > best.weight:
            best = Evidence(text, rule, where, weight)
        if weight > 0:
            out[name] = (min(cap, total + weight), best)
    return out


def classify(
    story: Story, taxonomy: Taxonomy, thresholds: Mapping[str, float] | None = None
) -> list[Tag]:
    """The taxonomy's tags for `story`, strongest first; each with its score and evidence."""
    return _tags(_weighed(story, taxonomy), taxonomy, thresholds)


def regions(story: Story, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Region facet ids the text supports (title/lede mentions, or repeated body mentions)."""
    return _regions(_weighed(story, taxonomy), taxonomy)


def tag_story(
    story: Story, taxonomy: Taxonomy, thresholds: Mapping[str, float] | None = None
) -> Story:
    """`story` with `tags` and `regions` filled from one reading of the text (pipeline step)."""
    weighed = _weighed(story, taxonomy)
    return story.with_(
        tags=tuple(_tags(weighed, taxonomy, thresholds)), regions=_regions(weighed, taxonomy)
    )


_Weighed = dict[tuple[str, str, str, str], tuple[float, str]]


def _weighed(story: Story, taxonomy: Taxonomy) -> _Weighed:
    hits, factors = _collect(story, taxonomy)
    return _weigh(hits, factors, taxonomy.scoring["repeat"])


def _tags(
    weighed: _Weighed, taxonomy: Taxonomy, thresholds: Mapping[str, float] | None
) -> list[Tag]:
    limits = {**taxonomy.thresholds, **(thresholds or {})}
    scoring = taxonomy.scoring
    groups = _group_strengths(
        weighed,
        taxonomy.scoring["group_cap"],
        taxonomy.scoring["group_body_cap"],
        taxonomy.region_group,
    )
    tags = []
    for tag in taxonomy.tags:
        evidence = [
            Evidence(text, rule, where, round(weight, 3))
            for (kind, name, rule, where), (weight, text) in weighed.items()
            if kind == "tag" and name == tag
        ]
        negative = sum(
            w for (kind, name, _r, _w), (w, _t) in weighed.items() if kind == "neg" and name == tag
        )
        evidence.extend(_best_combo(taxonomy.combos.get(tag, ()), groups))
        positive = sum(e.weight for e in evidence)
        if len(evidence) == 1 and evidence[0].where != "title":  # one passing phrase
            positive *= scoring["single_hit"]
        # negative cues weaken evidence but never outweigh more than a share of it
        raw = positive + max(negative, -scoring["negative_share"] * positive)
        score = 1 - 2 ** (-max(raw, 0.0) / taxonomy.scoring["half"])
        if evidence and raw > 0 and score >= limits.get(tag, 0.5):
            evidence.sort(key=lambda e: -e.weight)
            tags.append(
                Tag(tag, round(score, 3), tuple(evidence[: int(taxonomy.scoring["max_evidence"])]))
            )
    return sorted(tags, key=lambda t: -t.score)


def _best_combo(
    combos: Iterable[Combo], groups: Mapping[str, tuple[float, Evidence]]
) -> list[Evidence]:
    """Evidence of the strongest combo whose cue groups all have hits (combos overlap, so
    only one counts)."""
    best: tuple[float, Combo | None] = (0.0, None)
    for combo in combos:
        if all(g in groups for g in combo.groups):
            strength = combo.weight * min(groups[g][0] for g in combo.groups)
            if strength > best[0]:
                best = (strength, combo)
    strength, winner = best
    if winner is None:
        return []
    share = round(strength / len(winner.groups), 3)
    return [
        Evidence(
            groups[g][1].text,
            f"{'+'.join(winner.groups)}: {groups[g][1].rule}",
            groups[g][1].where,
            share,
        )
        for g in winner.groups
    ]


def _regions(weighed: _Weighed, taxonomy: Taxonomy) -> tuple[str, ...]:
    totals: dict[str, float] = defaultdict(float)
    for (kind, name, _rule, _where), (weight, _text) in weighed.items():
        if kind in ("region", "entity-region"):
            totals[name] += weight
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return tuple(r for r, total in ranked if total >= taxonomy.scoring["region_min"])
