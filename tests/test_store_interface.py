"""open_store picks the backend from its target; every store answers the same interface."""

from __future__ import annotations

import inspect
from pathlib import Path

from bot.store import SqliteStore, Store, StoreAPI, is_postgres_url, open_store
from bot.store.interface import StoriesStore


def test_a_path_opens_the_sqlite_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "h.db")
    try:
        assert isinstance(store, SqliteStore) and store.backend == "sqlite"
        assert store.ping() == "ok"
    finally:
        store.close()
    assert (tmp_path / "h.db").exists()
    assert Store is SqliteStore  # `from bot.store import Store` stays the SQLite store


def test_a_closed_store_pings_error_and_never_raises() -> None:
    store = open_store(":memory:")
    store.close()
    assert store.ping() == "error"


def test_the_sqlite_store_implements_every_method_of_the_interface() -> None:
    wanted = {
        name
        for klass in StoreAPI.__mro__
        if klass.__module__ == "bot.store.interface"
        for name, _ in inspect.getmembers(klass, inspect.isfunction)
        if not name.startswith("_")
    }
    assert {"transaction", "ping", "close", "save", "search", "enqueue"} <= wanted
    assert StoriesStore in StoreAPI.__mro__
    missing = {name for name in wanted if not callable(getattr(SqliteStore, name, None))}
    assert not missing


def test_postgres_urls_are_told_from_paths() -> None:
    assert is_postgres_url("postgresql://hubnews@db/hubnews")
    assert is_postgres_url("postgres://db/hubnews")
    assert not is_postgres_url("hubnews.db")
    assert not is_postgres_url(Path("postgresql:/x"))
