"""BASELINE for bench/classify.py: the classifier as it was before tags-2 (commit 06ea94e), kept
verbatim with its taxonomy (bench/taxonomy_old.toml) so the benchmark can compare in one run.

Tag a story with topics from the taxonomy (`config/taxonomy.toml`), with evidence for every tag.

Rule order, all rules being data in the taxonomy:
 1. Places: the title, the lede (first paragraph of `story.body`, cut at `lede_chars`) and the
    body (the rest, cut at `body_chars`: text beyond it is not read).
 2. Exact phrases: each place is tokenised once; word n-grams (lower-cased, plurals folded,
    hyphens = spaces) are looked up in an index keyed by their first word. Entries written in
    capitals ("AI", "MOST") are acronyms: they match the same capitals only, and not at all in a
    place written in capitals. Chinese/Japanese/Korean entries match as substrings.
 3. Fuzzy aliases: Latin entity aliases of 8+ letters are compared (rapidfuzz Indel ratio)
    with token windows at capitalised words whose first four letters (across a space) start an
    alias, so spelling variants ("Yizhaung") match without running rapidfuzz over every word.
 4. Per tag: phrase and entity weights x where-factor (title > lede > body; the body factor
    shrinks with body length; repeats add ln(count)), plus the strongest combo (every named cue
    group hit; weighed by the weakest group; a group sums its distinct hits, body hits capped;
    country names count at half weight as state actors), plus negative cues.
 5. score = 1 - 2^(-raw / half); a tag is given when score >= its threshold and it has positive
    evidence. Regions are scored the same way from region phrases and entities' regions.

`classify`, `regions` and `tag_story` are pure (a bounded memo of folded words is the only
module state). Longer than the usual module because the loader, its validation and the
matcher share one private data model; splitting them would export that model.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from rapidfuzz.distance import Indel

from bot.errors import ConfigError
from bot.story import Evidence, Story, Tag

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_PARAGRAPH = re.compile(r"\s*\n\s*")
_WHERE = ("title", "lede", "body")
_SCORING = {
    "title": 1.5,
    "lede": 1.0,
    "body": 0.5,
    "body_words": 150,
    "lede_chars": 500,
    "body_chars": 20000,
    "repeat": 0.5,
    "half": 2.0,
    "fuzzy_cutoff": 88,
    "max_evidence": 6,
    "region_min": 1.0,
    "group_cap": 3.0,
    "group_body_cap": 1.0,
}
_TOP = {"version", "scoring", "groups", "tags", "entities", "regions", "region_group"}


class Target(NamedTuple):
    kind: str  # "tag", "neg", "group", "region", "entity-region" (an entity's home region)
    name: str  # tag id, group name or region id
    weight: float
    rule: str  # the taxonomy entry: phrase as written or entity canonical name


class Combo(NamedTuple):
    groups: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: str  # file the rules came from ("bundled taxonomy.toml" for the default)
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    thresholds: Mapping[str, float]
    regions: tuple[str, ...]
    scoring: Mapping[str, float]
    combos: Mapping[str, tuple[Combo, ...]]
    words: Mapping[str, tuple[tuple[tuple[str, ...], tuple[Target, ...]], ...]]
    acronyms: Mapping[str, tuple[Target, ...]]
    cjk: tuple[tuple[str, tuple[Target, ...]], ...]
    fuzzy: Mapping[str, tuple[tuple[str, int, str, tuple[Target, ...]], ...]]
    region_group: str = ""  # cue group that region mentions also count in (at half weight)


class _Hit(NamedTuple):
    target: Target
    text: str
    where: str


# ---------------------------------------------------------------- loading and validation


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and compile the taxonomy (the bundled one when `path` is None)."""
    if path is None:
        label = "taxonomy.toml (bundled)"
        text = (resources.files("bot._config") / "taxonomy.toml").read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{label}: cannot read the taxonomy: {exc}",
                hint="check the `taxonomy` path in hubnews.toml",
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}", hint="fix the syntax there") from None
    return _Builder(label).build(data)


