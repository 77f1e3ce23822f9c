"""Delivery against the loopback Slack API: order, pacing, retries, holds, threads, floods, crashes.

Only the network is fake (tests/fakes/slack_api.py); the store is a real in-memory SQLite store
and `deliver` runs unmodified. Time is passed in (`now`) or virtual (`Pacer` with a fake clock).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from urllib.request import Request, urlopen

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Route
from bot.deliver import Pacer, deliver, make_client
from bot.reconcile import posted_keys, reconcile
from bot.route import THREAD, Delivery, route
from bot.store import Store
from bot.store.interface import OutboxStore
from bot.store.sqlite.base import now_utc
from bot.story import Match, Source, Story, Tag

try:
    from tests.fakes.slack_api import FakeSlack, slack_api
except ModuleNotFoundError:  # pytest's default import mode puts tests/ itself on sys.path
    from fakes.slack_api import FakeSlack, slack_api  # type: ignore[no-redef]  # noqa: F401

T0 = now_utc() - timedelta(seconds=1)  # message ts in the fake are real epoch times
# a post a crashed process left in `posting`: past any lease (PostgreSQL replicas leave a
# live replica's posts in flight alone; bot.store.postgres.outbox)
CRASHED = T0 - timedelta(minutes=5)
SCMP = Source("scmp-tech", "South China Morning Post", "scmp.com")
OTHER = Source("other-news", "Other News", "other.example")


@pytest.fixture
def store(any_store):
    """Delivery runs against the outbox of both backends (conftest `any_store`)."""
    return any_store


@pytest.fixture
def client(slack_api: FakeSlack) -> WebClient:
    return make_client("xoxb-test", base_url=slack_api.url, timeout=10)


def make_story(key: str, source: Source = SCMP, copy_of: str | None = None) -> Story:
    made = Story(
        key=key,
        url=f"https://www.{source.domain}/{key}",
        title=f"Story {key}",
        source=source,
        published=T0,
        summary=f"Summary of {key}.",
        tags=(Tag("ai", 0.9),),
    )
    return made.with_(duplicate=Match(copy_of, "near")) if copy_of else made


class Library(dict[str, Story]):
    """Stories by key; `load` is what the real Store's get_story will be."""

    def add(self, *stories: Story) -> Library:
        self.update({story.key: story for story in stories})
        return self

    def load(self, key: str) -> Story | None:
        return self.get(key)


def alerts(store: OutboxStore, channel: str, *keys: str) -> None:
    store.enqueue([Delivery(channel, key) for key in keys], now=T0)


def run(store, client, library, now=T0, **options):
    options.setdefault("per_channel_interval", 0.0)
    return deliver(store, client, library.load, now=now, **options)


def keys_posted(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.posted(channel)]


def test_posts_in_order_with_metadata_and_no_unfurls(store, client, slack_api):
    library = Library().add(*(make_story(k) for k in ("a", "b", "c")))
    alerts(store, "C1", "a", "b", "c")
    report = run(store, client, library)
    assert (report.posted, report.messages, report.failed) == (3, 3, 0)
    calls = slack_api.calls_to("chat.postMessage")
    assert [call.params["channel"] for call in calls] == ["C1"] * 3
    for call, key in zip(calls, "abc", strict=True):
        assert call.params["unfurl_links"] is False and call.params["unfurl_media"] is False
        assert call.params["metadata"] == {
            "event_type": "hubnews_story_posted",
            "event_payload": {"key": key},
        }
        assert call.params["text"] == f"Story {key} — South China Morning Post"
        title = call.params["blocks"][0]["elements"][0]["elements"][0]
        assert (title["url"], title["text"]) == (f"https://www.scmp.com/{key}", f"Story {key}")
    rows = store.outbox_rows()
    assert [row.state for row in rows] == ["posted"] * 3
    assert [row.ts for row in rows] == [m["ts"] for m in slack_api.posted("C1")]
    assert store.posted_ts("a", "C1") == rows[0].ts
    assert store.queue_length() == 0
    assert run(store, client, library).posted == 0  # nothing is posted twice


def test_enqueue_is_idempotent(store):
    assert store.enqueue([Delivery("C1", "a"), Delivery("C1", "a"), Delivery("C2", "a")]) == 2
    assert store.enqueue([Delivery("C1", "a")]) == 0
    assert store.queue_length() == 2


