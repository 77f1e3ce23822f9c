"""`kill -9` of `hubnews run` in the middle of delivering 100 alerts and 100 watch DMs, then a
restart: every alert and every DM reaches Slack exactly once (asserted on the fake Slack's
records)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes import free_port, wait_for
from fakes.feed_server import FeedServer
from fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
ALERTS = 100


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def _spawn(config: Path, slack: FakeSlack) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from bot import config, service; from bot.schedule import Timing; "
        f"sys.exit(service.run(config.load({str(config)!r}), port={free_port()}, "
        "timing=Timing(deliver_every=0.2, jitter=0.0), log_level=None))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HUBNEWS_"))}
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": slack.url,
    }
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _keys(slack: FakeSlack, channel: str = "C0ALERTS1") -> Counter[str]:
    keys: Counter[str] = Counter()
    for message in slack.posted(channel):
        payload = (message.get("metadata") or {}).get("event_payload", {})
        keys.update(payload.get("keys") or [payload.get("key")])
    return keys


@pytest.mark.slow
def test_kill_9_mid_delivery_then_restart_posts_every_alert_exactly_once(
    tmp_path: Path, feeds: FeedServer, slack_api: FakeSlack
) -> None:
    url = feeds.add("/wire.xml", items=ALERTS)
    config = tmp_path / "hubnews.toml"
    config.write_text(
        f'database = "{tmp_path / "h.db"}"\nalert_max_age = "36500d"\n'
        '[limits]\nflood = 1000\npost_interval = "10ms"\n'
        "first_poll_alerts = 100000\nalerts_per_feed = 100000\nalerts_per_cycle = 100000\n"
        f'[[feeds]]\nname = "wire"\nurl = "{url}"\ninterval = "1h"\n'
        '[[routes]]\nchannel = "C0ALERTS1"\ntags = ["ai", "industrial-policy"]\n'
    )
    from bot.store import Store

    store = Store(tmp_path / "h.db")
    store.add_watch("U0WATCHER", "source:wire")  # every story also DMs this user
    store.close()
    slack_api.fail("chat.postMessage", times=10_000, delay=0.05)  # a slow Slack
    first = _spawn(config, slack_api)
    try:
        assert wait_for(lambda: sum(_keys(slack_api).values()) >= 30, 60), "delivery never began"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    posted_before = sum(_keys(slack_api).values())
    dms_before = sum(_keys(slack_api, "D0WATCHER").values())
    assert posted_before < ALERTS  # the crash really interrupted the delivery
    second = _spawn(config, slack_api)
    try:
        assert wait_for(lambda: len(_keys(slack_api)) >= ALERTS, 120), "not all alerts arrived"
        assert wait_for(lambda: len(_keys(slack_api, "D0WATCHER")) >= ALERTS, 120), "DMs missing"
        time.sleep(1.0)  # let any duplicate show up
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    keys = _keys(slack_api)
    print(
        f"\nCRASH: {posted_before} posted before kill -9, {len(keys)} distinct after restart, "
        f"max copies of one alert {max(keys.values())}"
    )
    assert len(keys) == ALERTS and set(keys.values()) == {1}
    dms = _keys(slack_api, "D0WATCHER")
    print(
        f"CRASH: {dms_before} watch DMs before kill -9, {len(dms)} distinct after restart, "
        f"max copies of one {max(dms.values())}"
    )
    assert len(dms) == ALERTS and set(dms.values()) == {1}
