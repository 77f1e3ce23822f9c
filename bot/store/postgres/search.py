"""Full-text search on PostgreSQL: the same query language, ranking and folding as SQLite's.

The `search` column (migration 001) weighs the title A, the summary B and the body C; CJK text
is indexed as character bigrams, so a two-character Chinese word is one bigram. A query becomes
a tsquery built from its shape alone: each word or phrase is a parameter of
`phraseto_tsquery` (Latin, 'english') or of `phraseto_tsquery('simple', bigrams)` (CJK), OR'd
within a group (`||`) and AND'ed across groups (`&&`); no user text is ever SQL or tsquery
syntax. Rank: ts_rank with weights A 1.0, B 0.4, C 0.2, divided by the same recency factor as
SQLite's, 1 + age_in_days / 90 (age from the stored `at`, migration 002); lower is better
(negated), copies folded into their cluster, which is shown by its first story.

Candidates, as SQLite's: the NEWEST_POOL newest matches plus the TITLE_POOL newest title
matches (`title_search`, the title's part of `search`), filters applied; only they are ranked,
so a search costs O(pool), not O(matches). The newest are found by walking back from the
newest id in windows (GIN match AND primary-key range, one bitmap), not by sorting every
match; every match is ranked only when the pools leave too few hits or for a deep page.
Alias expansion comes with `SearchMixin.search`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg.rows import namedtuple_row
from rapidfuzz import fuzz, process

from bot.query import Query
from bot.store.postgres.base import PgBase, pg_sql
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
WINDOW, MAX_WINDOW = 10, 50  # a first id window holds pool * 10 to pool * 50 stories
AT_ONCE = 8  # up to pool * 8 expected matches are visited at once
COMPOUND = 4.0  # phrases and AND'ed words: the planner takes the words as independent, and
# underestimates their matches (by 2.6-4.4x on the bench's 1M stories)
# What a step of the walk costs, in microseconds (PostgreSQL 15, 2 cores, all cached): a GIN
# bitmap per match of the whole table, a primary-key bitmap per id of the range, a heap visit
# per match in it, a row tested while walking the primary key back
COST = {"gin": 0.15, "range": 0.1, "heap": 1.0, "scan": 1.4}
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

    def _pools(
        self, match: str, where: str, params: dict[str, Any], factor: float
    ) -> tuple[list[Any], bool]:
        """The newest NEWEST_POOL matches and the newest TITLE_POOL title matches, ranked, and
        whether they are every match. Title matches are matches: those among the newest are in
        the first pool already, so only older ones are looked for, and none when the first
        pool holds every match."""
        rows, every = self._newest("search", match, where, params, NEWEST_POOL, factor=factor)
        titles = TITLE_POOL - sum(1 for r in rows if r.t)
        if titles > 0 and not every:
            below = min(r.id for r in rows)
            older, _ = self._newest(
                "title_search", match, where, params, titles, below=below, factor=factor
            )
            rows += older
        return rows, every

    def _newest(
        self,
        column: str,
        match: str,
        where: str,
        params: dict[str, Any],
        pool: int,
        *,
        span: int = 0,
        below: int = 0,
        factor: float = 1.0,
    ) -> tuple[list[Any], bool]:
        """The `pool` newest stories whose `column` matches (and the filters), ranked, and
        whether they are every match. Ids grow with arrival: the walk goes back from the newest
        in id windows, each a GIN match AND'ed with a primary-key range (one bitmap), so a
        frequent word costs its newest rows, not all of them. Building a frequent word's GIN
        bitmap costs about as much as the rest, once per window, so the first window is sized
        from the planner's estimate of the matches (its statistics of the words) to hold the
        pool, and a rare word's matches are taken at once (the GIN match alone; `id + 0`
        keeps the id bound out of the index). Each next step takes what costs least by the
        density found so far (COST): another window, the rest at once, or a walk back along
        the primary key testing each row (no GIN bitmap: best when a few are missing)."""
        top = below - 1 if below else self._rows("SELECT MAX(id) AS n FROM stories")[0]["n"] or 0
        expected = 0.0
        if not span:
            plan = self._rows(
                f"EXPLAIN (FORMAT JSON) SELECT 1 FROM stories s WHERE s.{column} @@ {match}",
                params,
            )[0]["QUERY PLAN"]
            expected = max(1.0, float(plan[0]["Plan"]["Plan Rows"]) * factor)
            fill = pool * top / expected * 1.5  # ids that should hold the pool
            span = 0 if expected <= pool * AT_ONCE else int(max(pool * WINDOW, fill))
            span = min(span, pool * MAX_WINDOW)
        found: list[Any] = []
        hi, lo, how = top, max(0, top - span) if span else 0, "window"
        while True:
            if not lo:
                how = "rest"
            with self.transaction() as db:  # (named tuples: cheaper than rows by name)
                # window and rest: bitmaps only (a plain primary-key range scan looks cheaper to
                # the planner, and tests ten or twenty rows for each match); scan: the index
                db.pg.execute(_INDEX_SCANS, ("on" if how == "scan" else "off",))
                cursor = db.pg.cursor(row_factory=namedtuple_row)
                cursor.execute(
                    pg_sql(_window(column, match, where, how)),
                    {**params, "lo": lo, "hi": hi, "need": pool - len(found)},
                )
                found += cursor.fetchall()
                if len(found) >= pool or lo == 0:
                    db.pg.execute(_INDEX_SCANS, ("on",))
                    return found, len(found) < pool
            density = max(1, len(found)) / (top - lo)
            span = int((pool - len(found)) / density * 1.25) + 1
            costs = {  # microseconds, roughly (COST)
                "window": COST["gin"] * expected
                + COST["range"] * span
                + COST["heap"] * span * density,
                "rest": COST["gin"] * expected + COST["heap"] * density * lo,
                "scan": COST["scan"] * span,
            }
            how = min(costs, key=lambda k: costs[k])
            hi, lo = lo, 0 if how == "rest" else max(0, lo - span)

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


_INDEX_SCANS = "SELECT set_config('enable_indexscan', %s, true)"


def _window(column: str, match: str, where: str, how: str) -> str:
    """A step of the walk: the newest matches with ids in (:lo, :hi] (ids only, a narrow
    sort), then each ranked, and whether its title matches too. `how`: a GIN bitmap AND'ed
    with a primary-key range (window), the GIN bitmap alone (rest: every id up to :hi), or the
    primary key walked back testing each row (scan: COALESCE keeps the GIN index out). Window
    and rest run without plain index scans (_INDEX_SCANS) and fetch their rows back by one
    primary-key bitmap."""
    if how == "scan":
        return (
            f"SELECT s.id, s.cluster_id AS cluster, -{_RANK.format(match)} / {_RECENCY} AS r, "
            f"s.title_search @@ {match} AS t FROM (SELECT s.id FROM stories s "
            f"WHERE COALESCE(s.{column} @@ {match}, FALSE) AND s.id > :lo AND s.id <= :hi "
            f"{where} ORDER BY s.id DESC LIMIT :need) newest "
            "JOIN stories s ON s.id = newest.id ORDER BY s.id DESC"
        )
    bounds = "s.id > :lo AND s.id <= :hi" if how == "window" else "s.id + 0 <= :hi"
    return (
        f"WITH newest AS MATERIALIZED (SELECT s.id FROM stories s WHERE s.{column} @@ {match} "
        f"AND {bounds} {where} ORDER BY s.id DESC LIMIT :need) "
        f"SELECT s.id, s.cluster_id AS cluster, -{_RANK.format(match)} / {_RECENCY} AS r, "
        f"s.title_search @@ {match} AS t FROM stories s "
        "WHERE s.id = ANY(ARRAY(SELECT id FROM newest)) ORDER BY s.id DESC"
    )


def _compound(query: Query) -> bool:
    """Whether the query asks for several words together (AND'ed groups, a phrase)."""
    return len(query.groups) > 1 or any(
        len(text.split()) > 1 or any(len(run) > 2 for run in _CJK_RUN.findall(text))
        for text in query.words
    )


def _folded(rows: list[Any]) -> list[dict[str, Any]]:
    """Ranked candidates folded into clusters, best first: each cluster by its best-ranked
    story (ties: the lower id), clusters by rank, then by cluster id (as `_ranked`)."""
    best: dict[int, tuple[float, int]] = {}
    for row in rows:
        key = (float(row.r), int(row.id))
        if row.cluster not in best or key < best[row.cluster]:
            best[row.cluster] = key
    ordered = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
    return [{"cluster": c, "id": i, "rank": r} for c, (r, i) in ordered]


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