def test_per_channel_pacing_uses_the_interval_without_holding_other_channels(
    store, client, slack_api
):
    now = [0.0]
    slack_api.clock = lambda: now[0]
    pacer = Pacer(2.5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    library = Library().add(*(make_story(k) for k in "abcdef"))
    store.enqueue(
        [Delivery(ch, k) for k, ch in zip("abcdef", ["C1", "C2"] * 3, strict=True)], now=T0
    )
    report = deliver(store, client, library.load, now=T0, pacer=pacer)
    assert report.posted == 6
    times: dict[str, list[float]] = {}
    for call in slack_api.calls_to("chat.postMessage"):
        times.setdefault(call.params["channel"], []).append(call.at)
    assert times == {"C1": [0.0, 2.5, 5.0], "C2": [0.0, 2.5, 5.0]}
    assert keys_posted(slack_api, "C1") == ["a", "c", "e"]


def test_429_is_honoured_and_not_a_failure(store, client, slack_api):
    library = Library().add(*(make_story(k) for k in "abc"))
    alerts(store, "C1", "a", "b")
    alerts(store, "C2", "c")
    slack_api.fail("chat.postMessage", status=429, retry_after=30)
    report = run(store, client, library)
    assert (report.rate_limited, report.posted, report.failed, report.retried) == (1, 1, 0, 0)
    assert keys_posted(slack_api, "C2") == ["c"]  # another channel is not held up
    first = store.outbox_rows(story_key="a")[0]
    assert (first.state, first.attempts, first.last_error) == ("pending", 0, "rate limited")
    assert first.next_attempt_at == T0 + timedelta(seconds=30)
    assert run(store, client, library, now=T0 + timedelta(seconds=29)).posted == 0
    assert keys_posted(slack_api, "C1") == []  # "b" waited behind "a": order kept
    assert run(store, client, library, now=T0 + timedelta(seconds=30)).posted == 2
    assert keys_posted(slack_api, "C1") == ["a", "b"]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503},
        {"status": 500, "after": True},
        {"reset": True},
        {"reset": True, "after": True},
    ],
)
def test_server_errors_and_resets_are_retried_and_posted_exactly_once(
    store, client, slack_api, fault
):
    library = Library().add(make_story("a"))
    alerts(store, "C1", "a")
    slack_api.fail("chat.postMessage", **fault)
    report = run(store, client, library, backoff=10)
    assert (report.retried, report.posted) == (1, 0)
    row = store.outbox_rows()[0]
    assert (row.state, row.attempts, row.verify) == ("pending", 1, True)
    assert row.next_attempt_at == T0 + timedelta(seconds=10)
    assert run(store, client, library, now=T0 + timedelta(seconds=9)).posted == 0
    later = run(store, client, library, now=T0 + timedelta(seconds=10))
    assert later.posted + later.reconciled == 1
    assert len(slack_api.posted("C1")) == 1  # exactly one message in the channel
    history = slack_api.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] in ("1", "true", "True")
    assert store.outbox_rows()[0].ts == slack_api.posted("C1")[0]["ts"]


def test_timeout_after_slack_posted_is_not_posted_twice(store, slack_api):
    impatient = make_client("xoxb-test", base_url=slack_api.url, timeout=1)
    library = Library().add(make_story("a"))
    alerts(store, "C1", "a")
    slack_api.fail("chat.postMessage", delay=2.5)  # the client gives up after 1 s
    assert run(store, impatient, library, backoff=1).retried == 1
    assert "timed out" in (store.outbox_rows()[0].last_error or "")
    deadline = time.monotonic() + 10
    while not slack_api.posted("C1") and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow request still lands in Slack
    report = run(store, impatient, library, now=T0 + timedelta(seconds=1))
    assert (report.reconciled, report.posted) == (1, 0)
    assert len(slack_api.posted("C1")) == 1


def test_backoff_grows_and_gives_up_after_max_attempts(store, client, slack_api):
    library = Library().add(make_story("a"))
    alerts(store, "C1", "a")
    slack_api.fail("chat.postMessage", status=502, times=3)
    now = T0
    for expected_wait in (10, 20):
        run(store, client, library, now=now, backoff=10, max_attempts=3)
        row = store.outbox_rows()[0]
        assert row.next_attempt_at == now + timedelta(seconds=expected_wait)
        now = row.next_attempt_at
    report = run(store, client, library, now=now, backoff=10, max_attempts=3)
    row = store.outbox_rows()[0]
    assert (report.failed, row.state, row.attempts, row.last_error) == (1, "failed", 3, "http_502")


