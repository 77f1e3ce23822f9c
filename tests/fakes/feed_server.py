"""A loopback feed server whose content changes while a test runs.

    server = FeedServer().start()
    server.add("/a.xml", items=3)          # RSS with three distinct tagged items
    server.publish("/a.xml")               # one more item (new ETag)
    server.fail("/a.xml", status=503, times=2, headers={"Retry-After": "1"})
    server.url("/a.xml"); server.requests("/a.xml")[-1].headers["if-none-match"]

Conditional requests are honoured: a matching If-None-Match (or If-Modified-Since) gets 304.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

_WORDS = """
ministry council province factory venture startup bond tariff quota grant loan audit court
ruling minister mayor governor senate parliament treaty summit harbour railway airport pipeline
refinery lithium cobalt nickel copper steel aluminium wafer lithography packaging memory logic
sensor drone satellite rocket vaccine genome telescope reactor turbine battery charger grid
storage hydrogen ammonia shipyard container freight customs currency inflation budget deficit
pension census survey election coalition opposition protest strike union wage hiring layoffs
merger acquisition listing exchange index dividend buyback stake fund trustee regulator
watchdog licence patent copyright privacy cyber breach outage cloud server datacentre fibre
spectrum tower handset tablet laptop console platform marketplace
"""
WORDS = _WORDS.split()
_PLACES = "Beijing Shenzhen Brussels Washington Tokyo Seoul Delhi Berlin Paris Hefei Wuhan Taipei"
PLACES = _PLACES.split()
TOPICS = [
    "artificial intelligence",
    "industrial policy",
    "machine learning",
]


def item_text(n: int, salt: str = "") -> tuple[str, str]:
    """A distinct, taggable (AI / industrial policy) title and description for item n."""
    rng = random.Random(f"{salt}-{n}")
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    title = f"{place} {' '.join(rng.sample(WORDS, 4))} {topic} ({salt}{n})"
    body = " ".join(rng.sample(WORDS, 45))
    return title, f"{place} {topic}: {body}. Item {salt}{n}."


def rss(name: str, items: list[int], base: str, pad: int = 0, ttl: int | None = None) -> bytes:
    now = datetime.now(UTC)
    entries = []
    for n in items:
        title, body = item_text(n, salt=name)
        when = format_datetime(now - timedelta(minutes=len(items) - items.index(n)))
        entries.append(
            f"<item><title>{escape(title)}</title><link>{base}/story/{name}/{n}</link>"
            f"<guid isPermaLink='false'>{name}-{n}</guid><pubDate>{when}</pubDate>"
            f"<description>{escape(body + ' ' + 'x' * pad)}</description></item>"
        )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed {name}</title><link>{base}/{name}</link>{ttl_tag}"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FeedState:
    name: str
    items: list[int]
    version: int = 1
    pad: int = 0
    ttl: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # cached rendering of this version


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a pooled connection closed by the client under test) is not an
    error of the code under test: no traceback on stderr, which tests read."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.feeds: dict[str, FeedState] = {}
        self.log: list[Request] = []
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._next = 0
        self.delays: dict[str, float] = {}  # path -> seconds to stall before answering

    def start(self) -> FeedServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._server = _QuietServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, items: int = 2, **options: Any) -> str:
        with self.lock:
            numbers = list(range(self._next, self._next + items))
            self._next += items
            self.feeds[path] = FeedState(path.strip("/").split(".")[0], numbers, **options)
        return self.url(path)

    def publish(self, path: str, count: int = 1) -> list[int]:
        with self.lock:
            state = self.feeds[path]
            fresh = list(range(self._next, self._next + count))
            self._next += count
            state.items = fresh + state.items
            state.version += 1
            state.body = None
        return fresh

    def fail(
        self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        with self.lock:
            for _ in range(times):
                self.faults[path].append(Fault(status, dict(headers or {})))

    def requests(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.log if r.path == path]

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.log.append(Request(path, headers))
            if self.faults[path]:
                fault = self.faults[path].popleft()
                return fault.status, fault.headers, b"trouble"
            state = self.feeds.get(path)
            if state is None:
                return 404, {}, b"not found"
            etag = f'"{state.name}-v{state.version}"'
            extra = {"ETag": etag, "Content-Type": "application/rss+xml", **state.headers}
            if headers.get("if-none-match") == etag:
                return 304, extra, b""
            if state.body is None:
                state.body = rss(state.name, state.items, self.base, state.pad, state.ttl)
            return 200, extra, state.body


class _Handler(BaseHTTPRequestHandler):
    server_owner: FeedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        stall = self.server_owner.delays.get(self.path)
        if stall:
            time.sleep(stall)
        status, extra, body = self.server_owner.answer(self.path, headers)
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
        except ConnectionError:
            self.close_connection = True
