"""What only the PostgreSQL store does: open by URL (config, --db, HUBNEWS_DB), migrate once,
classify errors by SQLSTATE, keep user text out of SQL. Behaviour shared with SQLite is tested
on both backends in test_store.py, test_store_feedback.py, test_watching.py, test_deliver.py."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import StoreError
from bot.query import parse_query
from bot.store import open_store
from bot.store.postgres import PostgresStore
from bot.store.postgres.base import pg_sql
from bot.store.postgres.db import connect_raw, migrate, migrations, redact, schema_version
from bot.store.postgres.pools import _window
from bot.store.postgres.search import tsquery
from bot.story import Source, Story


def story(key: str, title: str, body: str) -> Story:
    return Story(
        key=key,
        url=f"https://x.example/{key}",
        title=title,
        source=Source("feed", "Feed", "x.example"),
        published=datetime(2026, 11, 30, tzinfo=UTC),
        description=body,
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("WHERE a = :name AND b::text = :b2", "WHERE a = %(name)s AND b::text = %(b2)s"),
        ("WHERE a LIKE '%?:x' AND b = ?", "WHERE a LIKE '%%?:x' AND b = %s"),
        ("SELECT 100 % 7", "SELECT 100 %% 7"),
    ],
)
def test_placeholders_are_rewritten_outside_string_literals(sql: str, expected: str) -> None:
    assert pg_sql(sql) == expected


def test_open_store_opens_postgresql_for_a_url(pg_server) -> None:
    store = open_store(pg_server.database())
    try:
        assert isinstance(store, PostgresStore) and store.backend == "postgres"
        assert store.ping() == "ok"
        store.save(story("k1", "Yizhuang AI hub", "Beijing tech park"))
        assert store.count_stories() == 1
    finally:
        store.close()
    assert store.ping() == "error"  # closed: reported, never raised


def test_migrations_run_once_even_when_replicas_start_together(pg_server) -> None:
    url = pg_server.empty_database()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            with connect_raw(url) as conn:
                migrate(conn)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with connect_raw(url) as conn:
        assert schema_version(conn) == len(migrations())
        count = conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
        assert count is not None and count[0] == len(migrations())


def test_a_missing_database_is_a_store_error_with_the_next_step(pg_server) -> None:
    url = pg_server.url_of("no_such_database")
    with pytest.raises(StoreError) as caught:
        PostgresStore(url)
    assert "createdb" in caught.value.hint


def test_an_unreachable_server_is_a_store_error_with_the_next_step() -> None:
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "check the URL" in caught.value.hint
    assert "secret" not in str(caught.value)


def test_passwords_never_reach_messages() -> None:
    assert redact("postgresql://u:pw@h:5/db") == "postgresql://u:***@h:5/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_read_only_refuses_an_unmigrated_database(pg_server) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(pg_server.empty_database(), read_only=True)
    assert "--dry-run" in caught.value.hint


def test_a_read_only_store_cannot_write(pg_server) -> None:
    url = pg_server.database()
    open_store(url).close()
    reader = open_store(url, read_only=True)
    try:
        with pytest.raises(StoreError) as caught:
            reader.save(story("k", "t", "b"))
        assert "25006" in str(caught.value) and "read-only" in caught.value.hint
    finally:
        reader.close()


@pytest.mark.parametrize(
    "text",
    ["'; DROP TABLE stories; --", "a & b | !c", "x:* <-> y", "a\\b ''", "%s %(x)s", ":name ?"],
)
def test_user_text_is_never_sql_or_tsquery_syntax(pg_server, text: str) -> None:
    store = PostgresStore(pg_server.database())
    try:
        store.save(story("k", f"About {text} and more", "body"))
        store.search(parse_query(text))  # never raises
        assert store.count_stories() == 1  # nothing dropped
    finally:
        store.close()


def test_cli_search_takes_a_postgresql_url_by_db_and_by_environment(
    pg_server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.database()
    store = open_store(url)
    store.save(story("k1", "Yizhuang becomes an AI hub", "Beijing tech park pledges"))
    store.save(story("k2", "Weather report", "Sunny, with Yizhuang mentioned in passing"))
    store.close()
    config_file = tmp_path / "c.toml"
    config_file.write_text("")
    assert main(["search", "--config", str(config_file), "--db", url, "--json", "Yizhuang"]) == 0
    keys = [json.loads(line)["key"] for line in capsys.readouterr().out.splitlines()]
    assert keys == ["k1", "k2"]  # the title match first
    monkeypatch.setenv("HUBNEWS_DB", url)
    assert main(["search", "--config", str(config_file), "--json", "weather"]) == 0
    assert [json.loads(x)["key"] for x in capsys.readouterr().out.splitlines()] == ["k2"]


def test_the_newest_matches_are_collected_window_by_window_back_to_the_first(pg_server) -> None:
    """The candidate pool walks back from the newest id in windows (a window of 20 ids here):
    it stops once it holds the pool, and reports when it holds every match."""
    store = PostgresStore(pg_server.database())
    try:
        with store.transaction():
            for n in range(1, 101):
                word = "lithium" if n in (5, 50, 90) else "cobalt"
                store.save(story(f"k{n}", f"Mine {n}", f"A {word} mine."))
        ids = {r["key"]: r["id"] for r in store._rows("SELECT key, id FROM stories")}
        params: dict[str, object] = {"now": "2026-12-01T00:00:00Z"}
        match = f"({tsquery(parse_query('lithium'), params)})"

        def newest(column: str, pool: int) -> tuple[list[int], bool]:
            rows, every = store._newest(column, match, "", params, pool, span=20)
            return [r.id for r in rows], every

        assert newest("search", 2) == ([ids["k90"], ids["k50"]], False)
        assert newest("search", 5) == ([ids["k90"], ids["k50"], ids["k5"]], True)
        assert newest("title_search", 5) == ([], True)
        # each kind of step: ids in (lo, hi] by the GIN bitmap or by the primary key, or
        # every id up to hi (the rest at once)
        expect = {
            "window": [ids["k90"], ids["k50"]],
            "scan": [ids["k90"], ids["k50"]],
            "rest": [ids["k90"], ids["k50"], ids["k5"]],
        }
        for how, want in expect.items():
            step = {**params, "lo": ids["k5"], "hi": ids["k95"], "need": 3}
            assert [r["id"] for r in store._rows(_window("search", match, "", how), step)] == want
    finally:
        store.close()


def test_migration_003_fills_the_search_columns_of_stories_stored_before_it(pg_server) -> None:
    url = pg_server.empty_database()
    with connect_raw(url) as conn:
        conn.execute(migrations()[0][2].encode("utf-8"))
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        conn.execute("INSERT INTO schema_migrations (version) VALUES (1)")
        times = (("p", "2026-11-30T10:00:00Z"), ("f", None), ("bad", "garbage"))
        for n, (key, published) in enumerate(times, 1):
            conn.execute(
                "INSERT INTO stories (id, key, url, title, feed, source_title, domain, "
                "published, first_seen, cluster_id, search) VALUES (%s, %s, '', 'Lithium mine', "
                "'f', 'F', 'x', %s, '2026-11-29T08:00:00Z', %s, "
                "setweight(to_tsvector('english', 'Lithium mine'), 'A') || "
                "setweight(to_tsvector('english', 'cobalt body'), 'C'))",
                (n, key, published, n),
            )
    store = open_store(url)
    try:
        rows = {
            r["key"]: (r["at"], r["t"])
            for r in store._rows("SELECT key, at, title_search::text AS t FROM stories")
        }
        assert rows == {
            "p": (datetime(2026, 11, 30, 10, tzinfo=UTC), "'lithium':1A 'mine':2A"),
            "f": (datetime(2026, 11, 29, 8, tzinfo=UTC), "'lithium':1A 'mine':2A"),
            "bad": (datetime(2026, 11, 29, 8, tzinfo=UTC), "'lithium':1A 'mine':2A"),
        }
        [kept] = store._rows(  # the vectors are kept in the row, not in the TOAST table
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'stories'::regclass AND attname = 'search'"
        )
        assert kept["attstorage"] == "m"
    finally:
        store.close()
