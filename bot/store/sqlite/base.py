"""What every part of the store shares: one connection, transactions, and error translation."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import StoreError
from bot.store.sqlite.db import MEMORY, connect, describe

log = logging.getLogger(__name__)
PROBE_BUSY = 0.2  # seconds ping's own connection waits for SQLite's write lock
_STAMP = re.compile(r"^(\d{1,4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$")


def utc_text(moment: datetime | None) -> str | None:
    """Timestamps are stored as ISO-8601 UTC text ('2020-10-15T11:00:00Z'), sortable as text."""
    if moment is None:
        return None
    m = moment.astimezone(UTC)  # the year padded by hand: glibc's %Y writes year 1 as "1"
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def from_utc_text(text: str | None) -> datetime | None:
    """The stored text back as a datetime; a value that is not one reads as None (logged),
    so one bad row never stops loading, search or `hubnews run`."""
    if not text:
        return None
    found = _STAMP.match(text)
    try:
        if found is None:
            raise ValueError("not YYYY-MM-DDTHH:MM:SSZ")
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        log.warning("event=bad_stored_time value=%r error=%s", text[:40], exc)
        return None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class StoreBase:
    """One SQLite connection guarded by a lock (the scheduler and Slack threads share it)."""

    backend = "sqlite"

    def __init__(self, path: str | Path = MEMORY, *, read_only: bool = False) -> None:
        self.path = str(path)
        self._db = connect(self.path, read_only=read_only)
        self._lock = threading.RLock()
        self._depth = 0

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of the database, taken online (SQLite's backup API)."""
        destination = Path(target).expanduser()
        if destination.exists():
            raise StoreError(
                f"backup target {destination} already exists",
                hint="choose a new file name; hubnews never overwrites a backup",
            )
        destination.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(destination)
        try:
            with self._lock:
                self._db.backup(copy)
        except sqlite3.Error as exc:
            destination.unlink(missing_ok=True)
            raise describe(exc, str(destination)) from None
        finally:
            copy.close()
        return destination

    def ping(self) -> str:
        """ "ok" when the database answers and a writer could start now, "busy" when another
        process holds the write lock past PROBE_BUSY, "error" otherwise; never raises."""
        try:
            self.queue_length()  # type: ignore[attr-defined]  # the own connection reads
            if self.path == MEMORY:
                with self.transaction():
                    return "ok"
            uri = Path(self.path).expanduser().resolve().as_uri() + "?mode=rw"
            conn = sqlite3.connect(uri, uri=True, timeout=PROBE_BUSY, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            finally:
                conn.close()
        except (sqlite3.Error, StoreError) as exc:
            text = str(exc).lower()
            return "busy" if "locked" in text or "busy" in text else "error"
        except Exception:  # a closed store raises ProgrammingError's kin; report, never raise
            return "error"
        return "ok"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (nested calls join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield self._db
                finally:
                    self._depth = 0
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise describe(exc, self.path) from None
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise describe(exc, self.path) from None

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self.transaction() as db:
            return db.execute(sql, params)