def test_channel_not_found_keeps_the_alert_and_tells_the_operator(store, client, slack_api, caplog):
    library = Library().add(*(make_story(k) for k in "abc"))
    alerts(store, "C1", "a", "b")
    alerts(store, "C2", "c")
    slack_api.fail("chat.postMessage", error="channel_not_found")
    with caplog.at_level(logging.ERROR, logger="hubnews.deliver"):
        report = run(store, client, library, hold_retry=600)
    assert (report.held, report.posted) == (1, 1)
    line = (
        'event=deliver_failed channel=C1 story=a error=channel_not_found fix="check the '
        "channel id in [[routes]]; for a private channel invite the bot to the channel "
        '(/invite @hubnews)"'
    )
    assert caplog.messages == [line] and report.problems == [line]
    row = store.outbox_rows(story_key="a")[0]
    assert (row.state, row.last_error) == ("held", "channel_not_found")
    assert store.queue_length() == 2  # a and b kept
    assert run(store, client, library, now=T0 + timedelta(seconds=599)).posted == 0
    assert run(store, client, library, now=T0 + timedelta(seconds=600)).posted == 2
    assert keys_posted(slack_api, "C1") == ["a", "b"]


def test_revoked_token_holds_and_stops_the_cycle(store, client, slack_api, caplog):
    library = Library().add(*(make_story(k) for k in "ab"))
    alerts(store, "C1", "a")
    alerts(store, "C2", "b")
    slack_api.fail("chat.postMessage", error="token_revoked")
    report = run(store, client, library)
    assert (report.held, report.posted) == (1, 0)
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # no pointless second call
    assert "SLACK_BOT_TOKEN" in report.problems[0]
    assert [row.state for row in store.outbox_rows()] == ["held", "pending"]


def test_invalid_blocks_fail_but_stay_in_the_outbox(store, client, slack_api):
    library = Library().add(*(make_story(k) for k in "ab"))
    alerts(store, "C1", "a", "b")
    slack_api.fail("chat.postMessage", error="invalid_blocks")
    report = run(store, client, library)
    assert (report.failed, report.posted) == (1, 1)
    assert [row.state for row in store.outbox_rows()] == ["failed", "posted"]


def test_story_missing_from_the_store_fails_without_stopping_others(store, client, slack_api):
    alerts(store, "C1", "gone", "b")
    report = run(store, client, Library().add(make_story("b")))
    assert (report.failed, report.posted) == (1, 1)
    assert store.outbox_rows()[0].last_error == "story not found in the store"


def test_copy_is_a_thread_reply_under_the_original(store, client, slack_api):
    original, copy = make_story("a"), make_story("a2", OTHER, copy_of="a")
    update = make_story("a3", Source("scmp-china", "SCMP China", "www.scmp.com"), copy_of="a")
    library = Library().add(original, copy, update)
    alerts(store, "C1", "a")
    assert store.enqueue([Delivery("C1", k, THREAD, "a") for k in ("a2", "a3")], now=T0) == 2
    assert store.enqueue([Delivery("C2", "a2", THREAD, "a")]) == 0  # never alerted in C2
    assert run(store, client, library).posted == 3
    parent, *replies = slack_api.calls_to("chat.postMessage")
    parent_ts = slack_api.posted("C1")[0]["ts"]
    assert "thread_ts" not in parent.params
    assert [call.params["thread_ts"] for call in replies] == [parent_ts, parent_ts]
    assert replies[0].params["text"] == "+1 source: Story a2 — other.example"
    assert replies[0].params["blocks"][0]["elements"][0]["elements"] == [
        {"type": "text", "text": "+1 source: "},
        {"type": "link", "url": "https://www.other.example/a2", "text": "Story a2"},
        {"type": "text", "text": " — other.example"},
    ]
    assert replies[1].params["text"] == "Updated: Story a3"
    assert replies[0].params["metadata"]["event_payload"] == {"key": "a2"}


