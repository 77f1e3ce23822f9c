"""The store: every SQL statement of hubnews lives in this package and nowhere else.

    interface.py   the Protocols the rest of hubnews uses (StoreAPI and one per role)
    sqlite/        SQLite, one file per database (the default; `Store` is this one)
    postgres/      PostgreSQL, for several replicas on one database (docs: README "Scale out")

`open_store(target)` opens the right one: a `postgresql://…` URL gives the PostgreSQL store,
anything else is a SQLite file path (":memory:" for a throwaway database).
"""

from __future__ import annotations

from pathlib import Path

from bot.config import is_postgres_url
from bot.store.interface import StoreAPI
from bot.store.sqlite import CopyVerdict, FeedStatus, Hit, Mute, SqliteStore, Verdict, Watch

Store = SqliteStore  # `from bot.store import Store`: the SQLite store, as before

__all__ = [
    "CopyVerdict",
    "FeedStatus",
    "Hit",
    "Mute",
    "SqliteStore",
    "Store",
    "StoreAPI",
    "Verdict",
    "Watch",
    "is_postgres_url",
    "open_store",
]


def open_store(target: str | Path, *, read_only: bool = False) -> StoreAPI:
    """The store at `target`: a PostgreSQL URL or a SQLite path (created and migrated)."""
    if is_postgres_url(target):
        from bot.store.postgres import PostgresStore  # psycopg is loaded only when used

        return PostgresStore(str(target), read_only=read_only)
    return SqliteStore(target, read_only=read_only)
