"""Watch messages and snoozes through the real delivery path (SlackSink → loopback Slack):
DMs opened with conversations.open, the watch named in the message, exactly once after a
crash, and a snoozed channel's alerts held, then posted as one catch-up message."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot import config
from bot.deliver import make_client
from bot.health import Health
from bot.route import Delivery
from bot.sinks import SlackSink
from bot.store import Store
from bot.store.sqlite.base import now_utc
from bot.story import Source, Story

from fakes.slack_api import FakeSlack


def story(key: str, title: str) -> Story:
    return Story(
        key=key,
        url=f"https://example.com/{key}",
        title=title,
        source=Source("ex", "Example", "example.com"),
        published=now_utc(),
        content=title,
    )


@pytest.fixture
def sink(tmp_path: Path, slack_api: FakeSlack) -> tuple[SlackSink, Store]:
    base = config.load(None, environ={})
    cfg = replace(
        base,
        routes=(),
        limits=replace(base.limits, post_interval=0.0, flood=10),
    )
    store = Store(tmp_path / "h.db")
    client = make_client("xoxb-test", base_url=slack_api.url)  # as `hubnews run`: no retries
    made = SlackSink(cfg, store, client, Health(store, lambda: True, lambda: None))
    yield made, store
    store.close()


def test_a_watch_dm_goes_to_the_users_dm_channel_naming_the_watch(
    sink: tuple[SlackSink, Store], slack_api: FakeSlack
) -> None:
    deliverer, store = sink
    watch = store.add_watch("U0WATCHER", "Yizhuang")
    store.save(story("a", "Yizhuang AI hub"))
    store.record_hit(watch.id, "a", "a")
    store.enqueue([Delivery("U0WATCHER", "a")])
    assert deliverer.deliver_once() == 1
    [message] = slack_api.posted("D0WATCHER")  # the DM conversations.open gave
    assert message["text"].startswith(f"Your watch #{watch.id} “Yizhuang” matched: ")
    assert "Your watch" in json.dumps(message["blocks"], ensure_ascii=False)
    [row] = store.outbox_rows(story_key="a")
    assert row.state == "posted" and row.ts == message["ts"]
    assert deliverer.deliver_once() == 0  # never twice


def test_a_dm_whose_fate_was_unknown_is_found_in_the_dm_history(
    sink: tuple[SlackSink, Store], slack_api: FakeSlack
) -> None:
    deliverer, store = sink
    watch = store.add_watch("U0WATCHER", "chips")
    store.save(story("a", "chips"))
    store.record_hit(watch.id, "a", "a")
    store.enqueue([Delivery("U0WATCHER", "a")])
    slack_api.fail("chat.postMessage", reset=True, after=True)  # posted, then the line drops
    deliverer.deliver_once()
    assert len(slack_api.posted("D0WATCHER")) == 1
    for _ in range(3):
        store.mark_retry(
            [r.id for r in store.outbox_rows(story_key="a") if r.state != "posted"],
            None,
            now_utc(),
            count=False,
            verify=True,
        )
        deliverer.deliver_once()
    assert len(slack_api.posted("D0WATCHER")) == 1  # reconciled from history, not re-posted
    assert store.outbox_rows(story_key="a")[0].state == "posted"


def test_a_snoozed_channel_gets_its_alerts_as_one_catch_up_message_after(
    sink: tuple[SlackSink, Store], slack_api: FakeSlack
) -> None:
    deliverer, store = sink
    now = now_utc()
    store.snooze("C0SNOOZED", now + timedelta(hours=1), "UADMIN")
    for key in "abc":
        store.save(story(key, f"Story {key}"))
    store.enqueue([Delivery("C0SNOOZED", key) for key in "abc"])
    store.enqueue([Delivery("C0AWAKE", "a")])
    deliverer.deliver_once()
    assert slack_api.posted("C0SNOOZED") == [] and len(slack_api.posted("C0AWAKE")) == 1
    assert {r.state for r in store.outbox_rows() if r.channel == "C0SNOOZED"} == {"pending"}
    store.snooze("C0SNOOZED", now - timedelta(seconds=1), "UADMIN")  # the snooze has ended
    deliverer.deliver_once()
    [catch_up] = slack_api.posted("C0SNOOZED")  # three alerts, one message
    assert all(key in json.dumps(catch_up["metadata"]) for key in ['"a"', '"b"', '"c"'])
    assert store.snoozes() == {} and store.ended_snoozes() == []


def test_a_snooze_holds_a_route_that_names_its_channel(
    tmp_path: Path, slack_api: FakeSlack
) -> None:
    slack_api.channels.append({"id": "C0SNOOZED", "name": "snoozed"})
    base = config.load(None, environ={})
    cfg = replace(
        base,
        routes=(config.Route(channel="#snoozed", tags=("ai",)),),
        limits=replace(base.limits, post_interval=0.0),
    )
    store = Store(tmp_path / "h.db")
    client = make_client("xoxb-test", base_url=slack_api.url)
    deliverer = SlackSink(cfg, store, client, Health(store, lambda: True, lambda: None))
    store.snooze("C0SNOOZED", now_utc() + timedelta(hours=1), "UADMIN")  # the id Slack sent
    for key in "ab":
        store.save(story(key, f"Story {key}"))
    store.enqueue([Delivery("#snoozed", key) for key in "ab"])
    deliverer.deliver_once()
    assert slack_api.posted("C0SNOOZED") == []
    store.snooze("C0SNOOZED", now_utc() - timedelta(seconds=1), "UADMIN")
    deliverer.deliver_once()
    assert len(slack_api.posted("C0SNOOZED")) == 1 and store.ended_snoozes() == []
    store.close()