def test_thread_reply_waits_for_the_original(store, client, slack_api):
    library = Library().add(make_story("a"), make_story("a2", OTHER, copy_of="a"))
    alerts(store, "C1", "a")
    store.enqueue([Delivery("C1", "a2", THREAD, "a")], now=T0)
    slack_api.fail("chat.postMessage", status=500)
    assert run(store, client, library, backoff=5).posted == 0
    assert [row.state for row in store.outbox_rows()] == ["pending", "pending"]
    assert run(store, client, library, now=T0 + timedelta(seconds=5)).posted == 2
    replies = slack_api.calls_to("chat.postMessage")[-1]
    assert replies.params["thread_ts"] == store.posted_ts("a", "C1")


def test_flood_is_posted_as_one_batched_message(store, client, slack_api):
    library = Library().add(
        *(make_story(f"s{i}") for i in range(7)), make_story("s0-copy", OTHER, copy_of="s0")
    )
    alerts(store, "C1", *(f"s{i}" for i in range(5)))
    alerts(store, "C2", "s5", "s6")
    report = run(store, client, library, flood=3)
    assert (report.posted, report.messages, report.batches) == (7, 3, 1)
    [batch] = slack_api.posted("C1")
    assert batch["metadata"]["event_payload"]["keys"] == [f"s{i}" for i in range(5)]
    assert batch["blocks"][0]["text"]["text"] == "*5 new stories*"
    assert keys_posted(slack_api, "C2") == ["s5", "s6"]
    rows = store.outbox_rows()[:5]
    assert {(row.state, row.ts, row.batched) for row in rows} == {("posted", batch["ts"], True)}
    store.enqueue([Delivery("C1", "s0-copy", THREAD, "s0")], now=T0)
    run(store, client, library, flood=3)
    assert slack_api.calls_to("chat.postMessage")[-1].params["thread_ts"] == batch["ts"]


@pytest.mark.parametrize("event_type", ["hubnews_story_posted", "hubnews_story"])
def test_reconcile_after_a_crash_posts_exactly_once(store, client, slack_api, event_type):
    """Also for a post made before the upgrade, under the old event type."""
    library = Library().add(make_story("a"), make_story("b"))
    alerts(store, "C1", "a", "b")
    rows = store.outbox_rows()
    # The crash: both rows were marked posting; "a" reached Slack, "b" never did.
    store.mark_posting([row.id for row in rows], CRASHED)
    client.chat_postMessage(
        channel="C1",
        text="Story a",
        metadata={"event_type": event_type, "event_payload": {"key": "a"}},
    )
    assert [row.story_key for row in store.in_doubt()] == ["a", "b"]
    assert reconcile(store, client, now=T0) == 1
    assert [row.state for row in store.outbox_rows()] == ["posted", "pending"]
    report = run(store, client, library)
    assert report.posted == 1
    assert keys_posted(slack_api, "C1") == ["a", "b"]  # one message each
    assert store.outbox_rows()[0].ts == slack_api.posted("C1")[0]["ts"]
    assert store.in_doubt() == []


def test_deliver_reconciles_before_posting(store, client, slack_api):
    library = Library().add(make_story("a"))
    alerts(store, "C1", "a")
    store.mark_posting([store.outbox_rows()[0].id], CRASHED)
    report = run(store, client, library)
    assert (report.reconciled, report.posted) == (0, 1)
    # history was read before posting, and the row was posted once
    assert [call.method for call in slack_api.calls] == [
        "conversations.history",
        "chat.postMessage",
    ]
    assert keys_posted(slack_api, "C1") == ["a"]
    assert run(store, client, library).posted == 0


def test_history_unreadable_leaves_crashed_rows_for_later(store, client, slack_api):
    alerts(store, "C1", "a")
    store.mark_posting([store.outbox_rows()[0].id], CRASHED)
    slack_api.fail("conversations.history", status=503)
    assert reconcile(store, client, now=T0) == 0
    assert store.outbox_rows()[0].state == "posting"


def test_a_flood_too_big_for_one_message_is_split_and_all_posted(store, client, slack_api):
    long = "https://www.scmp.com/" + "a" * 450
    stories = (make_story(f"s{i}").with_(title="&" * 300, url=f"{long}{i}") for i in range(30))
    library = Library().add(*stories)
    alerts(store, "C1", *(f"s{i}" for i in range(30)))
    report = run(store, client, library, flood=2)
    assert report.posted == 30 and report.messages == report.batches >= 2
    listed = [key for m in slack_api.posted("C1") for key in m["metadata"]["event_payload"]["keys"]]
    assert listed == [f"s{i}" for i in range(30)]
    for message in slack_api.posted("C1"):
        assert "more" not in message["blocks"][-1].get("elements", [{}])[0].get("text", "")


