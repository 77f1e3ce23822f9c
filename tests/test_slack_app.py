"""The Slack edge over real HTTP: signed slash commands and button clicks, as Slack sends them,
to the running app (Bolt + Starlette on uvicorn), with a loopback Slack Web API behind it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot import config
from bot.deliver import deliver, make_client
from bot.pipeline import Pipeline
from bot.query import parse_query
from bot.route import Delivery
from bot.slack.app import build_app
from bot.slack.commands import unslack
from bot.slack.server import http_app, serve_http
from bot.store import Store
from bot.story import Source, Story
from bot.urls import canonical_url

from fakes import free_port
from fakes.feed_server import FeedServer
from fakes.slack_api import FakeSlack, signed_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"
_ids = count(1)


class Running:
    """The app under test: its URL, the fake Slack, and helpers that act like Slack."""

    def __init__(self, url: str, fake: FakeSlack, store: Store) -> None:
        self.url, self.fake, self.store = url, fake, store

    def post(
        self, form: dict[str, str], *, secret: str = SECRET, age: float = 0.0, tamper: bool = False
    ) -> httpx.Response:
        body = urlencode(form)
        headers = signed_headers(secret, body, age=age)
        if tamper:
            body = body.replace("Yizhuang", "Beijing")
        return httpx.post(
            f"{self.url}/slack/events", content=body.encode(), timeout=10, headers=headers
        )

    def event(self, event: dict[str, Any]) -> httpx.Response:
        """An Events API callback as Slack sends it: signed JSON."""
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "event_id": f"Ev{next(_ids)}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = signed_headers(SECRET, body) | {"Content-Type": "application/json"}
        return httpx.post(
            f"{self.url}/slack/events", content=body.encode(), timeout=10, headers=headers
        )

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """An interactivity payload (block_actions from the Home tab, view_submission)."""
        return self.post({"payload": json.dumps(payload)})

    def command(
        self, text: str, *, user: str = "U123", channel: str = "C0TECHPOL1", **kwargs: Any
    ) -> tuple[httpx.Response, str]:
        response_id = f"r{next(_ids)}"
        form = {
            "command": "/hubnews",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": "T1",
            "response_url": self.fake.response_url(response_id),
            "trigger_id": "1.2.3",
            "token": "legacy",
        }
        return self.post(form, **kwargs), response_id

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U123",
        channel: str = "C0TECHPOL1",
        message: dict[str, Any] | None = None,
    ) -> str:
        response_id = f"r{next(_ids)}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T1"},
            "channel": {"id": channel},
            "trigger_id": "1.2.3",
            "response_url": self.fake.response_url(response_id),
            "actions": [
                {
                    "action_id": action_id,
                    "value": value,
                    "type": "button",
                    "block_id": "b",
                    "action_ts": "1",
                }
            ],
        }
        if message is not None:
            payload["message"] = message
        assert self.post({"payload": json.dumps(payload)}).status_code == 200
        return response_id

    def reply(self, response_id: str) -> dict[str, Any]:
        """The ephemeral answer Slack received on the response_url (waits for it)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.fake.responses.get(response_id):
                return self.fake.responses[response_id][0]
            time.sleep(0.02)
        raise AssertionError(f"no answer on response_url {response_id}")

    def text_of(self, response_id: str) -> str:
        answer = self.reply(response_id)
        assert answer.get("response_type") == "ephemeral"
        return json.dumps(answer.get("blocks", []), ensure_ascii=False)


