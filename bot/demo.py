"""The embedded default: bundled sample feeds served from a loopback HTTP server, so that
`hubnews demo` runs the real fetch path (HTTP, ETag, conditional GET) without the internet."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import formatdate
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import ClassVar

from bot.config import Config, Feed, Route

SAMPLES = resources.files("bot.samples")
# In feed order: the seed article first, its re-published copy second, then real feeds.
FEEDS = [
    ("scmp-tech", "scmp-tech.xml"),
    ("scmp-china-policy", "scmp-china-policy.xml"),
    ("reuters-world", "reuters-worldnews-2018-01.xml"),
    ("livemint", "livemint-news-2019-05.xml"),
    ("techcrunch", "techcrunch-2011-11.xml"),
    ("guardian-us", "theguardian-us-2018-01.xml"),
    ("gov-scot", "gov-scot-news-2017-06.xml"),
    ("daring-fireball", "daringfireball-2017.jsonfeed.json"),
]
DEMO_MAX_AGE = timedelta(days=36500)  # the samples are from 2011-2020; show them anyway


class _Handler(BaseHTTPRequestHandler):
    """GET /<file>: the bundled file with an ETag; 304 when If-None-Match matches."""

    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        kind = "application/feed+json" if self.path.endswith(".json") else "application/rss+xml"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(usegmt=True))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextmanager
def serve(files: dict[str, bytes] | None = None) -> Iterator[str]:
    """Serve `files` (default: the bundled samples) on 127.0.0.1; yields the base URL."""
    contents = (
        files if files is not None else {name: (SAMPLES / name).read_bytes() for _, name in FEEDS}
    )
    handler = type("Handler", (_Handler,), {"files": contents})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_config(base_url: str, database: Path, base: Config) -> Config:
    feeds = tuple(
        Feed(name=name, url=f"{base_url}/{file}", interval=timedelta(minutes=15))
        for name, file in FEEDS
    )
    routes = (
        Route(channel="#tech-policy", tags=("ai", "industrial-policy")),
        Route(channel="#chips", tags=("semiconductors", "export-controls")),
    )
    return Config(
        path=None,
        database=database,
        feeds=feeds,
        routes=routes,
        alert_max_age=DEMO_MAX_AGE,
        limits=base.limits,
        dedup=base.dedup,
        taxonomy=base.taxonomy,
        tag_thresholds=base.tag_thresholds,
    )
