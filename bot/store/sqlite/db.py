"""The SQLite connection: WAL, foreign keys, busy timeout, and numbered migrations.

Migrations are the files `migrations/NNN_name.sql`, applied in order inside a transaction each;
`PRAGMA user_version` records the last one applied. A new table or column is a new file, never
an edit of an old one.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

from bot.errors import StoreError

MEMORY = ":memory:"
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) for every bundled migration, in order."""
    found = []
    for entry in resources.files("bot.store.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations are not numbered 001.. without gaps: {numbers}")
    return found


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at `path` (":memory:" for tests)."""
    target = str(path)
    try:
        if target != MEMORY and not read_only:
            Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
        uri = _read_only_uri(target) if read_only else target
        conn = sqlite3.connect(
            uri, uri=read_only, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        if target != MEMORY and not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        if not read_only:
            migrate(conn)
        elif conn.execute("PRAGMA user_version").fetchone()[0] < len(migrations()):
            conn.close()
            raise StoreError(
                f"{target} was written by an older hubnews and cannot be upgraded read-only",
                hint="run it once without --dry-run (hubnews poll --once) to upgrade it",
            )
        return conn
    except sqlite3.DatabaseError as exc:
        raise describe(exc, target) from None


def _read_only_uri(target: str) -> str:
    """Read without creating anything: with no -wal file (no writer) the file is opened
    immutable, so SQLite does not create -wal/-shm files beside it either."""
    file = Path(target).expanduser().resolve()
    quiet = "" if Path(f"{file}-wal").exists() else "&immutable=1"
    return f"{file.as_uri()}?mode=ro{quiet}"


def migrate(conn: sqlite3.Connection) -> None:
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, name, sql in migrations():
        if number <= current:
            continue
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{_strip_transactions(sql)}\n"
                f"PRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"database migration {name} failed: {exc}",
                hint="restore the last backup or report this as a bug",
            ) from None


def _strip_transactions(sql: str) -> str:
    # Each migration runs inside the one transaction `migrate` wraps around it.
    return re.sub(r"^\s*(BEGIN|COMMIT)\b.*$", "", sql, flags=re.MULTILINE | re.IGNORECASE)


def describe(exc: sqlite3.Error, where: str) -> StoreError:
    """Turn a SQLite error into a StoreError with the operator's next step."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        hint = "another process holds the database; stop it or wait, then retry"
    elif "full" in lowered:
        hint = "free disk space (or raise the filesystem quota); nothing was written"
    elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        hint = "the file is damaged: restore it from a backup (hubnews backup) or move it aside"
    elif "readonly" in lowered or "unable to open" in lowered:
        hint = "check that the database folder exists and is writable by this user"
    else:
        hint = "see the SQLite message; the database was left unchanged"
    return StoreError(f"database {where}: {text}", hint=hint)
