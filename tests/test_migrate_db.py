"""hubnews migrate-db: every table from SQLite to PostgreSQL, re-runnable, counts verified."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.query import parse_query
from bot.route import ALERT, REALTIME, THREAD, Delivery
from bot.store import Store, open_store
from bot.store.postgres import PostgresStore
from bot.store.postgres.copy import TABLES, copy_database
from bot.store.sqlite.base import now_utc
from bot.story import Match, Source, Story, Tag

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def story(key: str, title: str, body: str, duplicate_of: str | None = None) -> Story:
    match = Match(duplicate_of, "near", {"jaccard": 0.9}, {"jaccard": 0.8}, "same text")
    return Story(
        key=key,
        url=f"https://x.example/{key}",
        title=title,
        source=Source("scmp-tech", "SCMP Tech", "scmp.com"),
        published=NOW - timedelta(hours=ord(key[0]) - 96),  # a: 1 h ago, b: 2 h …
        description=body,
        tags=(Tag("ai", 0.9),),
        duplicate=match if duplicate_of else None,
    )


def filled(path: Path) -> None:
    """A SQLite database with a row in every table."""
    store = Store(path)
    store.ensure_feed("scmp-tech", "https://scmp.example/feed")
    store.save(story("a", "Yizhuang becomes an AI hub", "北京亦庄 pledges AI"))
    store.save(story("b", "Yizhuang AI hub, again", "北京亦庄 pledges AI", duplicate_of="a"))
    store.save(story("c", "Another copy", "text", duplicate_of="a"))
    store.split_copy("c", "U1")
    store.add_route("#ai", ("ai",), "U1")
    store.set_channel_id("#ai", "C0AI")
    store.enqueue(
        [Delivery("C1", "a", ALERT, None, REALTIME), Delivery("C1", "b", THREAD, "a", REALTIME)]
    )
    rows = store.outbox_rows()
    store.mark_posting([rows[0].id], now_utc())
    store.mark_posted([rows[0].id], "1.0001", now_utc())
    store.toggle_vote("a", "relevant", "U1", tags=("ai",), channel="C1")
    store.reset_tuning("C1", "U2")
    watch = store.add_watch("U1", "Yizhuang")
    store.record_hit(watch.id, "a", "a")
    store.mute("U1", "source", "scmp.com", None)
    store.snooze("C1", now_utc() + timedelta(hours=1), "U2")
    store.close()
    with sqlite3.connect(path) as conn:
        for table in TABLES:
            assert conn.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0] > 0, table


def test_every_table_is_copied_and_behaves_the_same(
    pg_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = tmp_path / "h.db", pg_server.database()
    filled(path)
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 0
    assert "counts verified" in capsys.readouterr().out
    old, new = Store(path), open_store(url)
    try:
        for query in ("Yizhuang", "亦庄", "tag:ai"):
            assert [h.story.key for h in new.search(parse_query(query), now=NOW)] == [
                h.story.key for h in old.search(parse_query(query), now=NOW)
            ]
        assert new.outbox_rows() == old.outbox_rows()  # states, ts, attempts as they were
        assert new.vote_counts("a", "C1") == (1, 0) and new.slack_routes() == old.slack_routes()
        assert new.watches("U1") == old.watches("U1") and new.mutes("U1") == old.mutes("U1")
        assert new.channel_id("#ai") == "C0AI" and new.copy_verdicts() == old.copy_verdicts()
        assert new.watch_version() == old.watch_version()
        assert new.add_watch("U2", "chips").id > max(w.id for w in old.watches())  # ids go on
    finally:
        old.close()
        new.close()


def test_an_interrupted_copy_is_finished_by_running_it_again(pg_server, tmp_path: Path) -> None:
    path, url = tmp_path / "h.db", pg_server.database()
    filled(path)

    def interrupt(table: str, _rows: int) -> None:
        if table == "routes":
            raise KeyboardInterrupt

    target = PostgresStore(url)
    with sqlite3.connect(path) as source, pytest.raises(KeyboardInterrupt):
        copy_database(source, target, interrupt)
    target.close()
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 0
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 0  # and again: no change


def test_a_target_holding_other_rows_is_refused_with_a_clear_message(
    pg_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = tmp_path / "h.db", pg_server.database()
    filled(path)
    busy = open_store(url)
    busy.save(story("z", "Already in PostgreSQL", "a row the SQLite file does not have"))
    busy.close()
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 1
    message = capsys.readouterr().err
    assert "stories: 1 rows not from this file" in message and "empty" in message
    check = open_store(url)
    assert check.count_stories() == 1  # nothing was copied over the foreign row
    check.close()


def test_counts_that_still_differ_after_the_copy_exit_1(
    pg_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = tmp_path / "h.db", pg_server.database()
    filled(path)
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 0
    with sqlite3.connect(path) as conn:  # hubnews ran on the file meanwhile: a snooze ended
        conn.execute("DELETE FROM snoozes")
    assert main(["migrate-db", "--from", str(path), "--to", url]) == 1
    assert "snoozes: 0 in SQLite, 1 in PostgreSQL" in capsys.readouterr().err


def test_the_target_must_be_a_postgresql_url(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    Store(path).close()
    assert main(["migrate-db", "--from", str(path), "--to", str(tmp_path / "x.db")]) == 2


# Tables migrate-db leaves behind, and why: a new table must be copied or named here.
NOT_COPIED = {
    "channel_pace": "when each channel may next be posted to: seconds-long pacing state",
    "watch_version": "a counter, raised to the source's value after the tables",
    "schema_migrations": "each backend numbers its own migrations",
    "stories_vocab": "SQLite's full-text vocabulary, a view of its index: PostgreSQL has its own",
}


def test_every_sqlite_table_is_copied_or_left_with_a_reason(tmp_path: Path) -> None:
    Store(tmp_path / "h.db").close()
    with sqlite3.connect(tmp_path / "h.db") as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'stories_fts%'"
            )
        }
    copied = {table.name for table in TABLES}
    assert tables - copied - set(NOT_COPIED) == set()