def test_reconcile_settles_a_crashed_batch_with_one_history_call(store, client, slack_api):
    alerts(store, "C1", "a", "b", "c")
    store.mark_posting([row.id for row in store.outbox_rows()], CRASHED)
    client.chat_postMessage(
        channel="C1",
        text="3 new stories",
        metadata={
            "event_type": "hubnews_story",
            "event_payload": {"key": "a", "keys": ["a", "b", "c"]},
        },
    )
    assert reconcile(store, client, now=T0) == 3
    assert len(slack_api.calls_to("conversations.history")) == 1
    ts = slack_api.posted("C1")[0]["ts"]
    assert {(row.state, row.ts, row.batched) for row in store.outbox_rows()} == {
        ("posted", ts, True)
    }


def test_reply_to_an_original_that_failed_is_given_up(store, client, slack_api):
    library = Library().add(make_story("a"), make_story("a2", OTHER, copy_of="a"))
    alerts(store, "C1", "a")
    store.enqueue([Delivery("C1", "a2", THREAD, "a")], now=T0)
    slack_api.fail("chat.postMessage", error="msg_too_long")
    report = run(store, client, library)
    assert report.failed == 2 and slack_api.posted("C1") == []
    assert [row.last_error for row in store.outbox_rows()] == [
        "msg_too_long",
        "the original alert was not posted here",
    ]


def test_thread_replies_per_story_are_capped(store):
    alerts(store, "C1", "a")
    copies = [Delivery("C1", f"a{i}", THREAD, "a") for i in range(5)]
    assert store.enqueue(copies, now=T0, thread_cap=3) == 3


# ---------------------------------------------------------------- the fake itself
# Other tests (the Bolt app's) rely on these endpoints; check they answer like Slack.


def test_fake_answers_the_other_endpoints(slack_api):
    web = WebClient(token="xoxb-test", base_url=slack_api.url)
    slack_api.admins = {"U0ADMIN"}
    assert web.auth_test()["user_id"] == "U0BOT"
    assert web.users_info(user="U0ADMIN")["user"]["is_admin"] is True
    assert web.users_info(user="U0OTHER")["user"]["is_admin"] is False
    assert web.conversations_list()["channels"] == [{"id": "C0GENERAL", "name": "general"}]
    web.chat_postEphemeral(channel="C1", user="U0ADMIN", text="only you")
    assert slack_api.ephemeral[0]["text"] == "only you"
    ts = web.chat_postMessage(channel="C1", text="before")["ts"]
    web.chat_update(channel="C1", ts=ts, text="after")
    assert [m["text"] for m in slack_api.posted("C1")] == ["after"]
    reply = web.chat_postMessage(channel="C1", text="in thread", thread_ts=ts)["ts"]
    assert [m["ts"] for m in web.conversations_history(channel="C1")["messages"]] == [ts]
    replies = web.conversations_replies(channel="C1", ts=ts)["messages"]
    assert [m["ts"] for m in replies] == [reply]
    assert slack_api.calls[0].headers["Authorization"] == "Bearer xoxb-test"


def test_fake_checks_tokens_and_captures_response_url_posts(slack_api):
    slack_api.tokens = {"xoxb-good"}
    assert WebClient(token="xoxb-good", base_url=slack_api.url).auth_test()["ok"]
    bad = WebClient(token="xoxb-bad", base_url=slack_api.url)
    with pytest.raises(SlackApiError) as caught:
        bad.auth_test()
    assert caught.value.response["error"] == "invalid_auth"
    body = json.dumps({"response_type": "ephemeral", "text": "hi"}).encode()
    request = Request(
        slack_api.response_url("abc"), data=body, headers={"Content-Type": "application/json"}
    )
    with urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    assert slack_api.responses["abc"] == [{"response_type": "ephemeral", "text": "hi"}]


