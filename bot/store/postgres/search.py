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
    TITLE_POOL,
    Hit,
    SearchMixin,
    _around,
    _filters,
)
from bot.store.sqlite.stories import _CJK_RUN, cjk_bigrams, story_from_row

_RANK = "ts_rank('{{0.0, 0.2, 0.4, 1.0}}', s.search, {0})"  # weights D, C, B, A
_RECENCY = (  # `at`: published, else first seen (migration 002); neither readable: now
    "(1.0 + GREATEST(0.0, EXTRACT(EPOCH FROM (CAST(:now AS timestamptz) - "
    "COALESCE(s.at, CAST(:now AS timestamptz)))) / 86400.0) / 90.0)"
)
WINDOW = 10  # the first id window holds the newest pool * WINDOW stories
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
        words = tsquery(query, params)
        match = f"({words})" if words else None  # (&& and || bind looser than @@)
        where = _filters(query, params, tags_in_match=False)
        with self.transaction():  # one round trip less per statement, one snapshot
            if match:
                rows: list[Any] = []
                every = False
                if offset + limit <= TITLE_POOL // 4:  # first try: bounded candidate pools
                    ids, every = self._newest("search", match, where, params, NEWEST_POOL)
                    titles, _ = self._newest("title_search", match, where, params, TITLE_POOL)
                    rows = self._rows(
                        _ranked(match, "s.id = ANY(:ids)"), {**params, "ids": ids + titles}
                    )
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
            return [
                self._pg_hit(r["cluster"], r["id"], r["rank"], match, params, query.words)
                for r in rows
            ]

    def _newest(
        self,
        column: str,
        match: str,
        where: str,
        params: dict[str, Any],
        pool: int,
        span: int = 0,
    ) -> tuple[list[int], bool]:
        """The ids of the `pool` newest stories whose `column` matches (and the filters), and
        whether they are every match. Ids grow with arrival; the walk goes back from the newest
        in id windows, each a GIN match AND'ed with a primary-key range (a bitmap), so a
        frequent word costs its newest rows, not all of them; each next window is sized by the
        density of matches found so far."""
        top = self._rows("SELECT COALESCE(MAX(id), 0) AS n FROM stories")[0]["n"]
        sql = (
            f"SELECT s.id FROM stories s WHERE s.{column} @@ {match} "
            f"AND s.id > :lo AND s.id <= :hi {where} ORDER BY s.id DESC LIMIT :need"
        )
        found: list[int] = []
        hi, span = int(top), span or pool * WINDOW
        while True:
            lo = max(0, hi - span)
            got = [
                r["id"]
                for r in self._rows(sql, {**params, "lo": lo, "hi": hi, "need": pool - len(found)})
            ]
            found += got
            if len(found) >= pool or lo == 0:
                return found, len(found) < pool
            wanted = (pool - len(found)) * span / max(1, len(got)) * 1.25
            hi, span = lo, int(min(span * 16, max(span * 2, wanted)))

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