@pytest.fixture
def running(
    slack_api: FakeSlack, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Running]:
    """The app with two sample feeds; `indirect` params: hosts feeds from Slack may use."""
    allow = tuple(getattr(request, "param", ()))
    feeds = (
        config.Feed("scmp-tech", str(SAMPLES / "scmp-tech.xml")),
        config.Feed("scmp-china-policy", str(SAMPLES / "scmp-china-policy.xml")),
    )
    base = config.load(None, environ={})
    cfg = replace(
        base,
        path=None,
        database=tmp_path / "h.db",
        feeds=feeds,
        alert_max_age=timedelta(days=36500),
        admins=("UADMIN",),
        secrets=config.Secrets("xoxb-test", SECRET, None),
        slack_api_url=slack_api.url,
        limits=replace(base.limits, allow_private=allow),
    )
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store)
    list(pipeline.poll(cfg.feeds))
    pipeline.close()
    store.save(
        Story(
            key="zh-1",
            url="https://example.cn/1",
            title="北京亦庄获批人工智能创新中心",
            source=Source("cn", "Example CN", "example.cn"),
            published=None,
            content="亦庄 经济技术开发区 人工智能",
        )
    )
    port, stop, started = free_port(), threading.Event(), threading.Event()
    asgi = http_app(build_app(cfg, store), lambda: (True, {"ok": True}))
    thread = threading.Thread(
        target=serve_http,
        args=(asgi, port, stop, "127.0.0.1"),
        kwargs={"started": started},
        daemon=True,
    )
    thread.start()
    assert started.wait(10), "the HTTP server did not start"
    try:
        yield Running(f"http://127.0.0.1:{port}", slack_api, store)
    finally:
        stop.set()
        thread.join(10)
        store.close()


def test_search_returns_the_seed_story_once_with_its_copy_folded(running: Running) -> None:
    response, rid = running.command("Yizhuang")
    assert response.status_code == 200
    answer = running.text_of(rid)
    assert answer.count("Beijing tech park eyes AI hub") == 1
    assert "Artificial intelligence nod" not in answer  # the copy is folded, not listed
    assert "2 sources" in answer
    assert '{"type": "text", "text": "Yizhuang", "style": {"bold": true}}' in answer


def test_chinese_query_finds_the_chinese_story(running: Running) -> None:
    _, rid = running.command("亦庄")
    assert "北京亦庄获批人工智能创新中心" in running.text_of(rid)


def test_no_hits_suggests_the_nearest_word(running: Running) -> None:
    _, rid = running.command("Yizuang")
    assert "Did you mean *yizhuang*?" in running.text_of(rid)


def test_help_and_unknown_tag(running: Running) -> None:
    _, rid = running.command("help")
    assert "tag:ai" in running.text_of(rid)
    _, rid = running.command("Yizhuang tag:sport")
    assert "No tag" in running.text_of(rid) and "industrial-policy" in running.text_of(rid)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "x" * 10_000,
        '"',
        "a*",
        "NEAR(a b",
        "OR OR",
        "((unbalanced",
        "'; DROP TABLE stories; --",
        "🚀🚀",
        "Yi\u200bzhuang",
        "since:never",
        "tag:",
        "why",
        "feeds frobnicate",
    ],
)
def test_bad_input_gets_a_helpful_answer(running: Running, text: str) -> None:
    response, rid = running.command(text)
    assert response.status_code == 200
    answer = running.reply(rid)
    assert answer["blocks"] and answer["response_type"] == "ephemeral"
    assert "went wrong" not in json.dumps(answer)  # no error reached the error handler
    assert running.store.count_stories() == 3


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"secret": "forged-secret"}, "forged signature"),
        ({"age": 6 * 60}, "6-minute-old timestamp"),
        ({"tamper": True}, "body changed after signing"),
    ],
)
def test_unsigned_or_stale_requests_are_refused(
    running: Running, change: dict[str, Any], why: str
) -> None:
    response, rid = running.command("Yizhuang", **change)
    assert response.status_code == 401, why
    time.sleep(0.3)
    assert rid not in running.fake.responses


def test_why_explains_tags_and_the_copy_decision(running: Running) -> None:
    copy = next(
        s
        for s in running.store.cluster(running.store.search(parse_query("Yizhuang"))[0].story.key)
        if s.duplicate
    )
    _, rid = running.command(f"why {copy.url}")
    answer = running.text_of(rid)
    assert "Folded as a copy" in answer and "containment" in answer


