"""Watches: saved queries matched against every new story at ingest (the percolator idea).

A watch is a `/hubnews` query without dates (`compile_watch`), and fires exactly when search
would find the story: FTS5's own tokens (see watch_text), a word matches its porter stem, a
phrase consecutive tokens in the title or the body, CJK words as bigram sequences, `a OR b`,
`tag:` and `source:` as in search. With `expand`, each word is an OR of its aliases, so a watch
on Yizhuang fires on 亦庄.

Matching does not try every watch: each watch is indexed under the anchor terms of one of its
AND-groups (the cheapest: one rare token per alternative), and a story, tokenised once, looks
up only its own terms; the watches found are then verified in full. Watches without words sit
in per-tag / per-source buckets. Which copies already fired is the caller's business (the
store knows clusters): `match` answers for one story.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace

from bot.aliases import bundled_aliases, expand_query
from bot.errors import QueryError
from bot.query import MAX_LENGTH, Query, parse_query
from bot.route import source_matches
from bot.store.sqlite.stories import _CJK_RUN, cjk_bigrams
from bot.story import Story
from bot.watch_text import CJK, TEXT_COLUMNS, StoryTerms, Tokenizer, pattern_keys

MAX_ALIASES = 16  # alternatives per word after alias expansion
_EXAMPLE = 'e.g. /hubnews watch Yizhuang OR "Beijing E-Town" tag:ai'
_CJK_COLUMN = frozenset({CJK})
# Without term statistics, these (English function words and news verbs, as porter stems) are
# never an anchor when the watch has anything else: "the OSI" is indexed under "osi".
_COMMON_STEMS = (
    "a about after all also an and ani ar as at be been but by can could do for from ha had have "
    "he her hi i if in into is it last more most mr new no not now of on or other our out over s "
    "sai said she so some than that the thei their them there thi those to two up us wa we were "
    "what when which who will with would year you"
)
_COMMON = frozenset(_COMMON_STEMS.split())

Part = tuple[tuple[str, ...], frozenset[int]]  # phrase tokens, the columns they may sit in
Alternative = tuple[Part, ...]  # all parts must match


def compile_watch(
    text: str, *, expand: Callable[[str], Iterable[str]] | None = None, aliases: bool = True
) -> Query:
    """Validate a watch query and widen it through the taxonomy's alias table, as search does
    (Yizhuang also fires on 亦庄); `expand(word)` replaces that table, `aliases=False` drops it."""
    if len(text or "") > MAX_LENGTH:
        raise QueryError(
            f"a watch query is at most {MAX_LENGTH} characters (this one has {len(text)})",
            hint=f"keep the words that matter, {_EXAMPLE}",
        )
    try:
        query = parse_query(text)
    except QueryError as error:
        raise QueryError(str(error), hint=_EXAMPLE) from None
    if query.since or query.before:
        raise QueryError(
            "`since:` and `before:` mean nothing for a watch: it sees every new story",
            hint=f"drop the date, {_EXAMPLE}",
        )
    if query.notes:
        raise QueryError(f"a watch must be used as written, but {query.notes[0]}", hint=_EXAMPLE)
    if expand is None and aliases:  # search's alias table: a watch fires where search finds
        return expand_query(query, bundled_aliases())
    if expand is not None:
        groups = []
        for group in query.groups:
            options = list(group)
            for word in group:
                options.extend(c for c in map(_clean_term, expand(word)) if c)
            groups.append(tuple(dict.fromkeys(options))[:MAX_ALIASES])
        query = replace(query, groups=tuple(groups))
    return query


def _clean_term(raw: str) -> str:
    """An alias cleaned as parse_query cleans a typed word."""
    kept = "".join(ch if ch.isalnum() or ch in "-'.&" else " " for ch in raw)
    return " ".join(w for w in (w.strip("-'.&") for w in kept.split()) if w)


@dataclass(frozen=True, slots=True)
class Watch:
    """A compiled watch: its query as token phrases, ready to verify against a story."""

    query: Query
    groups: tuple[tuple[Alternative, ...], ...]  # AND of groups, OR of alternatives
    tags: frozenset[str]  # tag keys (any of)

    def matches(self, terms: StoryTerms) -> bool:
        if self.tags and not self.tags & terms.facets:
            return False
        if self.query.sources and not any(
            source_matches(terms.story, s) for s in self.query.sources
        ):
            return False
        return all(
            any(all(terms.has_phrase(*part) for part in alt) for alt in group)
            for group in self.groups
        )


class Percolator:
    """Watches indexed by anchor terms; `match(story)` verifies only the watches it reaches.

    `frequency` (term -> how many stories hold it, e.g. the store's fts5vocab) picks the rarest
    anchors; without it a longer token counts as rarer.
    """

    def __init__(self, frequency: Mapping[str, float] | None = None) -> None:
        self.tokenizer = Tokenizer()
        self.watches: dict[Hashable, Watch] = {}
        self._anchors: dict[Hashable, tuple[str, ...]] = {}
        self._index: dict[str, set[Hashable]] = {}
        self._order: dict[Hashable, int] = {}
        self._sure: set[Hashable] = set()  # watches whose anchor alone decides: no verifying
        self._added = 0
        self._frequency = frequency
        self._lock = threading.RLock()  # ingest may match while a Slack command adds a watch

    def __len__(self) -> int:
        return len(self.watches)

    def compile(self, query: Query | str) -> Watch:
        if isinstance(query, str):
            query = compile_watch(query)
        groups = tuple(
            tuple(alt for alt in (self._alternative(text) for text in group) if alt)
            for group in query.groups
        )
        if any(not group for group in groups):
            raise QueryError(
                "a word of this watch can never match (no letters or digits search can index)",
                hint=_EXAMPLE,
            )
        return Watch(query, groups, frozenset(map(self.tokenizer.tag_key, query.tags)))

    def add(self, watch_id: Hashable, query: Query | str) -> Watch:
        watch = self.compile(query)
        with self._lock:
            self._add(watch_id, watch)
        return watch

    def _add(self, watch_id: Hashable, watch: Watch) -> None:
        self.remove(watch_id)
        anchors = self._pick_anchors(watch)
        self.watches[watch_id] = watch
        self._anchors[watch_id] = anchors
        self._order[watch_id] = self._added
        self._added += 1
        if _anchor_decides(watch):
            self._sure.add(watch_id)
        for key in anchors:
            self._index.setdefault(key, set()).add(watch_id)

    def reanchor(self, frequency: Mapping[str, float]) -> None:
        """Pick every watch's anchors again from term frequencies (e.g. the store's vocabulary)."""
        with self._lock:
            self._frequency = frequency
            watches, order = list(self.watches.items()), dict(self._order)
            for watch_id, watch in sorted(watches, key=lambda item: order[item[0]]):
                self._add(watch_id, watch)

    def remove(self, watch_id: Hashable) -> bool:
        with self._lock:
            if self.watches.pop(watch_id, None) is None:
                return False
            for key in self._anchors.pop(watch_id):
                ids = self._index[key]
                ids.discard(watch_id)
                if not ids:
                    del self._index[key]
            del self._order[watch_id]
            self._sure.discard(watch_id)
            return True

    def terms(self, story: Story) -> StoryTerms:
        return self.tokenizer.story(story)

    def match(self, story: Story | StoryTerms) -> list[Hashable]:
        """The watches the story fires, in the order they were added."""
        terms = story if isinstance(story, StoryTerms) else self.terms(story)
        index = self._index
        candidates: set[Hashable] = set()
        with self._lock:
            for key in terms.index_keys():
                found = index.get(key)
                if found:
                    candidates |= found
            sure, watches = self._sure, self.watches
            fired = [w for w in candidates if w in sure or watches[w].matches(terms)]
            return sorted(fired, key=self._order.__getitem__)

    def candidates(self, terms: StoryTerms) -> int:
        """How many watches a story reaches through the index (for the benchmark)."""
        return len(set().union(*(self._index.get(k, ()) for k in terms.index_keys())))

    def _alternative(self, text: str) -> Alternative:
        """A word or phrase as FTS5 parts: its latin phrase, each CJK run as bigrams."""
        parts: list[Part] = []
        latin = _CJK_RUN.sub(" ", text).split()
        if latin:
            parts.append((self.tokenizer.phrase(" ".join(latin)), TEXT_COLUMNS))
        for run in _CJK_RUN.findall(text):
            parts.append((self.tokenizer.phrase(cjk_bigrams(run)), _CJK_COLUMN))
        if any(not tokens for tokens, _ in parts):
            return ()  # FTS5: an empty phrase matches nothing, so neither does this word
        return tuple(parts)

    def _cost(self, token: str) -> float:
        if self._frequency is not None:
            return 1.0 + self._frequency.get(token, 0)
        if token in _COMMON:
            return 1.0
        weight = 4 if _CJK_RUN.match(token) else 1  # a CJK bigram is about as rare as 4 letters
        return 1.0 / (1 + weight * len(token))

    def _pick_anchors(self, watch: Watch) -> tuple[str, ...]:
        best: tuple[float, tuple[str, ...]] | None = None
        for group in watch.groups:
            anchors = tuple(
                min((t for tokens, _ in alt for t in tokens), key=self._cost) for alt in group
            )
            cost = sum(map(self._cost, anchors))
            if best is None or cost < best[0]:
                best = (cost, anchors)
        if best is not None:
            return tuple(dict.fromkeys(best[1]))
        if watch.tags:  # no words: the per-tag buckets ...
            return tuple(sorted(watch.tags))
        keys = set().union(*map(pattern_keys, watch.query.sources))  # ... or per-source ones
        return tuple(sorted(keys))


def _anchor_decides(watch: Watch) -> bool:
    """One group of single latin tokens and no filters: the anchors are the whole watch.

    (A CJK bigram may also stand alone in the title or body, where search would not see it, so
    CJK anchors are always verified.)
    """
    return (
        len(watch.groups) == 1
        and not watch.tags
        and not watch.query.sources
        and all(
            len(alt) == 1 and len(alt[0][0]) == 1 and alt[0][1] == TEXT_COLUMNS
            for alt in watch.groups[0]
        )
    )
