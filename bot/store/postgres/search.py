"""Full-text search on PostgreSQL: the same query language, ranking and folding as SQLite's.

The `search` column (migration 001) weighs the title A, the summary B and the body C; CJK text
is indexed as character bigrams, so a two-character Chinese word is one bigram. A query becomes
a tsquery built from its shape alone: each word or phrase is a parameter of
`phraseto_tsquery` (Latin, 'english') or of `phraseto_tsquery('simple', bigrams)` (CJK), OR'd
within a group (`||`) and AND'ed across groups (`&&`); no user text is ever SQL or tsquery
syntax. Rank: ts_rank with weights A 1.0, B 0.4, C 0.2, divided by the same recency factor as
SQLite's, 1 + age_in_days / 90; lower is better (negated), copies folded into their cluster,
which is shown by its first story. Candidates: the NEWEST_POOL newest matches first, every
match when they leave too few hits. Alias expansion comes with `SearchMixin.search`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz, process

from bot.query import Query
from bot.store.postgres.base import PgBase
from bot.store.sqlite.base import utc_text
from bot.store.sqlite.search import (
    MARK_END,
    MARK_START,
    NEWEST_POOL,
    Hit,
    SearchMixin,
    _around,
    _filters,
)
from bot.store.sqlite.stories import _CJK_RUN, cjk_bigrams, story_from_row

_RANK = "ts_rank('{0.0, 0.2, 0.4, 1.0}', s.search, q.q)"  # weights D, C, B, A
_RECENCY = (  # a stored time PostgreSQL cannot read counts as the first-seen time
    "(1.0 + GREATEST(0.0, EXTRACT(EPOCH FROM (CAST(:now AS timestamptz) - COALESCE("
    "hubnews_time(s.published), hubnews_time(s.first_seen), CAST(:now AS timestamptz)))) "
    "/ 86400.0) / 90.0)"
)
HEADLINE_TEXT = 4000  # characters of the body a snippet is looked for in (ts_headline parses it)
_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, ShortWord=2"


def tsquery(query: Query, params: dict[str, Any]) -> str | None:
    """The tsquery expression for the query's words; the words go into `params`."""
    groups = []
    for group in query.groups:
        options = []
        for text in group:
            parts = []
            latin = _CJK_RUN.sub(" ", text).split()
            if latin:
                name = f"w{len(params)}"
                params[name] = " ".join(latin)
                parts.append(f"phraseto_tsquery('english', :{name})")
            for run in _CJK_RUN.findall(text):
                name = f"w{len(params)}"
                params[name] = cjk_bigrams(run)
                parts.append(f"phraseto_tsquery('simple', :{name})")
            if parts:
                options.append("(" + " && ".join(parts) + ")")
        if options:
            groups.append("(" + " || ".join(options) + ")")
    return " && ".join(groups) or None


class PgSearchMixin(SearchMixin, PgBase):
    def _search(
        self, query: Query, *, limit: int = 5, offset: int = 0, now: datetime | None = None
    ) -> list[Hit]:
        params: dict[str, Any] = {
            "now": utc_text(now or datetime.now(UTC)),
            "limit": limit,
            "offset": offset,
        }
        match = tsquery(query, params)
        where = _filters(query, params, tags_in_match=False)
        if match:
            rows = []
            if offset + limit <= 100:
                rows = self._rows(_ranked(match, where, NEWEST_POOL), params)
            if len(rows) < limit:
                rows = self._rows(_ranked(match, where, None), params)
        else:
            rows = self._rows(
                "SELECT s.cluster_id AS cluster, MAX(s.id) AS id, 0.0 AS rank FROM stories s "
                f"WHERE TRUE {where} GROUP BY s.cluster_id "
                "ORDER BY MAX(COALESCE(s.published, s.first_seen)) DESC "
                "LIMIT :limit OFFSET :offset",
                params,
            )
        return [
            self._pg_hit(r["cluster"], r["id"], r["rank"], match, params, query.words) for r in rows
        ]

    def _pg_hit(
        self,
        cluster: int,
        matched_id: int,
        rank: float,
        match: str | None,
        params: dict[str, Any],
        words: list[str],
    ) -> Hit:
        first = self._one("SELECT * FROM stories WHERE id = ?", (cluster,))
        size = self._one("SELECT COUNT(*) AS n FROM stories WHERE cluster_id = ?", (cluster,))
        text = ""
        if match:
            row = self._one(
                f"SELECT ts_headline('english', LEFT(s.body_text, {HEADLINE_TEXT}), {match}, "
                ":opts) AS t, "
                "s.body_text AS body FROM stories s WHERE s.id = :id",
                {**params, "opts": _HEADLINE, "id": matched_id},
            )
            if row:
                text = row["t"] if MARK_START in (row["t"] or "") else _around(row["body"], words)
        assert first is not None
        story = story_from_row(first)
        if not text:
            fullest = self._one(
                "SELECT * FROM stories WHERE cluster_id = ? "
                "ORDER BY GREATEST(LENGTH(content), LENGTH(description)) DESC, id LIMIT 1",
                (cluster,),
            )
            shown = story_from_row(fullest) if fullest else story
            text = (shown.summary or shown.body)[:200]
        return Hit(
            story=story, snippet=text, rank=float(rank), sources=int(size["n"]) if size else 1
        )

    def suggest(self, word: str) -> str | None:
        """The indexed word closest to a word that found nothing (ts_stat over the index)."""
        if not word or _CJK_RUN.search(word):
            return None
        lowered = word.lower()
        rows = self._rows(
            "SELECT word FROM ts_stat('SELECT search FROM stories') WHERE word >= ? AND word < ?",
            (lowered[:1], lowered[:1] + "\uffff"),
        )
        best = process.extractOne(
            lowered, [r["word"] for r in rows], scorer=fuzz.ratio, score_cutoff=75
        )
        return best[0] if best and best[0] != lowered else None


def _ranked(match: str, where: str, pool: int | None) -> str:
    """Matches (the newest `pool`, or all), filtered, folded into clusters, ranked. The pool is
    chosen by id alone (the GIN index, no ranking); only its rows are ranked."""
    newest = f"ORDER BY s.id DESC LIMIT {int(pool)}" if pool else ""
    return (
        f"WITH q AS MATERIALIZED (SELECT {match} AS q), "
        "pool AS MATERIALIZED (SELECT s.id FROM stories s, q "
        f"WHERE s.search @@ q.q {where} {newest}), "
        "m AS (SELECT s.cluster_id AS cluster, s.id AS id, "
        f"-{_RANK} / {_RECENCY} AS r FROM pool JOIN stories s ON s.id = pool.id, q) "
        "SELECT cluster, MIN(id) AS id, MIN(r) AS rank FROM ("
        "SELECT cluster, FIRST_VALUE(id) OVER (PARTITION BY cluster ORDER BY r, id) AS id, r "
        "FROM m) best GROUP BY cluster ORDER BY rank, cluster LIMIT :limit OFFSET :offset"
    )
