"""Stories and watch phrases as search sees them: FTS5's own tokens, positions and facets.

A watch must fire exactly when `/hubnews` would find the story, so the text is not tokenised by
an imitation: every chunk of text goes through SQLite's FTS5 tokenizer itself (`porter unicode61
remove_diacritics 2`, the store's) on a private in-memory table, read back through `fts5vocab`,
with the same three columns the store writes (title, body, CJK bigrams of both). To keep a
story cheap, its text is first cut at characters FTS5 itself confirmed to be separators (tried
one by one when the tokenizer is made), and each distinct chunk ("Subsidies", "café's") is
tokenised once and cached; FTS5 splits text at separators, so the result is the same.

Positions are `column * _SPAN + offset`, so a phrase never runs from the title into the body.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.store.sqlite.stories import cjk_bigrams, facet
from bot.story import Story

TITLE, BODY, CJK = 0, 1, 2
TEXT_COLUMNS = frozenset({TITLE, BODY})
_SPAN = 1 << 32
_CACHE_LIMIT = 200_000
_SEPARATOR_CANDIDATES = "".join(
    chr(c)
    for block in (
        (0x09, 0x7F),
        (0xA0, 0xC0),
        (0xD7, 0xD8),
        (0xF7, 0xF8),
        (0x2000, 0x2070),
        (0x20A0, 0x20C1),
        (0x3000, 0x3004),
        (0xFF01, 0xFF10),
    )
    for c in range(*block)
    if not chr(c).isalnum()
)


@dataclass(frozen=True, slots=True)
class StoryTerms:
    """One story, tokenised once: term -> positions, plus its tag and source keys."""

    story: Story
    positions: dict[str, frozenset[int]]
    facets: frozenset[str]  # tag_key(...) of each tag, source_keys(...) of the story

    def index_keys(self) -> set[str]:
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
            "CREATE VIRTUAL TABLE t USING fts5(text, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, ...]] = {}
        separators = [c for c in _SEPARATOR_CANDIDATES if self.phrase(f"a{c}b") == ("a", "b")]
        self._chunk = re.compile("[^" + "".join(map(re.escape, separators)) + "]+")

    def phrase(self, text: str) -> tuple[str, ...]:
        """The tokens FTS5 makes of a text, in order ("Subsidies" -> ("subsidi",)); cached."""
        found = self._cache.get(text)
        if found is None:
            with self._lock:
                self._db.execute("INSERT INTO t (rowid, text) VALUES (1, ?)", (text,))
                try:
                    rows = self._db.execute("SELECT term, offset FROM v").fetchall()
                finally:
                    self._db.execute("DELETE FROM t WHERE rowid = 1")
            found = tuple(term for term, _ in sorted(rows, key=lambda row: row[1]))
            if len(self._cache) >= _CACHE_LIMIT:  # bounded, for a long-running bot
                self._cache.clear()
            self._cache[text] = found
        return found

    def tokens(self, text: str) -> list[str]:
        """FTS5's tokens of a long text: cut at separators, each chunk tokenised once."""
        found: list[str] = []
        cache = self._cache
        for chunk in self._chunk.findall(text):
            tokens = cache.get(chunk)
            found.extend(self.phrase(chunk) if tokens is None else tokens)
        return found

    def story(self, story: Story) -> StoryTerms:
        positions: dict[str, set[int]] = {}
        columns = (story.title, story.body, cjk_bigrams(f"{story.title}\n{story.body}"))
        for column, text in enumerate(columns):
            base = column * _SPAN
            for offset, term in enumerate(self.tokens(text), base):
                found = positions.get(term)
                if found is None:
                    positions[term] = {offset}
                else:
                    found.add(offset)
        facets = {self.tag_key(tag.id) for tag in story.tags} | source_keys(story)
        return StoryTerms(story, {t: frozenset(p) for t, p in positions.items()}, frozenset(facets))

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
