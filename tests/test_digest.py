"""Digests (content, ranking, bookkeeping) and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from slack_sdk import WebClient

from bot.config import Route
from bot.deliver import deliver
from bot.digest import collect, in_span, is_quiet, post_digest, quiet_channels, render_digest
from bot.route import ALERT, DIGEST, THREAD, Delivery
from bot.sinks import outbox_view
from bot.store import Store
from bot.story import Match, Source, Story

from fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=1)
ROUTE = Route(channel="C0DIGEST1", mode="digest", at=time(8, 30), timezone="Asia/Shanghai")


def story(key: str, domain: str, title: str, copy_of: str | None = None, hours: int = 1) -> Story:
    return Story(
        key=key,
        url=f"https://{domain}/{key}",
        title=title,
        source=Source(feed=domain, title=domain.upper(), domain=domain),
        published=NOW - timedelta(hours=hours),
        description="text",
        duplicate=Match(copy_of, "near") if copy_of else None,
    )


def fill(store: Store) -> None:
    stories = [
        story("c1", "solo.example", "Only one outlet <b>&</b>", hours=5),
        story("b1", "same.example", "Updated twice"),
        story("b2", "same.example", "Updated twice (update)", copy_of="b1"),
        story("a1", "first.example", "Everyone carries this", hours=2),
        story("a2", "second.example", "Everyone carries this too", copy_of="a1"),
        story("a3", "www.third.example", "Everyone again", copy_of="a1"),
    ]
    for s in stories:
        store.save(s)
        kind = THREAD if s.duplicate else ALERT
        store.enqueue([Delivery("C0DIGEST1", s.key, kind, s.duplicate_of, DIGEST)], now=EARLIER)
    store.enqueue([Delivery("C0OTHER01", "c1", ALERT, None, DIGEST)], now=EARLIER)


def test_clusters_rank_by_independent_sources(store: Store) -> None:
    fill(store)
    items = collect(store, store.due(NOW, mode=DIGEST))
    assert [(i.story.key, i.sources, i.stories) for i in items] == [
        ("a1", 3, 3),
        ("b1", 1, 2),
        ("c1", 1, 1),
    ]
    assert items[0].domains == ("first.example", "second.example", "third.example")


def test_render_escapes_links_and_caps_at_top_n(store: Store) -> None:
    fill(store)
    items = collect(store, store.due(NOW, mode=DIGEST))
    blocks, text = render_digest(items, "24 Nov 2026", top=2)
    assert text == "Daily digest — 24 Nov 2026: 3 stories"
    assert len(blocks) == 4  # title, two items, "…and 1 more"
    first = blocks[1]["text"]["text"]
    assert first.startswith("1. *<https://first.example/a1|Everyone carries this>*")
    assert "3 sources: first.example, second.example, third.example" in first
    assert "1 more" in blocks[3]["elements"][0]["text"]
    everything, _ = render_digest(items, "24 Nov 2026")
    assert "Only one outlet &lt;b&gt;&amp;&lt;/b&gt;" in everything[3]["text"]["text"]


def test_post_digest_posts_once_and_marks_every_row(store: Store, slack_api: FakeSlack) -> None:
    fill(store)
    client = WebClient(token="xoxb-test", base_url=slack_api.url)

    def send(channel: str, blocks: list[dict], text: str, keys: list[str]) -> str:
        meta = {"event_type": "hubnews_story", "event_payload": {"key": keys[0], "keys": keys}}
        return str(
            client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=meta)["ts"]
        )

    assert post_digest(store, ROUTE, send, NOW) == 6
    (message,) = slack_api.posted("C0DIGEST1")
    assert message["metadata"]["event_payload"]["keys"] == ["a1", "b1", "c1"]
    assert "Daily digest — 24 Nov 2026" in message["blocks"][0]["text"]["text"]  # Shanghai day
    states = {(r.channel, r.story_key): r.state for r in store.outbox_rows()}
    assert all(s == "posted" for (ch, _), s in states.items() if ch == "C0DIGEST1")
    assert states[("C0OTHER01", "c1")] == "pending"  # another route's digest is not touched
    assert post_digest(store, ROUTE, send, NOW + timedelta(days=1)) == 0
    assert len(slack_api.posted("C0DIGEST1")) == 1


def test_a_failed_digest_post_keeps_the_rows(store: Store) -> None:
    fill(store)

    def broken(channel: str, blocks: list[dict], text: str, keys: list[str]) -> str:
        raise OSError("connection reset")

    assert post_digest(store, ROUTE, broken, NOW) == 0
    assert {r.state for r in store.outbox_rows()} == {"pending"}


@pytest.mark.parametrize(
    ("moment", "span", "inside"),
    [
        (time(23, 0), (time(22, 0), time(7, 0)), True),
        (time(3, 0), (time(22, 0), time(7, 0)), True),
        (time(7, 0), (time(22, 0), time(7, 0)), False),
        (time(12, 0), (time(22, 0), time(7, 0)), False),
        (time(12, 0), (time(12, 0), time(13, 0)), True),
        (time(13, 0), (time(12, 0), time(13, 0)), False),
    ],
)
def test_quiet_spans(moment: time, span: tuple[time, time], inside: bool) -> None:
    assert in_span(moment, span) is inside


def test_quiet_hours_follow_the_route_timezone() -> None:
    quiet = Route(
        channel="C0QUIET01", timezone="Asia/Shanghai", quiet_hours=(time(22, 0), time(7, 0))
    )
    loud = Route(channel="C0LOUD001")
    # 15:00 UTC is 23:00 in Shanghai: quiet; 00:30 UTC is 08:30 there: not quiet.
    assert is_quiet(quiet, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    assert not is_quiet(quiet, NOW)
    assert quiet_channels([quiet, loud], datetime(2026, 11, 24, 15, 0, tzinfo=UTC)) == {"C0QUIET01"}


def test_quiet_hours_hold_realtime_alerts_and_release_them_after(
    store: Store, slack_api: FakeSlack
) -> None:
    quiet = Route(
        channel="C0QUIET01", timezone="Asia/Shanghai", quiet_hours=(time(22, 0), time(7, 0))
    )
    loud = Route(channel="C0LOUD001")
    store.save(story("q1", "news.example", "Late news"))
    store.enqueue([Delivery("C0QUIET01", "q1"), Delivery("C0LOUD001", "q1")], now=EARLIER)
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    night = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    view = outbox_view(store, (quiet, loud), night)
    deliver(view, client, store.get_story, now=night, per_channel_interval=0.0)
    assert len(slack_api.posted("C0LOUD001")) == 1 and slack_api.posted("C0QUIET01") == []
    morning = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai
    view = outbox_view(store, (quiet, loud), morning)
    deliver(view, client, store.get_story, now=morning, per_channel_interval=0.0)
    assert len(slack_api.posted("C0QUIET01")) == 1 and len(slack_api.posted("C0LOUD001")) == 1