def test_fake_faults_are_consumed_in_order(slack_api):
    web = make_client("xoxb-test", base_url=slack_api.url)
    slack_api.fail("auth.test", status=429, retry_after=3)
    slack_api.fail("auth.test", error="invalid_auth")
    with pytest.raises(SlackApiError) as first:
        web.auth_test()
    assert first.value.response.status_code == 429
    assert first.value.response.headers["Retry-After"] == "3"
    with pytest.raises(SlackApiError) as second:
        web.auth_test()
    assert second.value.response["error"] == "invalid_auth"
    assert web.auth_test()["ok"] is True
    slack_api.fail("auth.test", reset=True)
    with pytest.raises(OSError):
        web.auth_test()


def test_with_the_real_store_a_story_and_its_copy_reach_slack_once(slack_api):
    real = Store(":memory:")
    try:
        original, copy = make_story("a"), make_story("a2", OTHER, copy_of="a")
        routes = [Route("C1", tags=("ai",)), Route("C2", sources=("other.example",))]
        for story in (original, copy):
            real.save(story)
            real.enqueue(route(story, routes), now=T0)
        web = make_client("xoxb-test", base_url=slack_api.url)
        report = deliver(real, web, real.get_story, now=T0, per_channel_interval=0)
        assert (report.posted, report.failed) == (2, 0)
        assert slack_api.posted("C2") == []  # the copy has no original alert in C2
        first, reply = slack_api.posted("C1")
        assert reply["thread_ts"] == first["ts"]
        assert reply["text"] == "+1 source: Story a2 — other.example"
        assert real.queue_length() == 0
    finally:
        real.close()


def test_cycles_do_not_overlap(store, client, slack_api):
    library = Library().add(make_story("a"), make_story("b"))
    alerts(store, "C1", "a", "b")
    nested = []

    def sleep(seconds: float) -> None:  # while the first cycle waits, a second one starts
        nested.append(deliver(store, client, library.load, now=T0, per_channel_interval=0))

    report = deliver(
        store, client, library.load, now=T0, pacer=Pacer(60, sleep=sleep), max_wait=120
    )
    assert report.posted == 2
    assert [(r.posted, r.problems) for r in nested] == [
        (0, ["a delivery cycle is already running"])
    ]
    assert keys_posted(slack_api, "C1") == ["a", "b"]


# ---------------------------------------------------------------- #name routes and long history


@pytest.fixture
def real_store():
    made = Store(":memory:")
    yield made
    made.close()


def test_hash_name_routes_are_posted_and_reconciled_by_id(real_store, client, slack_api):
    """A post made by name before a crash is found again (history takes ids only)."""
    from bot.channels import ChannelDirectory

    slack_api.channels = [{"id": f"C0FILL{i:03d}", "name": f"fill-{i}"} for i in range(250)]
    slack_api.channels.append({"id": "C0AIPOL", "name": "ai-policy"})
    directory = ChannelDirectory(client, real_store)
    assert directory.resolve_all(["#ai-policy", "C0OTHER"]) == {"#ai-policy": "C0AIPOL"}
    listed = slack_api.calls_to("conversations.list")
    assert len(listed) == 2 and listed[1].params["cursor"]  # paged: the name is on page 2
    library = Library().add(make_story("a"), make_story("b"))
    for story in library.values():
        real_store.save(story)
    real_store.enqueue([Delivery("#ai-policy", "a")], now=T0)
    real_store.mark_posting([real_store.outbox_rows()[0].id], CRASHED)
    client.chat_postMessage(  # the crash: Slack took the post (by name), hubnews never knew
        channel="#ai-policy",
        text="Story a",
        metadata={"event_type": "hubnews_story", "event_payload": {"key": "a"}},
    )
    real_store.enqueue([Delivery("#ai-policy", "b")], now=T0)
    report = deliver(
        real_store, client, library.load, now=T0, per_channel_interval=0, resolve=directory
    )
    assert (report.reconciled, report.posted) == (1, 1)
    assert keys_posted(slack_api, "C0AIPOL") == ["a", "b"]  # "a" once
    assert {c.params["channel"] for c in slack_api.calls_to("conversations.history")} == {"C0AIPOL"}
    assert slack_api.calls_to("chat.postMessage")[-1].params["channel"] == "C0AIPOL"
    assert len(slack_api.calls_to("conversations.list")) == 2  # resolved once, then stored
    assert real_store.channel_id("#ai-policy") == "C0AIPOL"