def test_admin_commands_are_refused_to_others(running: Running) -> None:
    _, rid = running.command("feeds add https://example.org/feed.xml", user="UNOBODY")
    assert "Only hubnews admins" in running.text_of(rid)
    _, rid = running.command("follow tag:ai", user="UNOBODY")
    assert "Only hubnews admins" in running.text_of(rid)


def test_workspace_admins_count_as_admins(running: Running) -> None:
    running.fake.admins.add("UWSADMIN")
    _, rid = running.command("follow tag:ai", user="UWSADMIN")
    assert "tagged `ai` to this channel" in running.text_of(rid)
    assert [r.channel for r in running.store.slack_routes()] == ["C0TECHPOL1"]
    _, rid = running.command("unfollow", user="UWSADMIN")
    assert "no longer gets their alerts" in running.text_of(rid)
    assert running.store.slack_routes() == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed.xml",
        "http://169.254.169.254/latest",
        "http://localhost:8080/rss",
        "http://10.1.2.3/rss",
    ],
)
def test_feeds_added_from_slack_may_not_use_private_addresses(running: Running, url: str) -> None:
    _, rid = running.command(f"feeds add {url}", user="UADMIN")
    answer = running.text_of(rid)
    assert "Not added" in answer and "non-public address" in answer
    assert all(f.origin != "slack" for f in running.store.feeds())


def test_feeds_lists_health(running: Running) -> None:
    _, rid = running.command("feeds")
    answer = running.text_of(rid)
    assert "scmp-tech" in answer and "ok" in answer


def test_feedback_buttons_record_verdicts(running: Running) -> None:
    key = running.store.search(parse_query("Yizhuang"))[0].story.key
    rid = running.click("feedback_relevant", key, user="U7")
    assert "Recorded: *relevant*" in running.text_of(rid)
    verdicts = running.store.verdicts()
    assert {v.tag for v in verdicts} == {"ai", "industrial-policy"}
    assert {(v.verdict, v.user, v.story_key) for v in verdicts} == {("relevant", "U7", key)}
    rid = running.click("why", key)
    assert "industrial-policy" in running.text_of(rid)


