"""Load: one poll cycle bringing 10,000 new stories while 50 `/hubnews` queries arrive at once.

Everything on loopback: a feed server (500 feeds x 20 new items), the real HTTP app (Bolt on
uvicorn, signature checks on) and a fake Slack Web API receiving the answers. Prints how long
Slack would wait for each acknowledgement (Slack's limit: 3 s) and for each answer, how many
alerts were queued against how many stories were routed, and the process's peak memory.
Baseline, in the same process: the same 50 queries with no poll running.

    python bench/load.py [--feeds 500] [--queries 50]
"""

from __future__ import annotations

import argparse
import resource
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bot import config  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.slack.app import build_app  # noqa: E402
from bot.slack.server import http_app, serve_http  # noqa: E402
from bot.store import Store  # noqa: E402

from fakes.feed_server import FeedServer  # noqa: E402
from fakes.slack_api import FakeSlack, signed_headers  # noqa: E402

SECRET = "load-test-secret"
WORDS = [
    "Beijing",
    "ministry",
    "artificial intelligence",
    "subsidy",
    "chips",
    "Brussels",
    "battery",
    "Seoul",
    "tariff",
    "grid",
]


def command(url: str, slack: FakeSlack, n: int) -> tuple[float, str]:
    body = urlencode(
        {
            "command": "/hubnews",
            "text": WORDS[n % len(WORDS)],
            "user_id": "U1",
            "channel_id": "C1",
            "response_url": slack.response_url(f"q{n}"),
        }
    )
    started = time.perf_counter()
    httpx.post(
        f"{url}/slack/events",
        content=body.encode(),
        timeout=30,
        headers=signed_headers(SECRET, body),
    )
    return time.perf_counter() - started, f"q{n}"


def storm(url: str, slack: FakeSlack, queries: int, offset: int) -> tuple[list[float], list[float]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(queries) as pool:
        results = list(pool.map(lambda n: command(url, slack, n + offset), range(queries)))
    answered = []
    for _ack, rid in results:
        while not slack.responses.get(rid) and time.perf_counter() - started < 60:
            time.sleep(0.01)
        answered.append(time.perf_counter() - started)
    return [ack for ack, _ in results], answered


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    feeds_server, slack = FeedServer().start(), FakeSlack().start()
    folder = tempfile.TemporaryDirectory()
    base = config.load(None, environ={})
    feeds = tuple(
        config.Feed(f"f{i}", feeds_server.add(f"/f{i}.xml", items=20)) for i in range(args.feeds)
    )
    cfg = replace(
        base,
        path=None,
        database=Path(folder.name) / "load.db",
        feeds=feeds,
        alert_max_age=base.alert_max_age * 1000,
        limits=replace(  # every story alerted: the load, not the alert limits, is measured
            base.limits, first_poll_alerts=10**6, alerts_per_feed=10**6, alerts_per_cycle=10**6
        ),
        routes=(config.Route("C0ALERTS1", ("ai", "industrial-policy")),),
        secrets=config.Secrets("xoxb-test", SECRET, None),
        slack_api_url=slack.url,
    )
    store = Store(cfg.database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop, ready = threading.Event(), threading.Event()
    threading.Thread(
        target=serve_http,
        args=(http_app(build_app(cfg, store), lambda: (True, {})), port, stop, "127.0.0.1"),
        kwargs={"started": ready},
        daemon=True,
    ).start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}"
    base_acks, base_answers = storm(url, slack, args.queries, 0)

    pipeline = Pipeline(cfg, store)
    outcome: dict[str, object] = {}

    def poll() -> None:
        started = time.perf_counter()
        outcomes = list(pipeline.poll(cfg.feeds))
        outcome["seconds"] = time.perf_counter() - started
        outcome["new"] = sum(len(o.new) for o in outcomes)
        outcome["routed"] = sum(1 for o in outcomes for p in o.new if p.channels)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(2.0)  # the storm arrives while the cycle is storing stories
    acks, answers = storm(url, slack, args.queries, 1000)
    poller.join()
    queued = store.queue_length()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"poll: {outcome['new']:,} new stories in {outcome['seconds']:.1f} s; "
        f"{outcome['routed']:,} routed, {queued:,} alerts queued "
        f"({'none lost' if queued == outcome['routed'] else 'MISMATCH'})"
    )
    print(f"{'':24} {'ack p50':>8} {'ack p95':>8} {'ack max':>8} {'answer p95':>11}")
    for name, a, b in (
        ("baseline (idle)", base_acks, base_answers),
        ("during the poll", acks, answers),
    ):
        print(
            f"{name:24} {pct(a, 0.5):7.2f}s {pct(a, 0.95):7.2f}s {max(a):7.2f}s "
            f"{pct(b, 0.95):10.2f}s"
        )
    print(
        f"acks within Slack's 3 s: {sum(a < 3 for a in acks)}/{len(acks)}; "
        f"peak memory (max RSS) {peak_mib:.0f} MiB"
    )
    stop.set()
    pipeline.close()
    store.close()
    feeds_server.stop()
    slack.stop()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
