"""The pipeline over feeds served through httpx.MockTransport: what is stored, what is alerted,
what is held and why, and that parsing never holds the decision lock (issue #10 rows 3, 8, 12,
18; row 1 end to end)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot import config
from bot.deliver import deliver
from bot.errors import ConfigError, ParseError
from bot.fetch import Fetched
from bot.pipeline import Pipeline
from bot.query import parse_query
from bot.route import ALERT, SUMMARY, THREAD
from bot.store import Store

from fakes.feed_server import rss
from fakes.slack_api import FakeSlack

BASE = "https://feeds.example"
CHANNEL = "C0ALERTS1"


def load_config(tmp_path: Path, feeds: list[str], limits: str = "") -> config.Config:
    text = f'alert_max_age = "36500d"\n[limits]\n{limits}\n'
    text += "".join(f'[[feeds]]\nname = "{n}"\nurl = "{BASE}/{n}.xml"\n\n' for n in feeds)
    text += f'[[routes]]\nchannel = "{CHANNEL}"\ntags = ["ai", "industrial-policy"]\n'
    path = tmp_path / "hubnews.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path, environ={})


class Feeds:
    """Feed bodies by name, each a function of how often that feed was fetched."""

    def __init__(self) -> None:
        self.bodies: dict[str, Callable[[int], bytes]] = {}
        self.fetches: dict[str, int] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.strip("/").removesuffix(".xml")
        count = self.fetches.get(name, 0)
        self.fetches[name] = count + 1
        body = self.bodies[name](count)
        return httpx.Response(200, content=body, headers={"content-type": "application/rss+xml"})


@pytest.fixture
def feeds() -> Feeds:
    return Feeds()


@pytest.fixture
def make(tmp_path: Path, store: Store, feeds: Feeds) -> Iterator[Callable[..., Pipeline]]:
    made: list[Pipeline] = []

    def build(names: list[str], limits: str = "", **options: Any) -> Pipeline:
        cfg = load_config(tmp_path, names, limits)
        pipeline = Pipeline(cfg, store, transport=httpx.MockTransport(feeds.handler), **options)
        made.append(pipeline)
        return pipeline

    yield build
    for pipeline in made:
        pipeline.close()


def feed(pipeline: Pipeline, name: str) -> config.Feed:
    return next(f for f in pipeline.config.feeds if f.name == name)


def rows(store: Store, kind: str) -> list[Any]:
    return [row for row in store.outbox_rows() if row.kind == kind]


# ------------------------------------------------------------ row 12: GUID churn


def test_a_new_guid_for_an_unchanged_item_is_the_same_story_silently(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store
) -> None:
    item = rss("churn", [7], BASE)
    feeds.bodies["churn"] = lambda n: item.replace(b"churn-7</guid>", f"guid-{n}</guid>".encode())
    pipeline = make(["churn"])
    outcomes = [pipeline.run_once(feed(pipeline, "churn")) for _ in range(8)]
    assert all(o.error is None for o in outcomes)
    assert [len(o.new) for o in outcomes] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert store.count_stories() == 1
    assert len(rows(store, ALERT)) == 1 and rows(store, THREAD) == []


def test_a_new_guid_with_changed_text_is_still_an_update(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store
) -> None:
    item = rss("churn", [7], BASE)
    feeds.bodies["churn"] = lambda n: item.replace(
        b"churn-7</guid>", f"guid-{n}</guid>".encode()
    ).replace(b"</description>", b" A new paragraph with fresh facts.</description>" * n)
    pipeline = make(["churn"])
    first, second = (pipeline.run_once(feed(pipeline, "churn")) for _ in range(2))
    assert len(first.new) == len(second.new) == 1
    assert second.new[0].story.duplicate is not None  # followed under the original, as before


# ------------------------------------------------------------ row 18: alert limits


def test_a_feeds_first_poll_alerts_its_newest_few_and_summarises_the_backlog(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store, slack_api: FakeSlack
) -> None:
    feeds.bodies["big"] = lambda n: rss("big", list(range(40)), BASE)
    pipeline = make(["big"], "first_poll_alerts = 2")
    outcome = pipeline.run_once(feed(pipeline, "big"))
    routed = [p for p in outcome.new if p.channels or p.held]
    assert len(outcome.new) == 40 and store.count_stories() == 40  # all stored and searchable
    assert len([p for p in routed if p.channels]) == 2
    held = [p for p in routed if p.held]
    assert len(held) == len(routed) - 2 >= 30
    assert all("first poll of big" in p.held and "first_poll_alerts" in p.held for p in held)
    assert store.hold_reason(held[0].story.key) == held[0].held
    assert len(rows(store, ALERT)) == 2
    [summary] = rows(store, SUMMARY)
    assert summary.channel == CHANNEL and summary.text.startswith(f"{len(held)} stories from")
    assert "/hubnews source:big" in summary.text
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    report = deliver(store, client, store.get_story, per_channel_interval=0.0, max_wait=0.5)
    posted = slack_api.posted(CHANNEL)
    assert report.messages == len(posted) == 3  # two alerts and ONE summary, not 40 alerts
    assert any(f"{len(held)} stories from Feed big" in message["text"] for message in posted)


def test_later_polls_alert_at_most_alerts_per_feed_and_hold_the_rest_visibly(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store
) -> None:
    feeds.bodies["big"] = lambda n: rss("big", list(range(n * 100, n * 100 + 30)), BASE)
    pipeline = make(["big"], "alerts_per_feed = 5")
    pipeline.run_once(feed(pipeline, "big"))  # the first poll
    outcome = pipeline.run_once(feed(pipeline, "big"))
    alerted = [p for p in outcome.new if p.channels]
    held = [p for p in outcome.new if p.held]
    assert len(alerted) == 5 and len(held) >= 20
    assert all("alerts_per_feed" in p.held for p in held)
    summaries = rows(store, SUMMARY)
    assert len(summaries) == 2 and f"{len(held)} stories" in summaries[-1].text


def test_alerts_per_cycle_caps_all_feeds_together(
    make: Callable[..., Pipeline], feeds: Feeds
) -> None:
    feeds.bodies["a"] = lambda n: rss("a", list(range(n * 100, n * 100 + 6)), BASE)
    feeds.bodies["b"] = lambda n: rss("b", list(range(n * 100 + 50, n * 100 + 56)), BASE)
    pipeline = make(["a", "b"], "alerts_per_cycle = 4\nfirst_poll_alerts = 10")
    first = list(pipeline.poll(pipeline.config.feeds))
    alerted = [p for o in first for p in o.new if p.channels]
    held = [p for o in first for p in o.new if p.held]
    assert len(alerted) == 4
    assert held and all("alerts_per_cycle" in p.held for p in held)


def test_alert_limits_are_config_keys_with_documented_defaults(tmp_path: Path) -> None:
    limits = load_config(tmp_path, []).limits
    assert (limits.alerts_per_feed, limits.alerts_per_cycle, limits.first_poll_alerts) == (
        20,
        100,
        3,
    )
    example = (Path(__file__).parents[1] / "config" / "hubnews.toml").read_text()
    assert all(key in example for key in ("alerts_per_feed", "alerts_per_cycle", "first_poll_"))
    with pytest.raises(ConfigError, match="first_poll_alerts"):
        load_config(tmp_path, [], "first_poll_alerts = -1")


# ------------------------------------------------------------ row 3: parse outside the lock


class Forbidden:
    """Stands in for the decision lock: taking it fails the test."""

    def __enter__(self) -> None:
        raise AssertionError("the decision lock was taken")

    def __exit__(self, *exc: object) -> None:
        return None


def attribute_bomb(count: int = 40_000) -> bytes:
    attributes = " ".join(f'a{i}="x"' for i in range(count))
    return (
        f'<rss version="2.0"><channel><title>T</title><item {attributes}><title>x</title>'.encode()
    )


def test_a_hostile_feed_is_refused_before_the_decision_lock_is_taken(
    make: Callable[..., Pipeline],
) -> None:
    pipeline = make(["hostile"])
    pipeline._lock = Forbidden()  # type: ignore[assignment]
    fetched = Fetched(url=f"{BASE}/hostile.xml", status=200, body=attribute_bomb(), headers={})
    with pytest.raises(ParseError, match="refused unparsed"):
        pipeline.process(feed(pipeline, "hostile"), fetched)  # raised by parse, not the lock


def test_parsing_and_html_to_text_never_take_the_decision_lock(
    make: Callable[..., Pipeline],
) -> None:
    pipeline = make(["deep"])
    pipeline._lock = Forbidden()  # type: ignore[assignment]
    body = rss("deep", [1], BASE).replace(
        b"</description>", b"&lt;div&gt;" * 100_000 + b"deep text</description>"
    )
    fetched = Fetched(url=f"{BASE}/deep.xml", status=200, body=body, headers={})
    parsed = pipeline.prepare(feed(pipeline, "deep"), fetched)
    assert parsed is not None and parsed.stories[0].description.endswith("deep text")
    with pytest.raises(AssertionError, match="decision lock"):
        pipeline.process(feed(pipeline, "deep"), fetched)  # only the decisions need it


# ------------------------------------------------------------ row 8: one bad item


def test_one_malformed_item_is_skipped_and_named_the_feed_and_the_rest_kept(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store
) -> None:
    good = rss("mixed", [1, 2], BASE)
    bad = b"<item><title>Bad port</title><link>https://x.example:99999/a</link></item>"
    feeds.bodies["mixed"] = lambda n: good.replace(b"<item>", bad + b"<item>", 1)
    pipeline = make(["mixed"])
    outcome = pipeline.run_once(feed(pipeline, "mixed"))
    assert outcome.error is None
    assert len(outcome.new) == 3  # the odd link is kept as given; its key is a hash
    assert outcome.new[0].story.url == "https://x.example:99999/a"
    assert outcome.new[0].story.canonical_url == ""
    assert store.feed("mixed").consecutive_failures == 0  # type: ignore[union-attr]


# ------------------------------------------------------------ row 1 end to end


def test_an_item_dated_year_one_is_stored_undated_and_the_next_start_works(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store
) -> None:
    item = rss("dotnet", [3], BASE)
    feeds.bodies["dotnet"] = lambda n: re.sub(
        rb"<pubDate>[^<]*</pubDate>", b"<pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate>", item
    )
    pipeline = make(["dotnet"])
    [processed] = pipeline.run_once(feed(pipeline, "dotnet")).new
    assert processed.story.published is None and processed.channels
    again = make(["dotnet"])  # loading the store again (what every start does) works
    assert again.run_once(feed(again, "dotnet")).error is None
    [hit] = store.search(parse_query("Item"), now=datetime.now(UTC))
    assert hit.story.published is None


def test_alert_limits_leave_digest_routes_alone(
    make: Callable[..., Pipeline], feeds: Feeds, store: Store, tmp_path: Path
) -> None:
    feeds.bodies["big"] = lambda n: rss("big", list(range(12)), BASE)
    pipeline = make(["big"], "first_poll_alerts = 1")
    digest = config.Route("C0DIGEST1", ("ai", "industrial-policy"), mode="digest")
    pipeline.config = replace(pipeline.config, routes=(*pipeline.config.routes, digest))
    outcome = pipeline.run_once(feed(pipeline, "big"))
    routed = [p for p in outcome.new if "C0DIGEST1" in p.channels]
    assert len(routed) >= 9  # every routed story reaches the digest ...
    assert len([p for p in outcome.new if CHANNEL in p.channels]) == 1  # ... one is alerted
    assert {row.channel for row in rows(store, SUMMARY)} == {CHANNEL}