def test_healthz_answers(running: Running) -> None:
    response = httpx.get(f"{running.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_a_request_without_signature_headers_is_refused(running: Running) -> None:
    response = httpx.post(
        f"{running.url}/slack/events",
        timeout=10,
        content=b"command=%2Fhubnews&text=Yizhuang&user_id=U1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


def _post_alert(running: Running, key: str, channel: str = "C0TECHPOL1") -> dict[str, Any]:
    """The story's alert, posted in the fake Slack as hubnews posts it; returns the message."""
    from slack_sdk import WebClient

    from bot.render import render_alert

    story = running.store.get_story(key)
    assert story is not None
    blocks, text = render_alert(story)
    WebClient(token="xoxb-test", base_url=running.fake.url).chat_postMessage(
        channel=channel, blocks=blocks, text=text
    )
    return running.fake.posted(channel)[-1]


def _button_labels(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message["blocks"]
        if block.get("block_id") == "hubnews_feedback"
        for element in block["elements"]
    ]


def test_a_vote_shows_its_count_on_the_alert_and_a_second_click_takes_it_back(
    running: Running,
) -> None:
    key = running.store.search(parse_query("Yizhuang"))[0].story.key
    message = _post_alert(running, key)
    rid = running.click("feedback_relevant", key, user="U7", message=message)
    answer = running.text_of(rid)
    assert "Recorded: *relevant*" in answer and "👍 1 · 👎 0" in answer
    assert "10 voted stories needed" in answer  # says what the vote does, honestly
    assert _button_labels(running.fake.posted("C0TECHPOL1")[-1])[:2] == [
        "👍 Relevant · 1",
        "👎 Not relevant",
    ]
    rid = running.click("feedback_relevant", key, user="U7", message=message)
    assert "taken back" in running.text_of(rid)
    assert _button_labels(running.fake.posted("C0TECHPOL1")[-1])[:2] == [
        "👍 Relevant",
        "👎 Not relevant",
    ]
    assert running.store.vote_counts(key, "C0TECHPOL1") == (0, 0)


def test_feedback_command_lists_thresholds_and_only_admins_reset_them(running: Running) -> None:
    from bot.route import Delivery

    key = running.store.search(parse_query("Yizhuang"))[0].story.key
    running.store.enqueue([Delivery("C0TECHPOL1", key)])
    running.store.toggle_vote(key, "not_relevant", "U7", channel="C0TECHPOL1")
    _, rid = running.command("feedback")
    assert "ai: threshold 0.50 (untuned: 1 of 10" in running.text_of(rid)
    _, rid = running.command("why " + key)
    assert "Thresholds tuned by votes" in running.text_of(rid)
    _, rid = running.command("feedback reset", user="U123")
    assert "Only hubnews admins" in running.text_of(rid)
    assert running.store.tuning_votes()
    _, rid = running.command("feedback reset", user="UADMIN")
    assert "no longer tune" in running.text_of(rid)
    assert running.store.tuning_votes() == []
    _, rid = running.command("feedback")
    assert "No votes in this channel yet" in running.text_of(rid)


def _the_copy(running: Running) -> str:
    original = running.store.search(parse_query("Yizhuang"))[0].story.key
    [copy] = running.store.cluster(original)[1:]
    return copy.key


def test_not_a_copy_splits_the_copy_out_and_says_where_it_goes(running: Running) -> None:
    key = _the_copy(running)
    rid = running.click("not_a_copy", key, user="U7")
    answer = running.text_of(rid)
    assert "Split:" in answer and "no longer folded" in answer
    assert running.store.get_story(key).duplicate is None  # type: ignore[union-attr]
    assert [v.user for v in running.store.copy_verdicts()] == ["U7"]
    rid = running.click("not_a_copy", key, user="U7")
    assert "is not folded as a copy" in running.text_of(rid)


def test_split_command_takes_the_copys_link(running: Running) -> None:
    key = _the_copy(running)
    story = running.store.get_story(key)
    assert story is not None
    _, rid = running.command(f"split <{story.url}>")
    assert "Split:" in running.text_of(rid)
    assert running.store.get_story(key).duplicate is None  # type: ignore[union-attr]


# ---------------------------------------------------------------- hardening-2: Slack conformance


def save(running: Running, key: str, url: str, title: str, content: str = "") -> Story:
    story = Story(
        key=key,
        url=url,
        canonical_url=canonical_url(url),
        title=title,
        source=Source("ex", "Example", "example.org"),
        published=None,
        content=content or title,
    )
    running.store.save(story)
    return story


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("R&amp;D subsidy", "R&D subsidy"),
        ("&lt;b&gt; &amp;lt;", "<b> &lt;"),  # decoded once: a typed "&lt;" stays "&lt;"
        ("<https://x.example/?a=1&amp;b=2|x.example>", "https://x.example/?a=1&b=2"),
        ("<mailto:a@x.example|a@x.example>", "mailto:a@x.example"),
        ("ask <@U0ANN|ann> in <#C0GEN|general>", "ask @ann in #general"),
        ("<@U0ANN> <#C0GEN>", "@U0ANN #C0GEN"),
        ("<!here> <!subteam^S1|@policy>", "@here @policy"),
        ("no markup, no entities", "no markup, no entities"),
    ],
)
def test_command_text_is_unescaped_once_after_reading_markup(sent: str, typed: str) -> None:
    assert unslack(sent) == typed


