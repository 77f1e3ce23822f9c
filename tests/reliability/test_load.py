"""Load, as a functional check (the timings are measured by bench/load.py, not asserted):
a poll cycle of many new stories while 50 signed /hubnews queries arrive at once — every
query is acknowledged and answered, and no alert is lost."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot import config
from bot.pipeline import Pipeline
from bot.slack.app import build_app
from bot.slack.server import http_app, serve_http
from bot.store import Store

from fakes.feed_server import FeedServer
from fakes.slack_api import FakeSlack, signed_headers

SECRET = "load-secret"


@pytest.mark.slow
def test_queries_during_a_big_poll_are_all_answered_and_no_alert_is_lost(
    tmp_path: Path, slack_api: FakeSlack
) -> None:
    feeds_server = FeedServer().start()
    base = config.load(None, environ={})
    feeds = tuple(
        config.Feed(f"f{i}", feeds_server.add(f"/f{i}.xml", items=20)) for i in range(150)
    )
    cfg = replace(
        base,
        path=None,
        database=tmp_path / "h.db",
        feeds=feeds,
        alert_max_age=base.alert_max_age * 1000,
        limits=replace(  # every story alerted: the load, not the alert limits, is measured
            base.limits, first_poll_alerts=10**6, alerts_per_feed=10**6, alerts_per_cycle=10**6
        ),
        routes=(config.Route("C0ALERTS1", ("ai", "industrial-policy")),),
        secrets=config.Secrets("xoxb-test", SECRET, None),
        slack_api_url=slack_api.url,
    )
    store = Store(cfg.database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop, ready = threading.Event(), threading.Event()
    server = threading.Thread(
        target=serve_http,
        daemon=True,
        kwargs={"started": ready},
        args=(http_app(build_app(cfg, store), lambda: (True, {})), port, stop, "127.0.0.1"),
    )
    server.start()
    assert ready.wait(10)
    pipeline = Pipeline(cfg, store)
    results: list[int] = []
    poller = threading.Thread(
        target=lambda: results.extend(len(o.new) for o in pipeline.poll(cfg.feeds))
    )
    poller.start()

    def ask(n: int) -> int:
        body = urlencode(
            {
                "command": "/hubnews",
                "text": "artificial intelligence",
                "user_id": "U1",
                "channel_id": "C1",
                "response_url": slack_api.response_url(f"q{n}"),
            }
        )
        return httpx.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=body.encode(),
            timeout=60,
            headers=signed_headers(SECRET, body),
        ).status_code

    try:
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(ask, range(50)))
        poller.join(300)
        deadline = time.monotonic() + 60
        while len(slack_api.responses) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert statuses == [200] * 50
        assert sorted(slack_api.responses) == sorted(f"q{n}" for n in range(50))
        assert sum(results) == 150 * 20 == store.count_stories()
        assert store.queue_length() == 150 * 20  # every routed story has its alert queued
    finally:
        stop.set()
        pipeline.close()
        store.close()
        feeds_server.stop()
