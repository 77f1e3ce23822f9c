"""PostgreSQL search's candidate pools: the newest matches and the newest title matches, found
without reading every match, each ranked (ts_rank over the recency factor, as SQLite's bm25).

GIN has no newest-first order, so the walk goes back from the newest id in steps: a window (the
GIN match AND'ed with a primary-key range, one bitmap), the rest at once (the GIN match alone),
or a scan (the primary key walked back, each row tested). The first window is sized from the
planner's estimate of the matches; each next step is the cheapest by the density found so far
(COST, measured on bench/search.py's million stories). docs/BENCHMARKS.md has the figures.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import namedtuple_row

from bot.query import Query
from bot.store.postgres.base import PgBase, pg_sql
from bot.store.sqlite.search import NEWEST_POOL, RECENCY_DAYS, TITLE_POOL
from bot.store.sqlite.stories import _CJK_RUN

_RANK = "ts_rank('{{0.0, 0.2, 0.4, 1.0}}', s.search, {0})"  # weights D, C, B, A
_RECENCY = (  # `at`: published, else first seen (migration 003); neither readable: now
    "(1.0 + GREATEST(0.0, EXTRACT(EPOCH FROM (CAST(:now AS timestamptz) - "
    f"COALESCE(s.at, CAST(:now AS timestamptz)))) / 86400.0) / {RECENCY_DAYS})"
)
WINDOW, MAX_WINDOW = 10, 50  # a first id window holds pool * 10 to pool * 50 stories
AT_ONCE = 8  # up to pool * 8 expected matches are visited at once
COMPOUND = 4.0  # phrases and AND'ed words: the planner takes the words as independent, and
# underestimates their matches (by 2.6-4.4x on the bench's 1M stories)
# What a step of the walk costs, in microseconds (PostgreSQL 15, 2 cores, all cached): a GIN
# bitmap per match of the whole table, a primary-key bitmap per id of the range, a heap visit
# per match in it, a row tested while walking the primary key back
COST = {"gin": 0.15, "range": 0.1, "heap": 1.0, "scan": 1.4}


class PgPoolsMixin(PgBase):
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