def test_escaped_search_words_are_searched_as_typed(running: Running) -> None:
    save(running, "rd-1", "https://example.org/rd", "Ministry doubles R&D subsidy for chip makers")
    _, rid = running.command("R&amp;D subsidy")  # what Slack sends for `R&D subsidy`
    answer = running.reply(rid)
    assert '"text": "Ministry doubles R&D subsidy for chip makers"' in json.dumps(answer["blocks"])
    assert answer["text"] == "1 stories match R&amp;D subsidy"  # typed once, escaped once


@pytest.mark.parametrize(
    "sent",
    [
        "why <https://example.org/s?a=1&amp;b=2>",  # Slack's auto-link of a typed URL
        "why <https://example.org/s?a=1&amp;b=2|example.org/s?a=1&amp;b=2>",
        "why https://example.org/s?a=1&amp;b=2",
        "why &lt;https://example.org/s?a=1&amp;b=2&gt;",  # typed angle brackets
    ],
)
def test_why_unescapes_links_once(running: Running, sent: str) -> None:
    save(running, "https://example.org/s?a=1&b=2", "https://example.org/s?a=1&b=2", "Ampersands")
    _, rid = running.command(sent)
    assert "Ampersands" in running.text_of(rid)


@pytest.mark.parametrize("running", [("127.0.0.1",)], indirect=True)
def test_feeds_add_fetches_the_unescaped_url(running: Running) -> None:
    feeds = FeedServer().start()
    try:
        url = feeds.add("/f.xml?a=1&b=2", items=2)
        escaped = url.replace("&", "&amp;")
        _, rid = running.command(f"feeds add <{escaped}> amp-feed", user="UADMIN")
        assert "added the feed `amp-feed`" in running.text_of(rid)
        assert [r.path for r in feeds.log] == ["/f.xml?a=1&b=2"]
        assert running.store.feed("amp-feed").url == url
    finally:
        feeds.stop()


def test_why_finds_a_guid_keyed_story_by_its_link(running: Running) -> None:
    save(running, "tag:example.org,2020:7", "https://www.example.org/news/7?utm_source=rss", "G")
    _, rid = running.command("why <https://example.org/news/7>")
    assert "No stored story" not in running.text_of(rid)
    assert '"text": "G", "style": {"bold": true}' in running.text_of(rid)


def test_fallback_text_is_defused_like_the_blocks(running: Running) -> None:
    title = "<!channel> <@U0BOSS> *AI* act\u202e passes"
    save(running, "inj-1", "https://example.org/inj", title, "Yizhuang injection")
    for command in ("why https://example.org/inj", "Yizhuang injection"):
        _, rid = running.command(command)
        text = running.reply(rid)["text"]
        assert "<" not in text and ">" not in text and "\u202e" not in text, text
        assert "&lt;!channel&gt; &lt;@U0BOSS&gt; *AI* act passes" in text or command != "why"
    _, rid = running.command("why https://example.org/inj")
    assert running.reply(rid)["text"] == "Why: &lt;!channel&gt; &lt;@U0BOSS&gt; *AI* act passes"


def _lines(answer: dict[str, Any]) -> list[str]:
    sections = [b["text"]["text"] for b in answer["blocks"] if b["type"] == "section"]
    for text in sections:
        assert len(text) <= 3000
    assert len(answer["blocks"]) <= 50
    return [line for text in sections[1:] for line in text.split("\n")]


