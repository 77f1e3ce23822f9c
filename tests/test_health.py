"""Health: the database probe answers at once, off the caller's thread, and is cached."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from bot.health import Health, Metrics
from bot.store import Store


def names_of_probes() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "health-probe"]


def test_a_locked_database_is_reported_busy_not_waited_for(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        # The store's own connection would wait 5 s for the lock; the probe's waits 0.2 s, so
        # it is done well inside a 4 s patience and answers "busy" (not "timeout").
        ok, details = Health(store, lambda: True, lambda: None, probe_timeout=4.0)()
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()
    assert not ok and details["database"] == "busy" and details["status"] == "fail"


def test_a_stuck_probe_is_a_timeout_and_only_one_probe_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    release, held = threading.Event(), threading.Event()

    def hold_the_store() -> None:  # another thread of this process sits inside a transaction
        with store.transaction():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_store)
    holder.start()
    assert held.wait(10)
    health = Health(store, lambda: True, lambda: None, probe_timeout=0.05, cache_for=0)
    try:
        answers = [health()[1]["database"] for _ in range(3)]
        assert answers == ["timeout"] * 3
        assert len(names_of_probes()) == 1  # later calls wait on the probe in flight
    finally:
        release.set()
        holder.join(10)
    health.probe.timeout = 10.0
    assert health()[1]["database"] == "ok"
    store.close()


def test_the_answer_is_cached_for_a_few_seconds(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db")
    health = Health(store, lambda: True, lambda: None, cache_for=3600)
    assert health()[1]["database"] == "ok"
    store.close()
    assert health()[1]["database"] == "ok"  # cached: no probe ran against the closed store
    health.probe.cache_for = 0
    assert health()[1]["database"] == "error"


def test_metrics_say_whether_this_replica_leads() -> None:
    from prometheus_client import generate_latest

    role = ["follower"]
    metrics = Metrics()
    metrics.watch_role(lambda: role[0])
    assert b"hubnews_leader 0.0" in generate_latest(metrics.registry)
    role[0] = "leader"  # a takeover shows at the next scrape
    assert b"hubnews_leader 1.0" in generate_latest(metrics.registry)
