"""Stories and watch phrases as search sees them: FTS5's own tokens, positions and facets.

A watch must fire exactly when `/hubnews` would find the story, so the text is not tokenised by
an imitation: it goes through SQLite's FTS5 tokenizer itself (`porter unicode61
remove_diacritics 2`, the store's) on a private in-memory table, with the same three columns
the store writes (title, body, CJK bigrams of both) and read back through `fts5vocab`. A story
costs one insert, one read and one delete (~0.3 ms for a BBC article); phrase tokens are cached.

Positions are `column * _SPAN + offset`, so a phrase never runs from the title into the body.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.store.stories import cjk_bigrams, facet
from bot.story import Story

TITLE, BODY, CJK = 0, 1, 2
TEXT_COLUMNS = frozenset({TITLE, BODY})
_SPAN = 1 << 32
_COLUMNS = {"title": TITLE, "body": BODY, "cjk": CJK}
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class StoryTerms:
    """One story, tokenised once: term -> positions, plus its tag and source keys."""

    story: Story
    positions: dict[str, frozenset[int]]
    facets: frozenset[str]  # tag_key(...) of each tag, source_keys(...) of the story

    def keys(self) -> set[str]:
        return self.positions.keys() | self.facets

    def has_phrase(self, tokens: tuple[str, ...], columns: frozenset[int]) -> bool:
        """Do `tokens` occur consecutively in one of `columns` (FTS5 phrase semantics)?"""
        if not tokens:
            return False  # FTS5: an empty phrase matches nothing
        first = self.positions.get(tokens[0])
        if not first:
            return False
        rest = [self.positions.get(t) for t in tokens[1:]]
        if not all(rest):
            return False
        for start in first:
            if start // _SPAN in columns and all(
                start + i in found  # type: ignore[operator]
                for i, found in enumerate(rest, 1)
            ):
                return True
        return False


class Tokenizer:
    """FTS5's tokenizer as a function. Thread-safe (one lock around the private table)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, cjk, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._lock = threading.Lock()
        self._phrases: dict[str, tuple[str, ...]] = {}

    def _instances(self, title: str, body: str, cjk: str) -> list[tuple[str, str, int]]:
        with self._lock:
            self._db.execute(
                "INSERT INTO t (rowid, title, body, cjk) VALUES (1, ?, ?, ?)", (title, body, cjk)
            )
            try:
                return self._db.execute("SELECT term, col, offset FROM v").fetchall()
            finally:
                self._db.execute("DELETE FROM t WHERE rowid = 1")

    def phrase(self, text: str) -> tuple[str, ...]:
        """The tokens FTS5 makes of a quoted phrase, in order ("Subsidies" -> ("subsidi",))."""
        found = self._phrases.get(text)
        if found is None:
            rows = sorted(self._instances(text, "", ""), key=lambda row: row[2])
            found = tuple(term for term, _, _ in rows)
            if len(self._phrases) >= _CACHE_LIMIT:
                self._phrases.clear()
            self._phrases[text] = found
        return found

    def story(self, story: Story) -> StoryTerms:
        positions: dict[str, set[int]] = {}
        for term, col, offset in self._instances(
            story.title, story.body, cjk_bigrams(f"{story.title}\n{story.body}")
        ):
            positions.setdefault(term, set()).add(_COLUMNS[col] * _SPAN + offset)
        facets = {self.tag_key(tag.id) for tag in story.tags} | source_keys(story)
        return StoryTerms(
            story, {t: frozenset(p) for t, p in positions.items()}, frozenset(facets)
        )

    def tag_key(self, tag: str) -> str:
        """A tag as search's facet token (case, '-' and '_' ignored, porter-stemmed)."""
        return "\x00tag:" + " ".join(self.phrase(facet(tag.lower())))


def source_keys(story: Story) -> set[str]:
    """Keys under which a `source:` pattern can name this story (see route.source_matches)."""
    keys = {_source_key(story.source.feed), _source_key(story.source.title)}
    for host in (story.source.domain, _host_of(story.url)):
        labels = bare_host(host).split(".")
        keys.update(_source_key(".".join(labels[i:])) for i in range(len(labels) - 1))
    return keys


def pattern_keys(pattern: str) -> set[str]:
    """Keys a `source:` pattern is indexed under: as written and as a bare host."""
    return {_source_key(pattern), _source_key(bare_host(pattern))}


def _source_key(text: str) -> str:
    return "\x00source:" + text.strip().lower()


def bare_host(text: str) -> str:
    host = text.strip().lower().rstrip(".")
    if "://" in host:
        host = _host_of(host)
    return host.removeprefix("www.")


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""