def test_feeds_are_paged_whole_and_none_is_dropped(running: Running) -> None:
    for n in range(32):
        name = f"feed-{n:02d}-" + "long" * 15
        running.store.ensure_feed(name, f"https://feeds.example/{n}.xml", origin="cli")
        running.store.record_failure(name, "HTTP 503 from the server " + "word " * 35)
    _, rid = running.command("feeds")
    first = running.reply(rid)
    assert first["text"] == "Feeds 1–20 of 34"
    button = first["blocks"][-1]["elements"][0]
    assert (button["action_id"], button["value"]) == ("feeds_more", "20")
    rid = running.click("feeds_more", button["value"])
    second = running.reply(rid)
    assert second["text"] == "Feeds 21–34 of 34" and second["blocks"][-1]["type"] == "section"
    lines = _lines(first) + _lines(second)
    names = [line.split("*")[1] for line in lines]
    expected = sorted(f.name for f in running.store.feeds())
    assert names == expected  # each feed exactly once, in order
    for line in lines:
        if line.startswith("• *feed-"):
            assert line.endswith("word word")  # never cut mid-word or mid-line
    _, rid = running.command("feeds 21")
    assert running.reply(rid)["text"] == "Feeds 21–34 of 34"


def test_local_feed_paths_are_shown_to_admins_only(running: Running) -> None:
    error = f"cannot read {SAMPLES}/scmp-tech.xml: denied (cache /var/lib/hubnews/c.db)"
    running.store.record_failure("scmp-tech", error)
    _, rid = running.command("feeds", user="UNOBODY")
    member = running.text_of(rid)
    assert str(SAMPLES) not in member and "/var/lib" not in member
    assert "cannot read (the feed's address): denied (cache (a server path))" in member
    _, rid = running.command("feeds", user="UADMIN")
    assert str(SAMPLES / "scmp-china-policy.xml") in running.text_of(rid)


def test_admin_changes_are_announced_in_the_channel(running: Running) -> None:
    _, rid = running.command("follow tag:ai", user="UADMIN")
    assert "said so in the channel" in running.text_of(rid)
    _, rid = running.command("unfollow", user="UADMIN")
    running.store.ensure_feed("mine", "https://feeds.example/x.xml", origin="slack")
    _, rid2 = running.command("feeds remove mine", user="UADMIN")
    running.text_of(rid), running.text_of(rid2)
    said = [m["text"] for m in running.fake.posted("C0TECHPOL1")]
    assert said == [
        "<@UADMIN> routed new stories tagged `ai` to this channel: it now gets them.",
        "<@UADMIN> stopped 1 Slack-made route(s): this channel no longer gets their alerts. "
        "Routes in the config file stay as they are.",
        "<@UADMIN> removed the feed `mine`; its stories stay searchable.",
    ]


def test_an_unannounceable_change_tells_the_admin_to_invite_the_bot(running: Running) -> None:
    running.fake.fail("chat.postMessage", error="not_in_channel")
    _, rid = running.command("follow tag:ai", user="UADMIN")
    assert "/invite @hubnews" in running.text_of(rid)
    assert [r.channel for r in running.store.slack_routes()] == ["C0TECHPOL1"]


def test_search_links_the_alert_by_its_permalink_asked_once(running: Running) -> None:
    key = running.store.search(parse_query("Yizhuang"))[0].story.key
    running.store.enqueue([Delivery("C0ALERTS1", key)])
    web = make_client("xoxb-test", base_url=running.fake.url)
    assert deliver(running.store, web, running.store.get_story, per_channel_interval=0).posted
    ts = running.fake.posted("C0ALERTS1")[0]["ts"]
    link = f"{running.fake.host}/archives/C0ALERTS1/p{ts.replace('.', '')}"
    for _ in range(2):
        _, rid = running.command("Yizhuang")
        assert f'"url": "{link}", "text": "alert in Slack"' in running.text_of(rid)
    assert "slack.com/archives" not in running.text_of(rid)
    calls = running.fake.calls_to("chat.getPermalink")
    assert [(c.params["channel"], c.params["message_ts"]) for c in calls] == [("C0ALERTS1", ts)]


# ---------------------------------------------------------------- watches, mutes, snooze, Home


