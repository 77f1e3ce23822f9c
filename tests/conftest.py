"""Shared fixtures: real inputs, an in-memory store, and a clean environment for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store, StoreAPI

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
FEEDPARSER = FIXTURES / "feedparser"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# read before `clean_env` removes HUBNEWS_* from each test's environment
REQUIRE_POSTGRES = os.environ.get("HUBNEWS_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's Slack secrets or config."""
    import os

    for name in list(os.environ):
        if name.startswith("SLACK_") or name.startswith("HUBNEWS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def store() -> Store:
    db = Store(":memory:")
    yield db
    db.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throwaway PostgreSQL server for the session (tests/pg_server.py). Without PostgreSQL
    binaries its tests skip, saying how to enable them; with HUBNEWS_REQUIRE_POSTGRES=1 (CI)
    they fail instead."""
    from pg_server import HOW_TO_ENABLE, PgServer, binaries

    found = binaries()
    if found is None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"HUBNEWS_REQUIRE_POSTGRES=1 but {HOW_TO_ENABLE.split(': ', 1)[1]}")
        pytest.skip(HOW_TO_ENABLE)
    server = PgServer(found)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL tests skipped: the test server did not start ({exc})")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest) -> Iterator[StoreAPI]:
    """The same store tests on both backends: SQLite in memory, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        made: StoreAPI = Store(":memory:")
    else:
        from bot.store.postgres import PostgresStore

        made = PostgresStore(request.getfixturevalue("pg_server").database())
    yield made
    made.close()


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus (material that may not be copied into the repo); skips when absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (it sits beside the repo in CI)")
    return CORPUS


def seed(name: str) -> tuple[str, str]:
    """(headline, body) of a seed article: 'original' (000) or 'copy' (001)."""
    file = {"original": "000_fb14683d7b6d4548.txt", "copy": "001_69f3e0fecde67706.txt"}[name]
    headline, _, body = (SEEDS / file).read_text(encoding="utf-8").partition("\n")
    return headline, body


from fakes.slack_api import slack_api  # noqa: E402,F401  (the loopback Slack Web API fixture)
