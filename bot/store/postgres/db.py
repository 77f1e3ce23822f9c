"""The PostgreSQL connection: numbered migrations and errors classified by SQLSTATE.

Migrations are the files `migrations/NNN_name.sql`, each applied in its own transaction;
`schema_migrations` records the last one. Replicas starting together serialise on an advisory
lock, so a migration runs once. Errors become StoreError by SQLSTATE class (psycopg.errors),
never by message text.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors

from bot.config import shown_database
from bot.errors import StoreError

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
MIGRATION_LOCK = 0x6875_626E_6577_7301  # pg_advisory_xact_lock key while migrating ("hubnews")


def redact(url: str) -> str:
    """The URL with its password replaced, for logs and messages."""
    return shown_database(url)


def migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("bot.store.postgres.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations are not numbered 001.. without gaps: {numbers}")
    return found


def connect_raw(url: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """One autocommit connection (migrations, tests, the leader's lock)."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, **kwargs)
    except psycopg.Error as exc:
        if exc.sqlstate is None and _server_answers(url):
            # libpq gives no SQLSTATE for a refused connection: try the server's own database
            raise StoreError(
                f"database {redact(url)}: the server answers but this database cannot be opened",
                hint="create it (createdb NAME) or fix its name in the URL; check the user's "
                "CONNECT right on it",
            ) from None
        raise describe(exc, redact(url)) from None


def _server_answers(url: str) -> bool:
    parts = urlsplit(url)
    if parts.path.strip("/") == "postgres":
        return False
    try:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=5):
            return True
    except psycopg.Error:
        return False


def schema_version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").fetchone()
    if not row or not _first(row):
        return 0
    found = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(_first(found)) if found else 0


def _first(row: Any) -> Any:
    return row[0] if isinstance(row, tuple | list) else next(iter(row.values()))


def migrate(conn: psycopg.Connection[Any]) -> None:
    """Apply every migration newer than the database's version (idempotent, concurrent-safe)."""
    for number, name, sql in migrations():
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                if schema_version(conn) >= number:
                    continue
                conn.execute(sql.encode("utf-8"))
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (number,))
        except psycopg.Error as exc:
            raise StoreError(
                f"database migration {name} failed: {exc}",
                hint="restore the last backup (pg_dump) or report this as a bug",
            ) from None


_HINTS: tuple[tuple[type[psycopg.Error], str], ...] = (
    (errors.InvalidCatalogName, "create the database (createdb NAME) or fix its name in the URL"),
    (errors.InvalidAuthorizationSpecification, "check the user and password in the URL"),
    (errors.InvalidPassword, "check the user and password in the URL"),
    (errors.InsufficientPrivilege, "grant this user rights on the database (GRANT … TO user)"),
    (errors.DiskFull, "free disk space on the PostgreSQL server; nothing was written"),
    (errors.TooManyConnections, "raise max_connections or run fewer replicas; then retry"),
    (errors.ReadOnlySqlTransaction, "this connection is read-only (a standby or --dry-run)"),
    (errors.SerializationFailure, "another replica changed the same rows; retry"),
    (errors.DeadlockDetected, "another replica changed the same rows; retry"),
    (errors.LockNotAvailable, "another process holds the database; stop it or wait, then retry"),
    (errors.AdminShutdown, "the PostgreSQL server is shutting down; retry when it is back"),
    (errors.DataCorrupted, "the database is damaged: restore it from a backup (pg_dump)"),
)


def describe(exc: psycopg.Error, where: str) -> StoreError:
    """Turn a PostgreSQL error into a StoreError with the operator's next step."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    state = exc.sqlstate or ""
    hint = next((h for kind, h in _HINTS if isinstance(exc, kind)), None)
    if hint is None:
        if state.startswith("08") or (not state and isinstance(exc, psycopg.OperationalError)):
            hint = "cannot reach PostgreSQL: check the URL, that the server runs, the network"
        elif state.startswith("53"):
            hint = "the PostgreSQL server is out of resources (disk, memory, connections)"
        else:
            hint = "see the PostgreSQL message; the transaction was rolled back"
    return StoreError(f"database {where}: {text}" + (f" [{state}]" if state else ""), hint=hint)