def test_watch_commands_create_list_and_remove_a_personal_watch(running: Running) -> None:
    _, rid = running.command("watch Yizhuang", user="U7")
    assert "is on: new matching stories come by DM" in running.text_of(rid)
    [watch] = running.store.watches("U7")
    assert (watch.query, watch.channel, watch.dm_on_channel_hits) == ("Yizhuang", None, False)
    _, rid = running.command("watches", user="U7")
    assert f"#{watch.id}" in running.text_of(rid) and "by DM" in running.text_of(rid)
    _, rid = running.command(f"unwatch {watch.id}", user="U8")
    assert "someone else" in running.text_of(rid)
    _, rid = running.command(f"unwatch {watch.id}", user="U7")
    assert "removed" in running.text_of(rid) and running.store.watches("U7") == []


@pytest.mark.parametrize(
    "query",
    ["since:7d chips", "x" * 10_000, 'NEAR("a" "b")', "\u202e\u0000", "tag:nosuchtag"],
)
def test_hostile_watch_queries_get_a_clear_answer_and_store_nothing(
    running: Running, query: str
) -> None:
    _, rid = running.command("watch " + query, user="U7")
    answer = running.text_of(rid)
    assert "went wrong" not in answer
    if running.store.watches("U7"):  # accepted as a watch: then it is a real, usable one
        assert "is on" in answer
    else:
        assert "Not a watch" in answer or "What should it watch" in answer


def test_a_channel_watch_needs_membership_and_is_announced(running: Running) -> None:
    running.fake.channels.append({"id": "C0POLICY", "name": "policy"})
    running.fake.members["C0POLICY"] = ["U7"]
    _, rid = running.command("watch chips in #policy", user="U8")
    assert "Only members" in running.text_of(rid)
    _, rid = running.command("watch chips in #policy --always-dm", user="U7")
    assert "in <#C0POLICY>" in running.text_of(rid)
    [watch] = running.store.watches("U7")
    assert watch.channel == "C0POLICY" and watch.dm_on_channel_hits
    announced = running.fake.posted("C0POLICY")
    assert announced and "added a watch here" in announced[-1]["text"]


def test_mute_and_unmute_a_source_and_a_tag(running: Running) -> None:
    _, rid = running.command("mute source:www.scmp.com for 2h", user="U7")
    assert "Muted source `scmp.com`" in running.text_of(rid)
    _, rid = running.command("mute tag:ai", user="U7")
    assert "until you unmute it" in running.text_of(rid)
    _, rid = running.command("mute tag:nosuch", user="U7")
    assert "No tag" in running.text_of(rid)
    assert {(m.kind, m.value) for m in running.store.mutes("U7")} == {
        ("source", "scmp.com"),
        ("tag", "ai"),
    }
    _, rid = running.command("unmute tag:ai", user="U7")
    assert "Unmuted" in running.text_of(rid)
    _, rid = running.command("mutes", user="U7")
    assert "scmp.com" in running.text_of(rid) and "`ai`" not in running.text_of(rid)


def test_snooze_is_for_admins_and_says_nothing_is_dropped(running: Running) -> None:
    _, rid = running.command("snooze 2h", user="U123")
    assert "Only hubnews admins" in running.text_of(rid)
    _, rid = running.command("snooze 99d", user="UADMIN")
    assert "between 1 minute and 7 days" in running.text_of(rid)
    _, rid = running.command("snooze 2h", user="UADMIN")
    assert "one catch-up message" in running.text_of(rid)
    assert running.store.snoozed_until("C0TECHPOL1") is not None
    _, rid = running.command("snooze off", user="UADMIN")
    assert "Snooze ended" in running.text_of(rid)


def _published(running: Running, user: str, count: int = 1) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        views = [v for v in running.fake.views if v["method"] == "views.publish"]
        mine = [v for v in views if v["user_id"] == user]
        if len(mine) >= count:
            return mine[-1]["view"]
        time.sleep(0.02)
    raise AssertionError(f"no Home view published for {user}")


