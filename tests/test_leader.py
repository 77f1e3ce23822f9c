"""Replicas on PostgreSQL: one leader by advisory lock, takeover when its session ends, every
replica delivering without posting a row twice (SKIP LOCKED claims, leases), /healthz role."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.health import Health
from bot.leader import FOLLOWER, LEADER, Leadership
from bot.route import ALERT, REALTIME, Delivery
from bot.store import Store, open_store
from bot.store.postgres.outbox import LEASE
from bot.store.sqlite.base import now_utc


def test_sqlite_is_always_the_leader(tmp_path: Path) -> None:
    leadership = Leadership(tmp_path / "h.db").start()
    assert leadership.role == LEADER and leadership.is_leader
    leadership.close()


def test_one_replica_leads_and_a_follower_takes_over_when_its_session_ends(pg_server) -> None:
    url = pg_server.database()
    elected: list[str] = []
    first = Leadership(url, retry=3600, on_elected=lambda: elected.append("first")).start()
    second = Leadership(url, retry=3600, on_elected=lambda: elected.append("second")).start()
    try:
        assert (first.role, second.role) == (LEADER, FOLLOWER)
        assert second.try_lead() is False  # the lock is held: still a follower
        first.close()  # a stop (kill -9 ends the session the same way)
        assert second.try_lead() is True and elected == ["first", "second"]
    finally:
        first.close()
        second.close()


def test_a_leader_whose_session_was_killed_steps_down(pg_server) -> None:
    url = pg_server.database()
    first = Leadership(url, retry=3600).start()
    second = Leadership(url, retry=3600).start()
    try:
        assert first.is_leader
        pid = first._conn.info.backend_pid
        admin = open_store(url)
        admin._pg("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # ends the session, waits
        admin.close()
        assert second.try_lead() is True
        assert first.try_lead() is False and first.role == FOLLOWER  # noticed, no split brain
    finally:
        first.close()
        second.close()


def _queued(store, *keys: str) -> list[int]:
    store.enqueue([Delivery("C1", key, ALERT, None, REALTIME) for key in keys])
    return [row.id for row in store.outbox_rows()]


def test_a_row_another_replica_is_claiming_is_skipped_not_waited_for(pg_server) -> None:
    url = pg_server.database()
    one, two = open_store(url), open_store(url)
    try:
        ids = _queued(one, "a", "b")
        with one.transaction() as db:  # replica one is in the middle of its claim of "a"
            db.pg.execute("SELECT id FROM outbox WHERE id = %s FOR UPDATE", (ids[0],))
            assert two.mark_posting(ids[:1], now_utc()) is False  # at once, nothing claimed
            assert two.mark_posting(ids[1:], now_utc()) is True  # other rows are free
        assert one.mark_posting(ids[:1], now_utc()) is True
        assert two.mark_posting(ids[:1], now_utc()) is False  # claimed once only
    finally:
        one.close()
        two.close()


def test_only_rows_whose_lease_ran_out_are_in_doubt(pg_server) -> None:
    store = open_store(pg_server.database())
    try:
        ids = _queued(store, "live", "dead")
        now = now_utc()
        store.mark_posting(ids[:1], now)  # a live replica posting now
        store.mark_posting(ids[1:], now - LEASE - timedelta(seconds=1))  # one that died
        assert [row.story_key for row in store.in_doubt()] == ["dead"]
    finally:
        store.close()


@pytest.mark.parametrize(("role", "polls_ok"), [("leader", False), ("follower", True)])
def test_healthz_says_the_role_and_judges_polls_only_on_the_leader(role: str, polls_ok: bool):
    store = Store(":memory:")
    health = Health(store, lambda: True, lambda: None, stale_after=timedelta(0), role=lambda: role)
    health.started -= timedelta(hours=1)  # no poll for an hour
    ok, details = health()
    assert details["role"] == role and details["checks"]["polls"] is polls_ok and ok is polls_ok
    store.close()


def test_a_new_leader_rebuilds_its_dedup_window_from_the_database(tmp_path: Path) -> None:
    """Stories the old leader stored after this replica started are copies-checked against."""
    from bot import config
    from bot.pipeline import Pipeline
    from bot.story import Source, Story

    from conftest import seed

    cfg = config.load(None, environ={})
    path = tmp_path / "h.db"
    mine, theirs = Store(path), Store(path)  # two replicas on one database
    pipeline = Pipeline(cfg, mine)
    try:
        headline, body = seed("original")
        now = now_utc()
        original = Story(
            key="orig",
            url="https://a.example/1",
            title=headline,
            source=Source("a", "A", "a.example"),
            published=now,
            content=body,
        )
        theirs.save(original)  # stored by the old leader
        copy = original.with_(
            key="copy", url="https://b.example/2", source=Source("b", "B", "b.example")
        )
        assert pipeline.deduper.check(copy) is None  # this replica's window never saw it
        assert pipeline.reload_window() == 1
        found = pipeline.deduper.check(copy)
        assert found is not None and found.original_key == "orig"
    finally:
        pipeline.close()
        mine.close()
        theirs.close()