def test_a_name_that_does_not_resolve_is_held_with_the_fix(real_store, client, slack_api, caplog):
    from bot.channels import ChannelDirectory

    directory = ChannelDirectory(client, real_store)
    library = Library().add(make_story("a"))
    real_store.save(make_story("a"))
    real_store.enqueue([Delivery("#ai-polcy", "a")], now=T0)
    with caplog.at_level(logging.ERROR):
        report = deliver(
            real_store, client, library.load, now=T0, per_channel_interval=0, resolve=directory
        )
    assert (report.held, report.posted) == (1, 0)
    assert slack_api.calls_to("chat.postMessage") == []
    row = real_store.outbox_rows()[0]
    assert (row.state, row.last_error) == ("held", "channel_name_unresolved")
    assert "error=channel_name_unresolved" in report.problems[0]
    assert "fix the name in [[routes]]" in report.problems[0]
    assert "/invite @hubnews" in report.problems[0]


def test_reconcile_pages_back_to_the_post_through_a_busy_channel(store, client, slack_api):
    alerts(store, "C1", "a")
    store.mark_posting([store.outbox_rows()[0].id], CRASHED)
    client.chat_postMessage(
        channel="C1",
        text="Story a",
        metadata={"event_type": "hubnews_story_posted", "event_payload": {"key": "a"}},
    )
    for n in range(450):  # people talk after the crash: the post is 451st, newest first
        slack_api.messages["C1"].append({"type": "message", "ts": slack_api._ts(), "text": n})
    assert reconcile(store, client, now=T0) == 1
    calls = slack_api.calls_to("conversations.history")
    assert len(calls) == 3 and all(c.params["oldest"] for c in calls)
    assert [bool(c.params.get("cursor")) for c in calls] == [False, True, True]
    assert store.outbox_rows()[0].state == "posted"
    assert len(keys_posted_any(slack_api, "C1")) == 1


def test_reconcile_reads_a_bounded_number_of_pages(store, client, slack_api, caplog):
    alerts(store, "C1", "a")
    store.mark_posting([store.outbox_rows()[0].id], CRASHED)
    for n in range(450):
        slack_api.messages["C1"].append({"type": "message", "ts": slack_api._ts(), "text": n})
    with caplog.at_level(logging.WARNING, logger="hubnews.deliver"):
        assert posted_keys(client, "C1", None, T0, max_pages=2) == {}
    assert len(slack_api.calls_to("conversations.history")) == 2
    assert any("event=reconcile_truncated" in m for m in caplog.messages)


def keys_posted_any(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.posted(channel) if "metadata" in m]


def test_two_deliverers_on_one_database_post_each_row_once(tmp_path, client, slack_api):
    """A second process delivers while this one waits to post: no row goes out twice."""
    import subprocess
    import sys
    from pathlib import Path

    real = Store(tmp_path / "h.db")
    try:
        for key in "abc":
            real.save(make_story(key))
        alerts(real, "C1", "a", "b", "c")
        other = (
            "from bot.deliver import deliver, make_client; from bot.store import Store; "
            f"store = Store({str(tmp_path / 'h.db')!r}); "
            f"client = make_client('xoxb-test', base_url={slack_api.url!r}, timeout=10); "
            "print(deliver(store, client, store.get_story, per_channel_interval=0).posted)"
        )
        ran: list[subprocess.CompletedProcess[str]] = []

        def sleep(seconds: float) -> None:  # before this process's 2nd post, the other runs
            if not ran:
                root = Path(__file__).resolve().parents[1]
                ran.append(
                    subprocess.run(
                        [sys.executable, "-c", other],
                        capture_output=True,
                        text=True,
                        cwd=root,
                        timeout=120,
                    )
                )

        report = deliver(
            real, client, real.get_story, now=T0, pacer=Pacer(60, sleep=sleep), max_wait=120
        )
        assert ran and ran[0].returncode == 0, ran and ran[0].stderr
        assert int(ran[0].stdout) == 2 and report.posted == 1  # b and c went out over there
        assert sorted(keys_posted(slack_api, "C1")) == ["a", "b", "c"]
        assert {row.state for row in real.outbox_rows()} == {"posted"}
    finally:
        real.close()