class _Builder:
    def __init__(self, label: str) -> None:
        self.label = label
        self.entries: dict[tuple[str, str], list[Target]] = defaultdict(list)  # (mode, key)
        self.fuzzy: dict[str, list[tuple[str, int, str, tuple[Target, ...]]]] = defaultdict(list)

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.label}: {key}: {problem}", hint=fix)

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(
                key, f"expected a table, got {type(data).__name__}", f"write it as [{key}]"
            )
        return data

    def number(self, value: Any, key: str, low: float = -100, high: float = 100) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise self.fail(key, f"{value!r} is not a number in {low}..{high}", "fix the value")
        return float(value)

    def strings(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "expected a list of non-empty strings", 'write ["a", "b"]')
        return list(value)

    def weighted(self, value: Any, key: str) -> dict[str, float]:
        if isinstance(value, list):
            return dict.fromkeys(self.strings(value, key), 1.0)
        table = self.table(value, key)
        return {p: self.number(w, f'{key}."{p}"') for p, w in table.items()}

    def add(self, phrase: str, target: Target, key: str, fuzzy: bool = False) -> None:
        phrase = phrase.strip()
        if _CJK.search(phrase):
            self.entries[("cjk", phrase)].append(target)
        elif _is_acronym(phrase):
            self.entries[("acronym", phrase)].append(target)
        else:
            tokens = tuple(_fold(t) for t in _TOKEN.findall(phrase))
            if not tokens:
                raise self.fail(key, f'"{phrase}" has no letters or digits', "remove it")
            entry = self.entries[("words", " ".join(tokens))]
            if not any(t.kind == target.kind and t.name == target.name for t in entry):
                entry.append(target)
            squashed = "".join(t.lower() for t in _TOKEN.findall(phrase)).replace("'", "")
            if fuzzy and len(squashed) >= 8:
                same = self.fuzzy[squashed[:4]]
                known = next((k for k, e in enumerate(same) if e[0] == squashed), None)
                if known is None:
                    same.append((squashed, len(_TOKEN.findall(phrase)), phrase, (target,)))
                elif target not in same[known][3]:
                    squashed_, ntok, alias, targets = same[known]
                    same[known] = (squashed_, ntok, alias, (*targets, target))

    def build(self, data: Any) -> Taxonomy:
        data = self.table(data, "(top level)")
        for key in data:
            if key not in _TOP:
                raise self.fail(key, "unknown key", f"known keys: {', '.join(sorted(_TOP))}")
        scoring = dict(_SCORING)
        for key, value in self.table(data.get("scoring", {}), "scoring").items():
            if key not in _SCORING:
                raise self.fail(
                    f"scoring.{key}", "unknown key", f"known keys: {', '.join(sorted(_SCORING))}"
                )
            scoring[key] = self.number(value, f"scoring.{key}", 0.0, 1e9)
        if scoring["half"] <= 0:
            raise self.fail("scoring.half", "must be above 0", "use e.g. half = 2.0")
        groups = self.table(data.get("groups", {}), "groups")
        for name, group in groups.items():
            key = f"groups.{name}"
            phrases = self.weighted(self.table(group, key).get("phrases", []), f"{key}.phrases")
            for phrase, weight in phrases.items():
                self.add(phrase, Target("group", name, weight, phrase), f"{key}.phrases")
        tags = self.table(data.get("tags", {}), "tags")
        if not tags:
            raise self.fail("tags", "no tags defined", "add at least [tags.ai]")
        labels, thresholds, combos = {}, {}, {}
        for tag, spec in tags.items():
            key = f"tags.{tag}"
            spec = self.table(spec, key)
            labels[tag] = str(spec.get("label", tag))
            thresholds[tag] = self.number(spec.get("threshold", 0.5), f"{key}.threshold", 0, 1)
            for phrase, w in self.weighted(spec.get("phrases", {}), f"{key}.phrases").items():
                self.add(phrase, Target("tag", tag, w, phrase), f"{key}.phrases")
            for phrase, w in self.weighted(spec.get("negative", {}), f"{key}.negative").items():
                self.add(phrase, Target("neg", tag, -abs(w), phrase), f"{key}.negative")
            combos[tag] = tuple(
                self.combo(c, f"{key}.combos[{i}]", groups)
                for i, c in enumerate(spec.get("combos", []))
            )
        regions = self.table(data.get("regions", {}), "regions")
        for region, spec in regions.items():
            key = f"regions.{region}.phrases"
            for phrase in self.strings(
                self.table(spec, f"regions.{region}").get("phrases", []), key
            ):
                self.add(phrase, Target("region", region, 1.0, phrase), key)
        entities = data.get("entities", [])
        if not isinstance(entities, list):
            raise self.fail("entities", "must be a list of tables", "write [[entities]]")
        for i, entity in enumerate(entities):
            self.entity(
                self.table(entity, f"entities[{i}]"), f"entities[{i}]", tags, groups, regions
            )
        region_group = data.get("region_group", "")
        if region_group and region_group not in groups:
            raise self.fail(
                "region_group",
                f"unknown cue group {region_group!r}",
                f"use one of {sorted(groups)}",
            )
        taxonomy = self.compile(scoring, tags, labels, thresholds, combos, regions)
        return dataclasses.replace(taxonomy, region_group=str(region_group))

    def combo(self, spec: Any, key: str, groups: Mapping[str, Any]) -> Combo:
        spec = self.table(spec, key)
        names = tuple(self.strings(spec.get("groups"), f"{key}.groups"))
        for name in names:
            if name not in groups:
                raise self.fail(
                    f"{key}.groups",
                    f'unknown cue group "{name}"',
                    f"define [groups.{name}] or use one of {sorted(groups)}",
                )
        return Combo(names, self.number(spec.get("weight", 1.0), f"{key}.weight", 0))

    def entity(
        self,
        spec: dict[str, Any],
        key: str,
        tags: Mapping[str, Any],
        groups: Mapping[str, Any],
        regions: Mapping[str, Any],
    ) -> None:
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(f"{key}.name", "missing or empty", 'add name = "…"')
        aliases = [name, *self.strings(spec.get("aliases", []), f"{key}.aliases")]
        targets: list[Target] = []
        for tag, w in self.weighted(spec.get("tags", {}), f"{key}.tags").items():
            if tag not in tags:
                raise self.fail(f"{key}.tags.{tag}", "unknown tag", f"use one of {sorted(tags)}")
            targets.append(Target("tag", tag, w, name))
        for group in self.strings(spec.get("groups", []), f"{key}.groups"):
            if group not in groups:
                raise self.fail(
                    f"{key}.groups", f'unknown cue group "{group}"', f"use one of {sorted(groups)}"
                )
            targets.append(Target("group", group, 1.0, name))
        if "region" in spec:
            region = spec["region"]
            if region not in regions:
                raise self.fail(
                    f"{key}.region", f"unknown region {region!r}", f"use one of {sorted(regions)}"
                )
            targets.append(Target("entity-region", region, 1.0, name))
        for alias in aliases:
            for target in targets:
                self.add(alias, target, f"{key}.aliases", fuzzy=True)

    def compile(
        self,
        scoring: dict[str, float],
        tags: Mapping[str, Any],
        labels: dict[str, str],
        thresholds: dict[str, float],
        combos: dict[str, tuple[Combo, ...]],
        regions: Mapping[str, Any],
    ) -> Taxonomy:
        words: dict[str, list[tuple[tuple[str, ...], tuple[Target, ...]]]] = defaultdict(list)
        acronyms: dict[str, tuple[Target, ...]] = {}
        cjk: list[tuple[str, tuple[Target, ...]]] = []
        for (mode, key), targets in self.entries.items():
            if mode == "words":
                first, *rest = key.split(" ")
                words[first].append((tuple(rest), tuple(targets)))
            elif mode == "acronym":
                acronyms[key] = tuple(targets)
            else:
                cjk.append((key, tuple(targets)))
        frozen = {k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in words.items()}
        return Taxonomy(
            # Plain dicts for the hot lookups (mappingproxy `get` is slower); nothing mutates them.
            source=self.label,
            tags=tuple(tags),
            labels=MappingProxyType(labels),
            thresholds=MappingProxyType(thresholds),
            regions=tuple(regions),
            scoring=MappingProxyType(scoring),
            combos=MappingProxyType(combos),
            words=frozen,
            acronyms=acronyms,
            cjk=tuple(cjk),
            fuzzy={k: tuple(v) for k, v in self.fuzzy.items()},
        )


