"""Load, validate and compile the taxonomy (`config/taxonomy.toml`) for `bot.classify`.

Every phrase becomes an entry in one Aho–Corasick automaton (pyahocorasick) keyed by its
lower-cased form (hyphens = spaces); the matcher checks each automaton hit for:
 * mode "words" (English and other Latin phrases): a word boundary on both sides — a CJK
   character counts as a boundary, so "OpenAI" is found inside a Japanese headline; English
   phrases also match their plural/singular ("chips" = "chip", "subsidies" = "subsidy").
   Phrases of another Latin language (`lang.de` …) need the boundary on the left only, so
   inflections and compounds match ("Halbleiter" in "Halbleiterindustrie").
 * mode "acronym" (written in capitals: "AI", "MOST"): the same capitals in the text.
 * mode "cjk" (Chinese/Japanese/Korean script): a plain substring, no word boundaries.
Languages: `phrases`/`negative`/group `phrases` are English; tag phrases, acronyms, CJK entries,
entities and regions count in every language; `lang.XX` tables count only in a story detected
as language XX (bot/lang.py: en de fr it es nl zh ja ko). `[[senses]]` drop an ambiguous term
when the story names one of its other senses ("AI" + "artificial insemination").
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import ahocorasick_rs

from bot.errors import ConfigError

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_LANGS = frozenset({"en", "de", "fr", "it", "es", "nl", "zh", "ja", "ko"})
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
    "negative_share": 1.0,  # negatives may take away at most this share of the positive evidence
    "single_hit": 1.0,  # a tag resting on one phrase outside the title: its weight x this
}
_TOP = {"version", "scoring", "groups", "tags", "entities", "regions", "region_group", "senses"}
_REPLACE = (
    ("-", " "),
    ("\n", " "),
    ("’", "'"),
    ("‐", " "),
    ("\t", " "),
    ("\r", " "),
    ("\xa0", " "),
)
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e]")
_NORM = str.maketrans(
    {"-": " ", "‐": " ", "’": "'", "\n": " ", "\t": " ", "\r": " ", "\xa0": " "}
    | {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}  # full-width Latin
)


class Target(NamedTuple):
    kind: str  # "tag", "neg", "group", "region", "entity-region", "sense"
    name: str  # tag id, group name, region id or sense number
    weight: float
    rule: str  # the taxonomy entry: phrase as written or entity canonical name


class Entry(NamedTuple):
    phrase: str  # as written in the taxonomy
    mode: str  # "words", "acronym" or "cjk"
    langs: frozenset[str] | None  # languages it counts in (None: every language)
    prefix: bool  # a word boundary on the left only (inflected languages)
    targets: tuple[Target, ...]


class Automaton(NamedTuple):
    """Aho–Corasick over the keys (ahocorasick_rs; overlapping matches, character offsets);
    `entries[i]` are the taxonomy entries of key i."""

    matcher: Any  # ahocorasick_rs.AhoCorasick, or None without keys
    entries: tuple[tuple[Entry, ...], ...]


def _automaton(keyed: list[tuple[str, tuple[Entry, ...]]]) -> Automaton:
    if not keyed:
        return Automaton(None, ())
    matcher = ahocorasick_rs.AhoCorasick(
        [k for k, _ in keyed], matchkind=ahocorasick_rs.MATCHKIND_STANDARD
    )
    return Automaton(matcher, tuple(e for _, e in keyed))


class Combo(NamedTuple):
    groups: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: str  # file the rules came from ("taxonomy.toml (bundled)" for the default)
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    thresholds: Mapping[str, float]
    regions: tuple[str, ...]
    scoring: Mapping[str, float]
    combos: Mapping[str, tuple[Combo, ...]]
    automaton: Automaton  # phrases, matched on `normalise(text)`
    capitals: Automaton  # acronyms, matched on the text as written (full-width folded)
    fuzzy: Mapping[str, tuple[tuple[str, int, str, tuple[Target, ...]], ...]]
    senses: tuple[frozenset[str], ...]  # per sense: the rules it silences
    aliases: tuple[tuple[str, ...], ...]  # entity name + aliases (search expands through them)
    region_group: str = ""  # cue group that region mentions also count in (at half weight)


def normalise(text: str) -> str:
    """Lower case, hyphens and line breaks as spaces, full-width Latin as ASCII; the same length
    as `text` (unless a character's lower case is longer, e.g. "İ")."""
    low = text.lower()
    for old, new in _REPLACE:
        if old in low:
            low = low.replace(old, new)
    if not low.isascii() and _FULL_WIDTH.search(low):
        low = low.translate(_NORM)
    return low


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


def is_acronym(phrase: str) -> bool:
    return phrase.isalnum() and sum(c.isupper() for c in phrase) >= 2


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _variants(key: str) -> set[str]:
    """An English phrase's key with its last word in singular and plural."""
    head, _, last = key.rpartition(" ")
    forms = {last}
    if len(last) > 4 and last.endswith("ies"):
        forms.add(last[:-3] + "y")
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        forms.add(last[:-1])
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        forms.add(last[:-1] + "ies")
    elif last.endswith(("s", "x", "ch", "sh")):
        forms.add(last + "es")
    elif last[-1:].isalpha():
        forms.add(last + "s")
    return {f"{head} {f}" if head else f for f in forms}


class _Builder:
    def __init__(self, label: str) -> None:
        self.label = label
        self.entries: dict[tuple[str, str, frozenset[str] | None, bool], list[Target]] = (
            defaultdict(list)
        )
        self.fuzzy: dict[str, list[tuple[str, int, str, tuple[Target, ...]]]] = defaultdict(list)
        self.senses: list[frozenset[str]] = []
        self.aliases: list[tuple[str, ...]] = []

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

    def languages(self, value: Any, key: str) -> dict[str, dict[str, float]]:
        out = {}
        for lang, phrases in self.table(value, key).items():
            if lang not in _LANGS:
                raise self.fail(f"{key}.{lang}", "unknown language", f"use one of {sorted(_LANGS)}")
            out[lang] = self.weighted(phrases, f"{key}.{lang}")
        return out

    def add(
        self,
        phrase: str,
        target: Target,
        key: str,
        *,
        lang: str | None = None,
        everywhere: bool = False,
        fuzzy: bool = False,
    ) -> None:
        """`lang`: a language's own list; otherwise English, or every language when
        `everywhere` (tag phrases, names) or the phrase is an acronym or CJK."""
        phrase = phrase.strip()
        if not _TOKEN.search(phrase):
            raise self.fail(key, f'"{phrase}" has no letters or digits', "remove it")
        if _CJK.search(phrase):
            mode = "cjk"
        elif is_acronym(phrase):
            mode = "acronym"
        else:
            mode = "words"
        langs = (
            frozenset({lang})
            if lang
            else None
            if everywhere or mode != "words"
            else frozenset({"en"})
        )
        prefix = mode == "words" and lang not in (None, "en")
        if mode == "acronym":
            text = phrase
        elif mode == "words" and not prefix:
            head, _, last = normalise(phrase).rpartition(" ")
            text = f"{head} {_singular(last)}" if head else _singular(last)
        else:
            text = normalise(phrase)
        entry = self.entries[(text, mode, langs, prefix)]
        if not any(t.kind == target.kind and t.name == target.name for t in entry):
            entry.append(target)
        squashed = "".join(t.lower() for t in _TOKEN.findall(phrase)).replace("'", "")
        if fuzzy and mode == "words" and len(squashed) >= 8:
            same = self.fuzzy[squashed[:4]]
            known = next((k for k, e in enumerate(same) if e[0] == squashed), None)
            if known is None:
                same.append((squashed, len(_TOKEN.findall(phrase)), phrase, (target,)))
            elif target not in same[known][3]:
                squashed_, ntok, alias, targets = same[known]
                same[known] = (squashed_, ntok, alias, (*targets, target))

    def phrases(self, spec: Mapping[str, Any], key: str, make: Any, everywhere: bool) -> None:
        """A `phrases`-like list plus its `lang` tables."""
        field = key.rsplit(".", 1)[-1]
        base = key.rsplit(".", 1)[0]
        for phrase, w in self.weighted(spec.get(field, {}), key).items():
            self.add(phrase, make(phrase, w), key, everywhere=everywhere)
        lang_key = "lang" if field == "phrases" else "negative_lang"
        for lang, table in self.languages(spec.get(lang_key, {}), f"{base}.{lang_key}").items():
            for phrase, w in table.items():
                self.add(phrase, make(phrase, w), f"{base}.{lang_key}.{lang}", lang=lang)

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
            self.phrases(
                self.table(group, key),
                f"{key}.phrases",
                lambda p, w, name=name: Target("group", name, w, p),
                everywhere=False,
            )
        tags = self.table(data.get("tags", {}), "tags")
        if not tags:
            raise self.fail("tags", "no tags defined", "add at least [tags.ai]")
        labels, thresholds, combos = {}, {}, {}
        for tag, spec in tags.items():
            key = f"tags.{tag}"
            spec = self.table(spec, key)
            labels[tag] = str(spec.get("label", tag))
            thresholds[tag] = self.number(spec.get("threshold", 0.5), f"{key}.threshold", 0, 1)
            self.phrases(
                spec, f"{key}.phrases", lambda p, w, tag=tag: Target("tag", tag, w, p), True
            )
            self.phrases(
                spec,
                f"{key}.negative",
                lambda p, w, tag=tag: Target("neg", tag, -abs(w), p),
                False,
            )
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
                self.add(phrase, Target("region", region, 1.0, phrase), key, everywhere=True)
        entities = data.get("entities", [])
        if not isinstance(entities, list):
            raise self.fail("entities", "must be a list of tables", "write [[entities]]")
        for i, entity in enumerate(entities):
            self.entity(
                self.table(entity, f"entities[{i}]"), f"entities[{i}]", tags, groups, regions
            )
        senses = data.get("senses", [])
        if not isinstance(senses, list):
            raise self.fail("senses", "must be a list of tables", "write [[senses]]")
        for i, sense in enumerate(senses):
            key = f"senses[{i}]"
            sense = self.table(sense, key)
            self.senses.append(frozenset(self.strings(sense.get("terms"), f"{key}.terms")))
            for phrase in self.strings(sense.get("other_senses"), f"{key}.other_senses"):
                self.add(phrase, Target("sense", str(i), 0.0, phrase), key, everywhere=True)
        region_group = data.get("region_group", "")
        if region_group and region_group not in groups:
            raise self.fail(
                "region_group",
                f"unknown cue group {region_group!r}",
                f"use one of {sorted(groups)}",
            )
        return self.compile(scoring, tags, labels, thresholds, combos, regions, str(region_group))

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
        self.aliases.append(tuple(aliases))
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
                self.add(alias, target, f"{key}.aliases", everywhere=True, fuzzy=True)

    def compile(
        self,
        scoring: dict[str, float],
        tags: Mapping[str, Any],
        labels: dict[str, str],
        thresholds: dict[str, float],
        combos: dict[str, tuple[Combo, ...]],
        regions: Mapping[str, Any],
        region_group: str,
    ) -> Taxonomy:
        keyed: dict[str, list[Entry]] = defaultdict(list)
        for (key, mode, langs, prefix), targets in self.entries.items():
            entry = Entry(key, mode, langs, prefix, tuple(targets))
            if mode == "acronym":
                forms = {key}
            elif mode == "words" and not prefix:
                forms = _variants(key)
            else:
                forms = {key}
            for form in forms:
                keyed[form].append(entry)
        words = [(f, tuple(es)) for f, es in keyed.items() if es[0].mode != "acronym"]
        capitals = [(f, tuple(es)) for f, es in keyed.items() if es[0].mode == "acronym"]
        return Taxonomy(
            source=self.label,
            tags=tuple(tags),
            labels=MappingProxyType(labels),
            thresholds=MappingProxyType(thresholds),
            regions=tuple(regions),
            scoring=MappingProxyType(scoring),
            combos=MappingProxyType(combos),
            automaton=_automaton(words),
            capitals=_automaton(capitals),
            fuzzy={k: tuple(v) for k, v in self.fuzzy.items()},
            senses=tuple(self.senses),
            aliases=tuple(self.aliases),
            region_group=region_group,
        )
