"""The HTTP edge over real HTTP: body cap, bad timestamps, and /healthz off the event loop."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot import config
from bot.health import Health
from bot.slack.app import build_app
from bot.slack.server import MAX_BODY, http_app, serve_http
from bot.store import Store

from fakes import free_port, wait_for
from fakes.slack_api import FakeSlack, signed_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Edge:
    def __init__(self, url: str, port: int, fake: FakeSlack, store: Store) -> None:
        self.url, self.port, self.fake, self.store = url, port, fake, store
        self.health_threads: list[bool] = []  # for each /healthz: did it run on an event loop?

    def raw(self, head: str, chunks: Iterable[bytes] = ()) -> tuple[int, bytes]:
        """Send a request by hand (headers, then body pieces); the status and the reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(head.encode("latin-1"))
            try:
                for chunk in chunks:
                    sock.sendall(chunk)
            except OSError:
                pass  # the server answered and closed while we were still sending
            reply = b""
            while b"\r\n\r\n" not in reply:
                piece = sock.recv(65536)
                if not piece:
                    break
                reply += piece
        status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
        return status, reply

    def command(self, text: str, response_id: str) -> httpx.Response:
        body = urlencode(
            {
                "command": "/hubnews",
                "text": text,
                "user_id": "U123",
                "channel_id": "C0TECHPOL1",
                "team_id": "T1",
                "response_url": self.fake.response_url(response_id),
                "trigger_id": "1.2.3",
            }
        )
        return httpx.post(
            f"{self.url}/slack/events",
            content=body.encode(),
            headers=signed_headers(SECRET, body),
            timeout=10,
        )


@pytest.fixture
def edge(slack_api: FakeSlack, tmp_path: Path) -> Iterator[Edge]:
    base = config.load(None, environ={})
    cfg = replace(
        base,
        path=None,
        database=tmp_path / "h.db",
        feeds=(),
        secrets=config.Secrets("xoxb-test", SECRET, None),
        slack_api_url=slack_api.url,
    )
    store = Store(cfg.database)
    health = Health(store, lambda: True, lambda: None, cache_for=0)
    port, stop, started = free_port(), threading.Event(), threading.Event()
    running = Edge(f"http://127.0.0.1:{port}", port, slack_api, store)

    def check() -> tuple[bool, dict[str, Any]]:
        try:
            asyncio.get_running_loop()
            running.health_threads.append(True)
        except RuntimeError:
            running.health_threads.append(False)
        return health()

    thread = threading.Thread(
        target=serve_http,
        args=(http_app(build_app(cfg, store), check), port, stop, "127.0.0.1"),
        kwargs={"started": started},
        daemon=True,
    )
    thread.start()
    assert started.wait(10), "the HTTP server did not start"
    try:
        yield running
    finally:
        stop.set()
        thread.join(10)
        store.close()


def head(length: str | None = None, *, chunked: bool = False, stamp: str = "1") -> str:
    lines = [
        "POST /slack/events HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/x-www-form-urlencoded",
        f"X-Slack-Request-Timestamp: {stamp}",
        "X-Slack-Signature: v0=00",
    ]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return "\r\n".join(lines) + "\r\n\r\n"


def chunked(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = b"a" * min(size, total - sent)
        sent += len(piece)
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def test_a_declared_length_over_the_cap_is_refused_unread(edge: Edge) -> None:
    # 300 MB announced and never sent: the answer comes without waiting for the body.
    status, _ = edge.raw(head(str(300 * 1024 * 1024)))
    assert status == 413


def test_a_chunked_body_is_cut_at_the_cap(edge: Edge) -> None:
    status, _ = edge.raw(head(chunked=True), chunked(MAX_BODY + 200 * 1024))
    assert status == 413


def test_a_chunked_body_under_the_cap_reaches_the_signature_check(edge: Edge) -> None:
    status, _ = edge.raw(head(chunked=True), chunked(10 * 1024))
    assert status == 401  # read whole, then refused by Bolt: the signature is wrong


@pytest.mark.parametrize("stamp", ["abc", "12a", "1e9", "-", "١٢٣", "9" * 400])
def test_a_non_numeric_timestamp_is_401_not_500(edge: Edge, stamp: str) -> None:
    response = httpx.post(
        f"{edge.url}/slack/events",
        content=b"command=%2Fhubnews&text=x",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp.encode(),
            "X-Slack-Signature": "v0=00",
        },
        timeout=10,
    )
    assert response.status_code == 401


def test_a_signed_command_under_the_cap_is_still_answered(edge: Edge) -> None:
    response = edge.command("help", "ok1")
    assert response.status_code == 200
    assert wait_for(lambda: edge.fake.responses.get("ok1"))


def test_healthz_reports_a_locked_database_and_commands_are_still_acked(edge: Edge) -> None:
    ok = httpx.get(f"{edge.url}/healthz", timeout=10)
    assert ok.status_code == 200 and ok.json()["database"] == "ok"
    other = sqlite3.connect(edge.store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process's write lock on the file
    try:
        locked = httpx.get(f"{edge.url}/healthz", timeout=10)
        acked = edge.command("Yizhuang", "busy1")  # a search: reads the locked database
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert locked.status_code == 503
    assert locked.json()["database"] == "busy" and locked.json()["checks"]["database"] is False
    assert acked.status_code == 200
    assert wait_for(lambda: edge.fake.responses.get("busy1"))
    assert edge.health_threads and not any(edge.health_threads)  # never on the event loop
