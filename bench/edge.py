"""The HTTP edge under abuse: a 300 MB unsigned POST, and /healthz with the database locked.

Starts the real HTTP app (Bolt on uvicorn, signature checks on, `/healthz` on a file database)
in a child process and measures, from outside:

- the child's resident memory before and after an unsigned 300 MB POST sent chunked and one
  announcing a 300 MB Content-Length (VmRSS now, VmHWM the peak);
- with another connection holding SQLite's write lock: how long `/healthz` takes to answer and
  what it says, and how long a signed `/hubnews help` sent while that `/healthz` is in flight
  takes to be acknowledged (Slack allows 3 s).

    python bench/edge.py [--megabytes 300]
"""

from __future__ import annotations

import argparse
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes import free_port  # noqa: E402
from fakes.slack_api import FakeSlack, signed_headers  # noqa: E402

SECRET = "bench-secret"
CHILD = """
import sys, threading
from dataclasses import replace
from pathlib import Path
from bot import config
from bot.health import Health
from bot.slack.app import build_app
from bot.slack.server import http_app, serve_http
from bot.store import Store
db, port, api = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = config.load(None, environ={})
cfg = replace(base, path=None, database=Path(db), feeds=(), slack_api_url=api,
              secrets=config.Secrets("xoxb-test", "bench-secret", None))
store = Store(cfg.database)
health = Health(store, lambda: True, lambda: None)
started = threading.Event()
threading.Thread(target=lambda: (started.wait(), print("ready", flush=True)), daemon=True).start()
serve_http(http_app(build_app(cfg, store), health), port, threading.Event(), "127.0.0.1",
           started=started)
"""


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the process in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss, peak = (int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM"))
    return rss, peak


def post_raw(port: int, head: str, body_bytes: int, chunked: bool) -> tuple[str, float]:
    """Send a request by hand; the status line and the seconds until it came."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(head.encode())
        piece, sent = b"a" * (1 << 20), 0
        try:
            while sent < body_bytes:
                frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                sock.sendall(frame)
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed the connection: what we want
        reply = sock.recv(200).split(b"\r\n", 1)[0].decode()
    return reply, time.monotonic() - started


def check_health(client: httpx.Client, port: int, into: dict[str, object]) -> None:
    started = time.monotonic()
    answer = client.get(f"http://127.0.0.1:{port}/healthz")
    into.update(
        status=answer.status_code,
        database=answer.json().get("database"),
        ms=(time.monotonic() - started) * 1000,
    )


def head(extra: str) -> str:
    return (
        "POST /slack/events HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n" + extra + "\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300)
    size = parser.parse_args().megabytes * 1024 * 1024
    fake, port = FakeSlack().start(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "edge.db")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, db, str(port), fake.url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            rss, _ = memory(child.pid)
            print(f"idle: RSS {rss:.0f} MiB")
            for name, extra, chunked in [
                ("chunked", "Transfer-Encoding: chunked\r\n", True),
                ("Content-Length", f"Content-Length: {size}\r\n", False),
            ]:
                status, took = post_raw(port, head(extra), size, chunked)
                rss, peak = memory(child.pid)
                print(
                    f"{size >> 20} MB unsigned POST ({name}): {status!r} after {took:.2f} s; "
                    f"RSS {rss:.0f} MiB, peak {peak:.0f} MiB"
                )
            locker = sqlite3.connect(db, isolation_level=None)
            locker.execute("BEGIN EXCLUSIVE")
            health: dict[str, object] = {}
            client = httpx.Client(timeout=30)
            client.get(f"http://127.0.0.1:{port}/warm-up")  # connected before the clock starts
            probe = threading.Thread(target=check_health, args=(client, port, health))
            probe.start()
            time.sleep(0.1)  # the command arrives while /healthz is being answered
            body = urlencode(
                {
                    "command": "/hubnews",
                    "text": "help",
                    "user_id": "U1",
                    "channel_id": "C1",
                    "response_url": fake.response_url("bench"),
                }
            )
            started = time.monotonic()
            acked = httpx.post(
                f"http://127.0.0.1:{port}/slack/events",
                content=body.encode(),
                headers=signed_headers(SECRET, body),
                timeout=30,
            )
            took = time.monotonic() - started
            probe.join()
            client.close()
            print(
                f"/healthz, database locked: {health['status']} "
                f"database={health['database']!r} in {health['ms']:.0f} ms"
            )
            print(
                f"/hubnews help sent during that /healthz: ack {acked.status_code} "
                f"in {took * 1000:.0f} ms"
            )
            locker.execute("ROLLBACK")
            locker.close()
        finally:
            child.terminate()
            child.wait(10)
            fake.stop()


if __name__ == "__main__":
    main()
