"""Full-text search on PostgreSQL: the same query language, ranking and folding as SQLite's.

The `search` column (migration 001) weighs the title A, the summary B and the body C; CJK text
is indexed as character bigrams, so a two-character Chinese word is one bigram. A query becomes
a tsquery built from its shape alone: each word or phrase is a parameter of
`phraseto_tsquery` (Latin, 'english') or of `phraseto_tsquery('simple', bigrams)` (CJK), OR'd
within a group (`||`) and AND'ed across groups (`&&`); no user text is ever SQL or tsquery
syntax. Rank: ts_rank with weights A 1.0, B 0.4, C 0.2, divided by the same recency factor as
SQLite's, 1 + age_in_days / 90 (age from the stored `at`, migration 003); lower is better
(negated), copies folded into their cluster, which is shown by its first story.

Candidates, as SQLite's: the NEWEST_POOL newest matches plus the TITLE_POOL newest title
matches (`title_search`, the title's part of `search`), filters applied; only they are ranked,
so a search costs O(pool), not O(matches). The newest are found by walking back from the
newest id (bot/store/postgres/pools.py), not by sorting every match; every match is ranked
only when the pools leave too few hits or for a deep page.
Alias expansion comes with `SearchMixin.search`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz, process

from bot.query import Query
from bot.store.postgres.pools import _RANK, _RECENCY, COMPOUND, PgPoolsMixin, _compound, _folded
from bot.store.sqlite.base import utc_text
from bot.store.sqlite.search import (
    MARK_END,
    MARK_START,
    TITLE_POOL,
    Hit,
    SearchMixin,
    _around,
    _filters,
)
from bot.store.sqlite.stories import _CJK_RUN, cjk_bigrams, story_from_row

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


class PgSearchMixin(SearchMixin, PgPoolsMixin):
    def _search(
        self, query: Query, *, limit: int = 5, offset: int = 0, now: datetime | None = None
    ) -> list[Hit]:
        params: dict[str, Any] = {
            "now": utc_text(now or datetime.now(UTC)),
            "limit": limit,
            "offset": offset,
        }
        words = tsquery(query, params)
        match = f"({words})" if words else None  # (&& and || bind looser than @@)
        where = _filters(query, params, tags_in_match=False)
        with self.transaction() as db:  # one snapshot, no BEGIN/COMMIT per statement
            # plans for the words given (a cached generic plan knows no word's frequency); no
            # parallel workers (starting them costs more than these plans' work saves)
            db.pg.execute(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )
            if match:
                rows: list[Any] = []
                every = False
                if offset + limit <= TITLE_POOL // 4:  # first try: bounded candidate pools
                    factor = COMPOUND if _compound(query) else 1.0
                    rows, every = self._pools(match, where, params, factor)
                    rows = _folded(rows)[offset : offset + limit]
                if len(rows) < limit and not every:  # too few (or a deep page): every match
                    rows = self._rows(_ranked(match, f"s.search @@ {match} {where}"), params)
            else:
                rows = self._rows(
                    "SELECT s.cluster_id AS cluster, MAX(s.id) AS id, 0.0 AS rank FROM stories s "
                    f"WHERE TRUE {where} GROUP BY s.cluster_id "
                    "ORDER BY MAX(COALESCE(s.published, s.first_seen)) DESC "
                    "LIMIT :limit OFFSET :offset",
                    params,
                )
            return self._pg_hits(rows, match, params, query.words)

    def _pg_hits(
        self, rows: list[Any], match: str | None, params: dict[str, Any], words: list[str]
    ) -> list[Hit]:
        """The hits for ranked (cluster, matched story) rows, in one statement: each cluster's
        first story, its size, and a snippet (ts_headline) from the story that matched."""
        if not rows:
            return []
        snippet = (
            f"ts_headline('english', LEFT(m.body_text, {HEADLINE_TEXT}), {match}, :opts)"
            if match
            else "NULL"
        )
        found = self._rows(
            "SELECT f.*, (SELECT COUNT(*) FROM stories c WHERE c.cluster_id = h.cluster) "
            f"AS hit_size, {snippet} AS hit_snippet, m.body_text AS hit_body "
            "FROM unnest(CAST(:clusters AS BIGINT[]), CAST(:matched AS BIGINT[])) "
            "WITH ORDINALITY AS h(cluster, matched, n) JOIN stories f ON f.id = h.cluster "
            "LEFT JOIN stories m ON m.id = h.matched ORDER BY h.n",
            {
                **params,
                "opts": _HEADLINE,
                "clusters": [r["cluster"] for r in rows],
                "matched": [r["id"] for r in rows],
            },
        )
        return [
            self._pg_hit(row, float(r["rank"]), match, words)
            for row, r in zip(found, rows, strict=True)
        ]

    def _pg_hit(self, row: Any, rank: float, match: str | None, words: list[str]) -> Hit:
        text = ""
        if match:
            headline = row["hit_snippet"] or ""
            text = headline if MARK_START in headline else _around(row["hit_body"] or "", words)
        story = story_from_row(row)
        if not text:  # no snippet: the cluster's fullest text (a full article after its teaser)
            fullest = self._one(
                "SELECT * FROM stories WHERE cluster_id = ? "
                "ORDER BY GREATEST(LENGTH(content), LENGTH(description)) DESC, id LIMIT 1",
                (row["id"],),
            )
            shown = story_from_row(fullest) if fullest else story
            text = (shown.summary or shown.body)[:200]
        return Hit(story=story, snippet=text, rank=rank, sources=int(row["hit_size"]))

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


def _ranked(match: str, candidates: str) -> str:
    """The candidates (a WHERE condition on `s`), folded into clusters, ranked: each cluster by
    its best-ranked story."""
    return (
        f"SELECT cluster, MIN(id) AS id, MIN(r) AS rank FROM ("
        "SELECT cluster, FIRST_VALUE(id) OVER (PARTITION BY cluster ORDER BY r, id) AS id, r "
        f"FROM (SELECT s.cluster_id AS cluster, s.id AS id, -{_RANK.format(match)} / {_RECENCY} "
        f"AS r FROM stories s WHERE {candidates}) m) best "
        "GROUP BY cluster ORDER BY rank, cluster LIMIT :limit OFFSET :offset"
    )
