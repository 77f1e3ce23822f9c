"""Is hubnews well? `/healthz` state, Prometheus metrics, and the small servers for both.

`Health.__call__() -> (ok, details)` answers `/healthz`: ok when the scheduler runs (its delivery
job ticked recently), the database takes a write transaction, and Slack auth is not known to be
broken; `details` also gives the age of the last successful poll (stale polls are reported, and
fail the check only past `stale_after`, so an upstream outage does not restart the container).
No secrets, no feed addresses. `role` says whether this replica leads (bot.leader: on PostgreSQL
only the leader polls, so a follower's polls check always passes; SQLite: always "leader").

The database probe never blocks its caller for long: it runs in a worker thread, opens its own
connection (`store.ping()`; on SQLite with a short busy timeout, `PROBE_BUSY`), is
waited on for at most `probe_timeout` seconds, and its answer is reused for `cache_for`
seconds; at most one probe is in flight. `details["database"]` says what it found: "ok",
"busy" (another connection holds the write lock), "timeout" (the probe did not finish in time)
or "error" (closed, unwritable, corrupt).

`Metrics` holds the Prometheus series on its own registry (so tests and one process can hold
several); `metrics` is the process-wide instance the Slack listeners time searches with:

    with health.metrics.search_seconds.time(): hits = store.search(query)

`serve_metrics(port)` exposes them on 127.0.0.1 by default (DESIGN "Ports"); `serve_health`
answers `/healthz` on `--port` in Socket Mode, where no Bolt HTTP server runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from bot.store import StoreAPI

HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]
OK, BUSY, TIMEOUT, ERROR = "ok", "busy", "timeout", "error"


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        reg = self.registry
        self.polls = Counter("hubnews_polls", "Feed polls by result", ["result"], registry=reg)
        self.failures = Counter("hubnews_poll_failures", "Failed feed polls", registry=reg)
        self.stories = Counter("hubnews_stories", "New stories stored", registry=reg)
        self.duplicates = Counter(
            "hubnews_duplicates", "New stories that were copies", registry=reg
        )
        self.alerts = Counter("hubnews_alerts_posted", "Outbox rows posted", registry=reg)
        self.queue = Gauge("hubnews_queue_length", "Messages waiting to be posted", registry=reg)
        self.search_seconds = Histogram("hubnews_search_seconds", "Search latency", registry=reg)
        self.leader = Gauge(
            "hubnews_leader",
            "1 on the replica that polls feeds and decides (the leader; always on SQLite), "
            "0 on followers",
            registry=reg,
        )

    def watch_queue(self, store: StoreAPI) -> None:
        def length() -> float:
            try:
                return float(store.queue_length())
            except Exception:  # closed or locked database: report nothing rather than fail
                return float("nan")

        self.queue.set_function(length)

    def watch_role(self, role: Callable[[], str]) -> None:
        self.leader.set_function(lambda: 1.0 if role() == "leader" else 0.0)

    def polled(self, result: str, new: int = 0, duplicates: int = 0) -> None:
        self.polls.labels(result).inc()
        if result == "failed":
            self.failures.inc()
        self.stories.inc(new)
        self.duplicates.inc(duplicates)


metrics = Metrics()


class Health:
    def __init__(
        self,
        store: StoreAPI,
        scheduler_alive: Callable[[], bool],
        last_poll: Callable[[], datetime | None],
        *,
        stale_after: timedelta = timedelta(hours=25),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        probe_timeout: float = 1.0,
        cache_for: float = 5.0,
        role: Callable[[], str] = lambda: "leader",
    ) -> None:
        self.role = role  # PostgreSQL replicas: "leader" or "follower" (bot.leader)
        self.store, self.scheduler_alive, self.last_poll = store, scheduler_alive, last_poll
        self.stale_after, self.now = stale_after, now
        self.started = now()
        self.slack = "not configured"  # "ok", "not configured", or the auth error
        self._lock = threading.Lock()
        self.probe = _DatabaseProbe(store, probe_timeout, cache_for)

    def set_slack(self, state: str) -> None:
        with self._lock:
            self.slack = state

    def database_state(self) -> str:
        """The database as the probe found it: ok, busy, timeout or error (see the module doc)."""
        return self.probe.state()

    def __call__(self) -> tuple[bool, dict[str, Any]]:
        now = self.now()
        last = self.last_poll()
        age = (now - (last or self.started)).total_seconds()
        database = self.database_state()
        role = self.role()
        if role != "leader":  # followers do not poll: the leader's polls are not theirs to judge
            age = 0.0
        checks = {
            "scheduler": self.scheduler_alive(),
            "database": database == OK,
            "slack": self.slack in ("ok", "not configured"),
            "polls": age <= self.stale_after.total_seconds(),
        }
        details: dict[str, Any] = {
            "status": "ok" if all(checks.values()) else "fail",
            "role": role,
            "checks": checks,
            "database": database,
            "slack_auth": self.slack,
            "last_poll_ok": last.strftime("%Y-%m-%dT%H:%M:%SZ") if last else None,
            "last_poll_age_seconds": round(age, 1),
        }
        return all(checks.values()), details


class _DatabaseProbe:
    """Checks that the database takes a write transaction, off the caller's thread."""

    def __init__(self, store: StoreAPI, timeout: float, cache_for: float) -> None:
        self.store, self.timeout, self.cache_for = store, timeout, cache_for
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._running: threading.Thread | None = None
        self._result: str = ERROR
        self._checked_at = float("-inf")

    def state(self) -> str:
        with self._lock:
            if self._running is None:
                if time.monotonic() - self._checked_at < self.cache_for:
                    return self._result
                self._done = threading.Event()
                self._running = threading.Thread(target=self._run, name="health-probe", daemon=True)
                self._running.start()
            done = self._done
        if not done.wait(self.timeout):
            return TIMEOUT
        with self._lock:
            return self._result

    def _run(self) -> None:
        result = _probe(self.store)
        with self._lock:
            self._result, self._checked_at, self._running = result, time.monotonic(), None
            self._done.set()


def _probe(store: StoreAPI) -> str:
    try:
        return store.ping()
    except Exception:  # ping never raises; a broken store still only reports
        return ERROR


# ------------------------------------------------------------------ servers


class _Server:
    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_metrics(port: int, host: str = "127.0.0.1", registry: Metrics | None = None) -> _Server:
    """Prometheus `/metrics` on host:port (port 0: any free port)."""
    server, thread = start_http_server(port, addr=host, registry=(registry or metrics).registry)
    return _Server(server, thread)


def serve_health(check: HealthCheck, port: int, host: str = "0.0.0.0") -> _Server:
    """A minimal `/healthz` server (Socket Mode has no HTTP app to host it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/healthz":
                self._send(404, {"error": "not found"})
                return
            ok, details = check()
            self._send(200 if ok else 503, details)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True)
    thread.start()
    return _Server(server, thread)
