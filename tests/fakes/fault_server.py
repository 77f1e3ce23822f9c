"""A loopback feed server that misbehaves on purpose, one path per fault (`faults` fixture)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "bot" / "samples"
GOOD = (SAMPLES / "scmp-tech.xml").read_bytes()
RSS_HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>Laughs</title><item><title>&lol9;</title>
<link>https://x.example/laughs</link></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>XXE</title><item><title>leak &secret; here</title>
<link>https://x.example/xxe</link><description>&secret;</description></item></channel></rss>"""


def gzip_bomb(size: int) -> bytes:
    """`size` bytes of zeros, gzip-compressed in chunks (about 1 MB per GB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(2**20)
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + packer.flush()


class FaultServer:
    def __init__(self, bomb_size: int) -> None:
        self.bomb = gzip_bomb(bomb_size)
        self.hits: dict[str, int] = {}
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        # A listening socket nobody answers on: the connection opens, no response ever comes.
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(1)
        # A listening socket whose backlog is full: new connections are never completed
        # (the kernel drops the SYNs), which is a connect timeout without leaving loopback.
        self.full = socket.socket()
        self.full.bind(("127.0.0.1", 0))
        self.full.listen(0)
        self._fillers: list[socket.socket] = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):  # the connection completes later, or never
                filler.connect(self.full.getsockname())
            self._fillers.append(filler)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def silent_url(self) -> str:
        return f"http://127.0.0.1:{self.silent.getsockname()[1]}/feed"

    @property
    def unreachable_url(self) -> str:
        return f"http://127.0.0.1:{self.full.getsockname()[1]}/feed"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for sock in (self.silent, self.full, *self._fillers):
            sock.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self
        routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "/good": lambda h: _send(h, 200, GOOD, "application/rss+xml"),
            "/drip": _drip,
            "/500": lambda h: _send(h, 500, b"oops", "text/plain"),
            "/503": lambda h: _send(h, 503, b"busy", "text/plain", {"Retry-After": "7"}),
            "/429": lambda h: _send(h, 429, b"slow down", "text/plain", {"Retry-After": "30"}),
            "/loop": lambda h: _send(h, 302, b"", "text/plain", {"Location": "/loop"}),
            "/chain1": lambda h: _send(h, 301, b"", "text/plain", {"Location": "/chain2"}),
            "/chain2": lambda h: _send(h, 308, b"", "text/plain", {"Location": "/good"}),
            "/to-metadata": lambda h: _send(
                h, 302, b"", "text/plain", {"Location": "http://169.254.169.254/latest"}
            ),
            "/to-loopback": lambda h: _send(
                h, 302, b"", "text/plain", {"Location": "http://127.0.0.1:9/feed"}
            ),
            "/big": _big,
            "/bomb": lambda h: _send(
                h, 200, owner.bomb, "application/rss+xml", {"Content-Encoding": "gzip"}
            ),
            "/wrong-type": lambda h: _send(h, 200, GOOD, "image/png"),
            "/html": lambda h: _send(
                h, 200, b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>", "text/html"
            ),
            "/truncated": lambda h: _send(h, 200, GOOD[: len(GOOD) // 2], "application/rss+xml"),
            "/bad-utf8": lambda h: _send(
                h,
                200,
                GOOD.replace(b"Yizhuang", b"Yi\xff\xfezhuang"),
                "application/rss+xml; charset=utf-8",
            ),
            "/laughs": lambda h: _send(h, 200, LAUGHS, "application/rss+xml"),
            "/xxe": lambda h: _send(h, 200, XXE, "application/rss+xml"),
            "/empty": lambda h: _send(h, 200, b"", "application/rss+xml"),
            "/garbage": lambda h: _send(h, 200, bytes(range(256)) * 64, "application/rss+xml"),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits[self.path] = owner.hits.get(self.path, 0) + 1
                routes.get(self.path, lambda h: _send(h, 404, b"", "text/plain"))(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    kind: str,
    headers: dict[str, str] | None = None,
) -> None:
    try:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _drip(h: BaseHTTPRequestHandler) -> None:
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.end_headers()
        h.wfile.write(RSS_HEAD)
        for _ in range(600):  # one byte every 50 ms, inside any read timeout
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _big(h: BaseHTTPRequestHandler) -> None:
    size = 50 * 2**20
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(RSS_HEAD)
        chunk = b"<!-- padding -->" * 4096
        for _ in range(size // len(chunk)):
            h.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.fixture(scope="session")
def faults() -> Iterator[FaultServer]:
    server = FaultServer(bomb_size=2**30)
    yield server
    server.close()


__all__ = ["FaultServer", "gzip"]
