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
from bot.pipeline import Pipeline
from bot.query import parse_query
from bot.slack.app import build_app
from bot.slack.server import http_app, serve_http
from bot.store import Store
from bot.story import Source, Story

from fakes import free_port
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
def running(slack_api: FakeSlack, tmp_path: Path) -> Iterator[Running]:
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
        limits=replace(base.limits, allow_private=()),
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
    assert "2 sources" in answer and "*Yizhuang*" in answer


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
    assert "now gets new stories tagged `ai`" in running.text_of(rid)
    assert [r.channel for r in running.store.slack_routes()] == ["C0TECHPOL1"]
    _, rid = running.command("unfollow", user="UWSADMIN")
    assert "no longer gets alerts" in running.text_of(rid)
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
