"""Full-text search over stored stories: one hit per cluster, relevance weighed by recency.

Ranking: FTS5 bm25 with the title weighted 8x the body (CJK bigrams 4x), multiplied by a
recency factor 1 / (1 + age_in_days / 90), so a story three months old needs twice the textual
relevance of today's to rank level with it. Copies are folded into their cluster: the cluster
is ranked by its best-matching member and shown by its first story.

Candidates: the NEWEST_POOL most recently stored matches plus the TITLE_POOL most recent title
matches; only they are scored, so a search costs O(pool) rather than O(matches) — about 10x
less than plain bm25 over every match at a million stories (bench/search.py). An old story
matching only in its body, behind 2,000 newer matches, is not on the first page; when the pool
leaves too few hits (a selective filter, a deep page), every match is scored.

Every user word reaches FTS5 as a quoted string, so no query text is ever FTS or SQL syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz, process

from bot.aliases import bundled_aliases, expand_query
from bot.query import Query
from bot.store.sqlite.base import StoreBase, utc_text
from bot.store.sqlite.stories import _CJK_RUN, cjk_bigrams, facet, story_from_row
from bot.story import Story

MARK_START, MARK_END = "\x02", "\x03"  # around matched words in snippets; renderers style them
_BM25 = "bm25(stories_fts, 8.0, 1.0, 4.0, 0.0)"  # title, body, cjk, facets (no weight)
RECENCY_DAYS = 90.0  # a story this many days old needs twice the text score (both backends)
_RECENCY = (
    "(1.0 + MAX(0.0, julianday(:now) - COALESCE(julianday(s.published), "
    f"julianday(s.first_seen), julianday(:now))) / {RECENCY_DAYS})"
)  # a stored date SQLite cannot read counts as the first-seen time (never a NULL rank)
NEWEST_POOL = 2000  # the newest matches are the candidates (rowid grows with arrival) ...
TITLE_POOL = 400  # ... with the newest title matches, however old the newest 2,000 reach


@dataclass(frozen=True, slots=True)
class Hit:
    story: Story  # the cluster's first story
    snippet: str  # text around the match, matched words between MARK_START and MARK_END
    rank: float  # lower is better (bm25 convention)
    sources: int  # how many stories the cluster holds


class SearchMixin(StoreBase):
    def search(
        self, query: Query, *, limit: int = 5, offset: int = 0, now: datetime | None = None
    ) -> list[Hit]:
        """Hits for the words as typed first, then those only their other names find (the
        taxonomy's alias table: 亦庄 also finds Yizhuang and Beijing E-Town; bot/aliases.py)."""
        widened = expand_query(query, bundled_aliases())
        if widened is query:
            return self._search(query, limit=limit, offset=offset, now=now)
        typed = self._search(query, limit=offset + limit, offset=0, now=now)
        more = self._search(widened, limit=offset + limit + len(typed), offset=0, now=now)
        shown = {hit.story.key for hit in typed}
        return [*typed, *(h for h in more if h.story.key not in shown)][offset : offset + limit]

    def _search(
        self, query: Query, *, limit: int = 5, offset: int = 0, now: datetime | None = None
    ) -> list[Hit]:
        params: dict[str, Any] = {
            "now": utc_text(now or datetime.now(UTC)),
            "limit": limit,
            "offset": offset,
        }
        match = fts_expression(query)
        where = _filters(query, params, tags_in_match=match is not None)
        if match:
            tags = _tag_clause(query.tags)  # tags narrow the full-text match itself
            params["match"] = f"({match}) AND {tags}" if tags else match
            title = fts_expression(query, "title") or match
            params["title_match"] = f"({title}) AND {tags}" if tags else title
            rows = []
            if offset + limit <= TITLE_POOL // 4:  # first try: a bounded pool of candidates
                rows = self._rows(_ranked(_BOUNDED_POOL, where), params)
            if len(rows) < limit:  # too few (or a deep page): every match is considered,
                # the filters joined into the scan so only the survivors are scored
                rows = self._rows(_ranked(_full_pool(where), ""), params)
        else:  # filters only: the newest clusters first
            rows = self._rows(
                "SELECT s.cluster_id AS cluster, MAX(s.id) AS id, 0.0 AS rank FROM stories s "
                f"WHERE 1 {where} GROUP BY s.cluster_id "
                "ORDER BY MAX(COALESCE(s.published, s.first_seen)) DESC "
                "LIMIT :limit OFFSET :offset",
                params,
            )
        return [self._hit(r["cluster"], r["id"], r["rank"], match, query.words) for r in rows]

    def _hit(
        self, cluster: int, matched_id: int, rank: float, match: str | None, words: list[str]
    ) -> Hit:
        first = self._one("SELECT * FROM stories WHERE id = ?", (cluster,))
        size = self._one("SELECT COUNT(*) AS n FROM stories WHERE cluster_id = ?", (cluster,))
        text = ""
        if match:
            row = self._one(
                f"SELECT snippet(stories_fts, 1, '{MARK_START}', '{MARK_END}', '…', 24) AS t, "
                "body FROM stories_fts WHERE stories_fts MATCH ? AND rowid = ?",
                (match, matched_id),
            )
            if row:
                text = row["t"] if MARK_START in (row["t"] or "") else _around(row["body"], words)
        assert first is not None
        story = story_from_row(first)
        if not text:  # no snippet: the cluster's fullest text (a full article after its teaser)
            fullest = self._one(
                "SELECT * FROM stories WHERE cluster_id = ? "
                "ORDER BY MAX(LENGTH(content), LENGTH(description)) DESC, id LIMIT 1",
                (cluster,),
            )
            shown = story_from_row(fullest) if fullest else story
            text = (shown.summary or shown.body)[:200]
        return Hit(
            story=story, snippet=text, rank=float(rank), sources=int(size["n"]) if size else 1
        )

    def suggest(self, word: str) -> str | None:
        """The indexed word closest to a word that found nothing ("Yizuang" -> "yizhuang")."""
        if not word or _CJK_RUN.search(word):
            return None
        lowered = word.lower()
        rows = self._rows(
            "SELECT term FROM stories_vocab WHERE term >= ? AND term < ? ",
            (lowered[:1], lowered[:1] + "\uffff"),
        )
        best = process.extractOne(
            lowered, [r["term"] for r in rows], scorer=fuzz.ratio, score_cutoff=75
        )
        return best[0] if best and best[0] != lowered else None


_FULL_POOL = f"SELECT rowid AS id, {_BM25} AS b FROM stories_fts WHERE stories_fts MATCH :match"


def _full_pool(where: str) -> str:
    if not where:
        return _FULL_POOL
    return (
        f"SELECT s.id AS id, {_BM25} AS b FROM stories_fts JOIN stories s "
        f"ON s.id = stories_fts.rowid WHERE stories_fts MATCH :match {where}"
    )


# The newest matches and the newest title matches, each scored: FTS5 walks a term's rows
# newest first and computes bm25 only for the rows it returns, so this costs O(pool), not
# O(matches). (A title match scored on the title alone scores a little higher: intended.)
_BOUNDED_POOL = (
    f"SELECT id, MIN(b) AS b FROM (SELECT * FROM ({_FULL_POOL} ORDER BY rowid DESC "
    f"LIMIT {NEWEST_POOL}) UNION ALL SELECT * FROM (SELECT rowid AS id, {_BM25} AS b "
    f"FROM stories_fts WHERE stories_fts MATCH :title_match ORDER BY rowid DESC "
    f"LIMIT {TITLE_POOL})) GROUP BY id"
)


def _ranked(pool: str, where: str) -> str:
    """Candidates from `pool`, filtered, folded into clusters, ranked by bm25 times recency."""
    return (
        f"WITH pool AS MATERIALIZED ({pool}), "
        f"m AS (SELECT s.cluster_id AS cluster, s.id AS id, pool.b / {_RECENCY} AS r "
        f"FROM pool JOIN stories s ON s.id = pool.id WHERE 1 {where}) "
        "SELECT cluster, id, MIN(r) AS rank FROM m GROUP BY cluster "
        "ORDER BY rank LIMIT :limit OFFSET :offset"
    )


def _around(body: str, words: list[str], width: int = 90) -> str:
    """A snippet around the first literal occurrence of a query word (CJK, title-only hits)."""
    lowered = body.lower()
    for word in words:
        at = lowered.find(word.lower())
        if at >= 0:
            start, end = max(0, at - width), min(len(body), at + len(word) + width)
            return (
                ("…" if start else "")
                + body[start:at]
                + MARK_START
                + body[at : at + len(word)]
                + MARK_END
                + body[at + len(word) : end]
                + ("…" if end < len(body) else "")
            )
    return ""


def fts_expression(query: Query, columns: str = "{title body}") -> str | None:
    """The FTS5 MATCH string for the query's words: every word quoted, CJK as bigram phrases."""
    clauses = []
    for group in query.groups:
        options = [_phrase(text, columns) for text in group]
        options = [o for o in options if o]
        if options:
            clauses.append("(" + " OR ".join(options) + ")")
    return " AND ".join(clauses) or None


def _phrase(text: str, columns: str) -> str:
    parts = []
    latin = _CJK_RUN.sub(" ", text).split()
    if latin:
        parts.append(f"{columns} : " + _quote(" ".join(latin)))
    for run in _CJK_RUN.findall(text):
        parts.append("cjk : " + _quote(cjk_bigrams(run)))
    return " AND ".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _tag_clause(tags: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"facets : {_quote(facet(t))}" for t in tags) + ")" if tags else ""


def _filters(query: Query, params: dict[str, Any], *, tags_in_match: bool) -> str:
    where = []
    if query.tags and not tags_in_match:
        names = [f":tag{i}" for i in range(len(query.tags))]
        params.update({f"tag{i}": t for i, t in enumerate(query.tags)})
        where.append(f"s.id IN (SELECT story_id FROM story_tags WHERE tag IN ({', '.join(names)}))")
    if query.sources:
        alternatives = []
        for i, source in enumerate(query.sources):
            params[f"src{i}"] = source
            params[f"srcdot{i}"] = "%." + re.sub(r"([%_\\])", r"\\\1", source)
            alternatives.append(
                f"lower(s.feed) = :src{i} OR lower(s.source_title) = :src{i} "
                f"OR s.domain = :src{i} OR s.domain LIKE :srcdot{i} ESCAPE '\\'"
            )
        where.append("(" + " OR ".join(alternatives) + ")")
    if query.since:
        params["since"] = utc_text(query.since)
        where.append("COALESCE(s.published, s.first_seen) >= :since")
    if query.before:
        params["before"] = utc_text(query.before)
        where.append("COALESCE(s.published, s.first_seen) < :before")
    return "".join(" AND " + clause for clause in where)