def _is_acronym(phrase: str) -> bool:
    return phrase.isalnum() and sum(c.isupper() for c in phrase) >= 2


def _fold(token: str) -> str:
    """Lower-case and fold plurals/possessives, the same way for taxonomy and text."""
    token = token.lower().replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# ---------------------------------------------------------------- matching


def _places(story: Story, scoring: Mapping[str, float]) -> list[tuple[str, str]]:
    text = story.body.strip()[: int(scoring["body_chars"]) + int(scoring["lede_chars"])]
    first, _, rest = text.partition("\n")
    limit = int(scoring["lede_chars"])
    if len(first) > limit:
        cut = first.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        first, rest = first[:cut], first[cut:] + "\n" + rest
    return [("title", story.title), ("lede", first), ("body", rest[: int(scoring["body_chars"])])]


def _shouting(text: str) -> bool:
    """A place written in capitals, where acronyms cannot be told from words."""
    return text.isupper() and len(text) >= 12


_FOLDED: dict[str, str] = {}


def _folded(token: str) -> str:
    found = _FOLDED.get(token)
    if found is None:
        if len(_FOLDED) > 200_000:  # bound the memo on endless vocabularies
            _FOLDED.clear()
        found = _FOLDED[token] = _fold(token)
    return found


def _match(text: str, where: str, tax: Taxonomy) -> tuple[list[_Hit], int]:
    """Every taxonomy hit in one place, and the number of words there."""
    hits: list[_Hit] = []
    spans = [m.span() for m in _TOKEN.finditer(text)]
    raw = [text[s:e] for s, e in spans]
    memo = _FOLDED
    folded = [memo.get(t) or _folded(t) for t in raw]
    words, acronyms = tax.words, tax.acronyms
    acronyms_ok = not _shouting(text)
    exact: set[tuple[int, str]] = set()
    n = len(raw)
    for i in [i for i, word in enumerate(folded) if word in words]:
        for rest, targets in words[folded[i]]:
            end = i + len(rest)
            if end < n and (not rest or tuple(folded[i + 1 : end + 1]) == rest):
                found = text[spans[i][0] : spans[end][1]]
                hits.extend(_Hit(t, found, where) for t in targets)
                exact.update((i, t.rule) for t in targets)
    fuzzy = tax.fuzzy
    for i in [i for i, token in enumerate(raw) if not token.islower()]:  # names, acronyms
        token = raw[i]
        if acronyms_ok:
            found_acronym = acronyms.get(token) or (
                acronyms.get(token[:-1]) if token[-1] == "s" else None
            )
            if found_acronym and text[spans[i][1] : spans[i][1] + 1] != "$":  # "US$7.5 billion"
                hits.extend(_Hit(t, token, where) for t in found_acronym)
        if fuzzy and (token + (raw[i + 1] if i + 1 < n else ""))[:4].lower() in fuzzy:
            hits.extend(_fuzzy(i, text, spans, raw, exact, where, tax))
    if tax.cjk and _CJK.search(text):
        for phrase, targets in tax.cjk:
            if phrase in text:
                hits.extend(_Hit(t, phrase, where) for t in targets)
    return hits, n


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
        if any((i, t.rule) in exact for t in targets):
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
    for where, text in _places(story, tax.scoring):
        found, n = _match(text, where, tax)
        hits.extend(found)
        if where == "body":
            body_words = n
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
        raw = sum(e.weight for e in evidence) + negative
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