def test_a_claim_fails_for_rows_another_deliverer_took(tmp_path):
    first, second = Store(tmp_path / "h.db"), Store(tmp_path / "h.db")
    try:
        first.save(make_story("a"))
        first.save(make_story("b"))
        alerts(first, "C1", "a", "b")
        ids = [row.id for row in second.due(now_utc())]
        assert first.mark_posting(ids[:1], now_utc()) is True
        assert second.mark_posting(ids, now_utc()) is False  # all or nothing
        assert [r.state for r in second.outbox_rows()] == ["posting", "pending"]
        assert second.mark_posting(ids[1:], now_utc()) is True
    finally:
        first.close()
        second.close()


# ------------------------------------------------------------------ several deliverers


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request, tmp_path):
    """Two stores on one database, as two replicas (or processes) would hold them."""
    if request.param == "sqlite":
        made = [Store(tmp_path / "h.db"), Store(tmp_path / "h.db")]
    else:
        from bot.store.postgres import PostgresStore

        url = request.getfixturevalue("pg_server").database()
        made = [PostgresStore(url), PostgresStore(url)]
    yield made
    for store in made:
        store.close()


def test_a_channels_posting_slot_is_taken_once_until_it_frees(store):
    assert store.take_slot("C1", 1.0, now=100.0) == 0.0
    assert store.take_slot("C1", 1.0, now=100.25) == pytest.approx(0.75)
    assert store.take_slot("C2", 1.0, now=100.25) == 0.0  # channels are paced apart
    assert store.take_slot("C1", 1.0, now=101.0) == 0.0
    assert store.take_slot("C1", 0.0, now=101.5) == pytest.approx(0.5)
    assert store.take_slot("C1", 0.0, now=102.0) == 0.0  # no interval: always free when due
    store.push_slot("C1", 8.0, now=102.0)  # a post ended late: the next slot counts from its end
    store.push_slot("C1", 1.0, now=104.0)  # never moved back
    assert store.take_slot("C1", 1.0, now=103.0) == pytest.approx(7.0)


def test_the_pace_holds_across_deliverers_on_one_database(two_stores, client, slack_api):
    """Another replica just posted to C1: this one waits for the slot, then posts."""
    mine, other = two_stores
    mine.save(make_story("a"))
    alerts(mine, "C1", "a")
    assert other.take_slot("C1", 60.0, now=time.time() - 59.6) == 0.0  # frees in ~0.4 s
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    report = deliver(
        mine, client, mine.get_story, now=T0, pacer=Pacer(60, sleep=sleep, shared=mine)
    )
    assert report.posted == 1 and keys_posted(slack_api, "C1") == ["a"]
    assert waits and 0 < waits[0] <= 0.4  # waited for the other's slot, not a whole interval
    assert mine.take_slot("C1", 60.0) > 59.5  # the next slot: an interval after the post ended


def test_a_channel_kept_busy_by_another_deliverer_is_left_for_the_next_cycle(
    two_stores, client, slack_api
):
    mine, other = two_stores
    mine.save(make_story("a"))
    alerts(mine, "C1", "a")
    other.take_slot("C1", 3600.0)  # the other replica holds C1's slot for a long time
    waits: list[float] = []
    pacer = Pacer(60, sleep=waits.append, shared=mine)
    report = deliver(mine, client, mine.get_story, now=T0, pacer=pacer)
    assert report.posted == 0 and not slack_api.posted("C1")
    assert len(waits) == 3  # a few waits of one interval at most, then the channel is left
    assert [row.state for row in mine.outbox_rows()] == ["pending"]  # nothing lost


def test_rows_claimed_by_another_deliverer_keep_the_channels_order(two_stores, client, slack_api):
    """Both listed a, b as due; the other claims a first. Posting b now would put b before a
    in the channel: this deliverer leaves C1 to the other for the cycle."""
    mine, other = two_stores
    for key in "ab":
        mine.save(make_story(key))
    alerts(mine, "C1", "a", "b")
    first = other.due(now_utc())[0]
    assert first.story_key == "a"

    class Between:  # runs between `due` and the claim of a
        def take_slot(self, channel: str, interval: float, now: float | None = None) -> float:
            other.mark_posting([first.id], now_utc())
            return 0.0

        def push_slot(self, channel: str, interval: float, now: float | None = None) -> None:
            pass

    report = deliver(mine, client, mine.get_story, now=T0, pacer=Pacer(0, shared=Between()))
    assert report.posted == 0 and not slack_api.posted("C1")
    assert [(r.story_key, r.state) for r in mine.outbox_rows()] == [
        ("a", "posting"),
        ("b", "pending"),
    ]