def test_app_home_shows_watches_and_a_modal_adds_one(running: Running) -> None:
    running.store.add_watch("U7", "Yizhuang")
    assert (
        running.event({"type": "app_home_opened", "user": "U7", "tab": "home"}).status_code == 200
    )
    home = _published(running, "U7")
    assert home["type"] == "home" and len(home["blocks"]) <= 100
    text = json.dumps(home, ensure_ascii=False)
    assert "Your watches" in text and "Yizhuang" in text and "Feed health" not in text
    running.interact(
        {
            "type": "block_actions",
            "user": {"id": "U7"},
            "team": {"id": "T1"},
            "trigger_id": "9.9.9",
            "view": {"id": "V1", "type": "home"},
            "actions": [
                {
                    "action_id": "home_add_watch",
                    "value": "new",
                    "type": "button",
                    "block_id": "b",
                    "action_ts": "1",
                }
            ],
        }
    )
    deadline = time.monotonic() + 10
    while not [v for v in running.fake.views if v["method"] == "views.open"]:
        assert time.monotonic() < deadline, "no modal opened"
        time.sleep(0.02)
    modal = [v for v in running.fake.views if v["method"] == "views.open"][-1]["view"]
    assert modal["callback_id"] == "hubnews_watch_modal"

    def submit(query: str) -> httpx.Response:
        return running.interact(
            {
                "type": "view_submission",
                "user": {"id": "U7"},
                "team": {"id": "T1"},
                "view": {
                    "id": "V2",
                    "type": "modal",
                    "callback_id": "hubnews_watch_modal",
                    "private_metadata": "",
                    "state": {
                        "values": {
                            "query": {"query": {"value": query}},
                            "options": {"options": {"selected_options": []}},
                        }
                    },
                },
            }
        )

    refused = submit("since:1d chips")
    assert refused.json()["response_action"] == "errors" and "query" in refused.json()["errors"]
    assert submit('"chip subsidy" OR 芯片').status_code == 200
    assert [w.query for w in running.store.watches("U7")] == ["Yizhuang", '"chip subsidy" OR 芯片']
    assert "chip subsidy" in json.dumps(_published(running, "U7", 2), ensure_ascii=False)


def test_admins_see_feed_health_on_their_home(running: Running) -> None:
    running.event({"type": "app_home_opened", "user": "UADMIN", "tab": "home"})
    assert "Feed health" in json.dumps(_published(running, "UADMIN"))


@pytest.mark.parametrize("running", [("127.0.0.1",)], indirect=True)
def test_admins_import_an_opml_file_from_its_url_through_the_guarded_fetch(
    running: Running,
) -> None:
    feeds = FeedServer().start()
    try:
        good = feeds.add("/good.xml", items=2)
        missing = feeds.url("/missing.xml")  # 404: fails its check, is not added
        opml = feeds.add("/subs.opml", items=0)
        outlines = (
            f'<outline text="Good" xmlUrl="{good}"/><outline text="Good again" xmlUrl="{good}"/>'
            f'<outline text="Gone" xmlUrl="{missing}"/>'
        )
        feeds.feeds["/subs.opml"].body = (
            f'<opml version="2.0"><head/><body><outline text="Tech">{outlines}</outline>'
            "</body></opml>"
        ).encode()
        _, rid = running.command(f"feeds import <{opml}>", user="U123")
        assert "Only hubnews admins" in running.text_of(rid)
        _, rid = running.command(f"feeds import <{opml}>", user="UADMIN")
        answer = running.text_of(rid)
        assert "1 added, 1 skipped, 1 failed their check" in answer
        [added] = [f for f in running.store.feeds() if f.origin == "opml"]
        assert added.url == good
    finally:
        feeds.stop()


def test_an_opml_import_from_a_private_address_is_refused(running: Running) -> None:
    _, rid = running.command("feeds import <http://127.0.0.1:9/subs.opml>", user="UADMIN")
    answer = running.text_of(rid)
    assert "Not imported" in answer and running.store.feeds(origin="opml") == []
