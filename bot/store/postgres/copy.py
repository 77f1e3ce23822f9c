"""`hubnews migrate-db`: copy a SQLite database into PostgreSQL, table by table.

Every row is upserted by its natural key (a story by `key`, an outbox row by channel, story
and kind, a vote by story, channel and user …), with the SQLite ids kept (clusters, tags,
watch hits and tuning resets refer to them), so an interrupted copy is simply run again. The
search column is computed from each story as `save` does. At the end the row counts of every
table are compared: `Mismatch` names the tables that differ.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.store.postgres.base import PgBase
from bot.store.postgres.stories import SEARCH_VECTOR, search_fields
from bot.store.sqlite.stories import story_from_row

BATCH = 500


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    conflict: str  # the natural key, as ON CONFLICT's target
    update: bool = True  # refresh the row when it is there already (else keep it)
    order: str = "rowid"


# In dependency order: stories before their tags, watches before their hits.
TABLES = (
    Table("feeds", "(name)"),
    Table("stories", "(key)"),
    Table("story_tags", "(tag, story_id)", update=False, order="story_id, tag"),  # no rowid
    Table("feedback", "(id)", update=False),
    Table("routes", "(channel, tags)", update=False),
    Table("votes", '(story_key, channel, "user")'),
    Table("tuning_resets", "(channel)"),
    Table("copy_verdicts", "(id)", update=False),
    Table("outbox", "(channel, story_key, kind)"),
    Table("slack_channels", "(name)"),
    Table("watches", "(id)"),
    Table("watch_hits", "(watch_id, cluster_key)", update=False),
    Table("mutes", '("user", kind, value)'),
    Table("snoozes", "(channel)"),
)


class Mismatch(Exception):
    def __init__(self, differences: dict[str, tuple[int, int]]) -> None:
        self.differences = differences
        super().__init__(
            ", ".join(f"{t}: {a} in SQLite, {b} in PostgreSQL" for t, (a, b) in differences.items())
        )


class Foreign(Exception):
    """The PostgreSQL database holds rows that did not come from this SQLite file."""

    def __init__(self, foreign: dict[str, int]) -> None:
        self.foreign = foreign
        super().__init__(", ".join(f"{t}: {n} rows not from this file" for t, n in foreign.items()))


def check_target(source: sqlite3.Connection, target: PgBase) -> None:
    """Refuse a target that holds rows of another origin (their ids would collide); rows of an
    earlier, interrupted copy of this file are fine."""
    foreign = {}
    for table in TABLES:
        if "id" not in _pg_columns(target, table.name) or table.name == "slack_channels":
            continue
        names = ", ".join(_quoted(c) for c in ["id", *sorted(_keys(table) - {"id"})])
        there = {tuple(r.values()) for r in target._pg(f"SELECT {names} FROM {table.name}")}
        if there:  # the same id must hold the same row (its natural key)
            here = {tuple(r) for r in source.execute(f"SELECT {names} FROM {table.name}")}
            if there - here:
                foreign[table.name] = len(there - here)
    if foreign:
        raise Foreign(foreign)


def _keys(table: Table) -> set[str]:
    return {c.strip().strip('"') for c in table.conflict.strip("()").split(",")}


def _quoted(column: str) -> str:
    return f'"{column}"'


def total_rows(source: sqlite3.Connection) -> int:
    return sum(_count(source, t.name) for t in TABLES)


def _count(source: sqlite3.Connection, table: str) -> int:
    return int(source.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _batches(source: sqlite3.Connection, table: Table) -> Iterator[list[sqlite3.Row]]:
    cursor = source.execute(f"SELECT * FROM {table.name} ORDER BY {table.order}")
    while rows := cursor.fetchmany(BATCH):
        yield rows


def copy_database(
    source: sqlite3.Connection, target: PgBase, progress: Callable[[str, int], object]
) -> dict[str, int]:
    """Copy every table; `progress(table, rows_done)` after each batch. Returns the counts."""
    check_target(source, target)
    source.row_factory = sqlite3.Row
    counts: dict[str, int] = {}
    for table in TABLES:
        columns = _pg_columns(target, table.name)
        for rows in _batches(source, table):
            present = [c for c in rows[0].keys() if c in columns]  # noqa: SIM118  (a Row)
            with target.transaction() as db:
                db.pg.cursor().executemany(
                    _upsert(table, present), [_values(table, row, present) for row in rows]
                )
            progress(table.name, len(rows))
        counts[table.name] = _count(source, table.name)
    with target.transaction() as db:
        n = source.execute("SELECT n FROM watch_version").fetchone()
        db.pg.execute("UPDATE watch_version SET n = GREATEST(n, %s)", (n[0] if n else 0,))
        identities = db.pg.execute(  # identities continue after the copied ids
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
            "AND is_identity = 'YES' AND table_schema = current_schema()"
        ).fetchall()
        for table in sorted(r["table_name"] for r in identities):
            db.pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
    return counts


def verify(source: sqlite3.Connection, target: PgBase) -> None:
    """Raise Mismatch when a table's row count differs between the two databases."""
    differences = {}
    for table in TABLES:
        want = _count(source, table.name)
        got = int(target._pg(f"SELECT COUNT(*) AS n FROM {table.name}")[0]["n"])
        if want != got:
            differences[table.name] = (want, got)
    if differences:
        raise Mismatch(differences)


def _pg_columns(target: PgBase, table: str) -> set[str]:
    rows = target._pg(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND table_schema = current_schema()",
        (table,),
    )
    return {r["column_name"] for r in rows} - {"seq", "search", "body_text"}


def _upsert(table: Table, columns: list[str]) -> str:
    names = ", ".join(_quoted(c) for c in columns)
    values = ", ".join(f"%({c})s" for c in columns)
    extra_names = extra_values = ""
    if table.name == "stories":
        extra_names, extra_values = ", search, body_text", f", {SEARCH_VECTOR}, %(body_text)s"
    keys = _keys(table)
    if table.update:
        sets = [f"{_quoted(c)} = excluded.{_quoted(c)}" for c in columns if c not in keys]
        if table.name == "stories":
            sets += ["search = excluded.search", "body_text = excluded.body_text"]
        action = "DO UPDATE SET " + ", ".join(sets) if sets else "DO NOTHING"
    else:
        action = "DO NOTHING"
    return (
        f"INSERT INTO {table.name} ({names}{extra_names}) VALUES ({values}{extra_values}) "
        f"ON CONFLICT {table.conflict} {action}"
    )


def _values(table: Table, row: sqlite3.Row, columns: list[str]) -> dict[str, Any]:
    values = {c: row[c] for c in columns}
    if table.name == "stories":
        story = story_from_row(row)
        values.update(search_fields(story), title=story.title, summary=story.summary)
    return values
