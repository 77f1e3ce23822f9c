"""Which replica leads: on PostgreSQL every `hubnews run` is a replica, and one of them leads.

The leader holds a session-level `pg_try_advisory_lock(LOCK)` on a connection of its own; it
alone polls feeds, decides copies, tags and routes, runs digests and pruning. Every replica
delivers the outbox (rows are claimed with FOR UPDATE SKIP LOCKED, bot.store.postgres.outbox)
and answers Slack. Followers retry the lock every `retry` seconds: when the leader's session
ends (a stop, a crash, kill -9: the server drops the lock with the connection; TCP keepalives
catch a silent network loss), a follower takes over within `retry` seconds plus the keepalive
time, well under 15 s, and first rebuilds its dedup window from the database (`on_elected`).

On SQLite there is one instance per database (bot.instance's file lock): always the leader.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.config import is_postgres_url
from bot.poller import kv

log = logging.getLogger("hubnews.leader")
LEADER, FOLLOWER = "leader", "follower"
LOCK = 0x6875_626E_6577_7300  # the advisory lock key ("hubnews\0")
KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 3,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 6000,
}


class Leadership:
    """`role` is "leader" or "follower"; `start()` runs the election thread (PostgreSQL)."""

    def __init__(
        self,
        database: object,
        *,
        retry: float = 3.0,
        on_elected: Callable[[], object] | None = None,
    ) -> None:
        self.url = str(database) if is_postgres_url(database) else None
        self.retry, self.on_elected = retry, on_elected
        self.role = LEADER if self.url is None else FOLLOWER
        self.elected_at: float | None = time.monotonic() if self.url is None else None
        self._conn: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self.role == LEADER

    def start(self) -> Leadership:
        if self.url is not None:
            self.try_lead()
            self._thread = threading.Thread(target=self._loop, name="leader", daemon=True)
            self._thread.start()
        return self

    def try_lead(self) -> bool:
        """One attempt: take the lock if free, or check that the held lock is still ours."""
        import psycopg

        if self.url is None:
            return True
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.url, autocommit=True, connect_timeout=5, **KEEPALIVE
                )
            if self.role == LEADER:
                self._conn.execute("SELECT 1")  # the session (and so the lock) is alive
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK,)).fetchone()
            if row and row[0]:
                self._elected()
        except psycopg.Error as exc:
            self._lost(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return self.role == LEADER

    def _elected(self) -> None:
        log.info(kv(event="leader_elected"))
        if self.on_elected is not None:
            self.on_elected()  # rebuild what the leader keeps in memory (the dedup window)
        self.role, self.elected_at = LEADER, time.monotonic()

    def _lost(self, error: str) -> None:
        if self.role == LEADER:
            log.warning(kv(event="leader_lost", error=error))
        self.role, self.elected_at = FOLLOWER, None
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.retry):
            self.try_lead()

    def close(self) -> None:
        """Step down: the lock goes with the session, a follower takes over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.retry + 5)
        if self._conn is not None:
            if self.role == LEADER:  # released now, not when the server notices the close
                with contextlib.suppress(Exception):
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
            self._conn.close()
            self._conn = None
        if self.url is not None:
            self.role = FOLLOWER
