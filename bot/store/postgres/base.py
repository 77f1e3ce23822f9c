"""What every part of the PostgreSQL store shares: a connection pool, transactions that nest per
thread, parameter style, and error translation.

The role mixins of `bot.store.sqlite` hold the Python around the SQL; where their SQL is plain
standard SQL it runs here too, its `?` and `:name` placeholders rewritten to psycopg's `%s` and
`%(name)s` (outside string literals; the values always travel as parameters). Every statement
whose dialect differs (upserts, full-text search, identity columns) is overridden by the
PostgreSQL mixins in this package, in PostgreSQL's own SQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool

from bot.errors import StoreError
from bot.store.postgres.db import connect_raw, describe, migrate, migrations, redact, schema_version
from bot.store.sqlite.base import StoreBase

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """`?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%`, leaving string literals alone."""
    parts = _LITERAL.split(sql)
    for i in range(0, len(parts), 2):
        part = parts[i].replace("%", "%%").replace("?", "%s")
        parts[i] = _NAMED.sub(r"%(\1)s", part)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


class Row(dict[str, Any]):
    """A row readable by column name and by position, like sqlite3.Row."""

    __slots__ = ("_values",)

    def __init__(self, names: Sequence[str], values: Sequence[Any]) -> None:
        super().__init__(zip(names, values, strict=True))
        self._values = tuple(values)

    def __getitem__(self, key: Any) -> Any:
        return self._values[key] if isinstance(key, int) else dict.__getitem__(self, key)


def row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = [c.name for c in cursor.description or ()]
    return lambda values: Row(names, values)


class Db:
    """A connection inside a transaction, with sqlite3's call shape (`execute`, `executemany`)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.pg = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self.pg.execute(pg_sql(sql), params or None)

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.pg.cursor()
        rows = list(rows)
        if rows:
            cursor.executemany(pg_sql(sql), rows)
        return cursor


class PgBase(StoreBase):
    """A pool of connections to one PostgreSQL database, shared by the service's threads."""

    backend = "postgres"

    def __init__(self, url: str, *, read_only: bool = False, pool_size: int = 4) -> None:
        self.url = url
        self.path = redact(url)
        self.read_only = read_only
        self._local = threading.local()
        self._check_schema(read_only)
        options = "-c default_transaction_read_only=on" if read_only else None
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": row_factory, "options": options or ""},
            open=False,
            name="hubnews",
        )
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:
            self._pool.close()
            raise StoreError(
                f"database {self.path}: cannot open connections ({exc})",
                hint="cannot reach PostgreSQL: check the URL, that the server runs, the network",
            ) from None

    def _check_schema(self, read_only: bool) -> None:
        with connect_raw(self.url) as conn:
            try:
                if not read_only:
                    migrate(conn)
                elif schema_version(conn) < len(migrations()):
                    raise StoreError(
                        f"{self.path} was written by an older hubnews (or is empty) and cannot "
                        "be upgraded read-only",
                        hint="run it once without --dry-run (hubnews poll --once) to upgrade it",
                    )
            except psycopg.Error as exc:
                raise describe(exc, self.path) from None

    # ------------------------------------------------------------ connection life

    def backup(self, target: Any) -> Any:
        raise StoreError(
            "hubnews backup copies SQLite files; this database is PostgreSQL",
            hint=f"use pg_dump: pg_dump --format=custom --file=BACKUP '{self.path}'",
        )

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> str:
        try:
            with self._pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception:
            return "error"
        return "ok"

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A transaction on one pooled connection; nested calls (same thread) join it."""
        current: Db | None = getattr(self._local, "db", None)
        if current is not None:
            yield current
            return
        try:
            with self._pool.connection() as conn, conn.transaction():
                self._local.db = Db(conn)
                try:
                    yield self._local.db
                finally:
                    self._local.db = None
        except psycopg.Error as exc:
            raise describe(exc, self.path) from None

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self.transaction() as db:
            return list(db.execute(sql, params).fetchall())

    def _write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        with self.transaction() as db:
            return db.execute(sql, params)

    def _pg(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[Any]:
        """PostgreSQL's own SQL (`%s` placeholders), outside or inside a transaction."""
        with self.transaction() as db:
            cursor = db.pg.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
