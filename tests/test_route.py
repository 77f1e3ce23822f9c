"""Routing: tags any-of, min score, sources in/out, copies as thread replies, once per channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Route
from bot.route import ALERT, DIGEST, REALTIME, THREAD, Delivery, channels_for, route
from bot.story import Match, Source, Story, Tag

SCMP = Source(feed="scmp-tech", title="South China Morning Post", domain="scmp.com")
BBC = Source(feed="bbc-world", title="BBC News", domain="bbc.co.uk")


def story(
    tags: dict[str, float] | None = None,
    source: Source = SCMP,
    key: str = "k1",
    url: str = "https://www.scmp.com/tech/article/1",
    copy_of: str | None = None,
) -> Story:
    made = Story(
        key=key,
        url=url,
        title="Beijing E-Town chip fund",
        source=source,
        published=datetime(2020, 10, 15, 11, tzinfo=UTC),
        tags=tuple(Tag(tag, score) for tag, score in (tags or {}).items()),
    )
    if copy_of:
        made = made.with_(duplicate=Match(original_key=copy_of, kind="near"))
    return made


AI = {"ai": 0.9}


@pytest.mark.parametrize(
    ("route_tags", "story_tags", "expected"),
    [
        ((), {"ai": 0.5}, ["C1"]),  # empty route tags: any tagged story
        ((), {}, []),  # ...but an untagged story goes nowhere
        (("ai",), {"ai": 0.5}, ["C1"]),
        (("ai", "industrial-policy"), {"industrial-policy": 0.5}, ["C1"]),  # any of
        (("industrial-policy",), {"ai": 0.9}, []),
        (("AI",), {"ai": 0.9}, ["C1"]),  # tag ids compare case-insensitively
    ],
)
def test_tags_are_any_of(route_tags, story_tags, expected):
    assert channels_for(story(story_tags), [Route("C1", tags=route_tags)]) == expected


@pytest.mark.parametrize(
    ("min_score", "story_tags", "expected"),
    [
        (0.5, {"ai": 0.5}, ["C1"]),  # the bound is inclusive
        (0.6, {"ai": 0.5}, []),
        # the score must come from a matching tag, not from any tag
        (0.6, {"ai": 0.5, "industrial-policy": 0.9}, []),
        (0.6, {"ai": 0.7, "industrial-policy": 0.1}, ["C1"]),
    ],
)
def test_min_score_counts_only_matching_tags(min_score, story_tags, expected):
    rules = [Route("C1", tags=("ai",), min_score=min_score)]
    assert channels_for(story(story_tags), rules) == expected


@pytest.mark.parametrize(
    ("sources", "excluded", "source", "expected"),
    [
        (("scmp.com",), (), SCMP, ["C1"]),
        (("SCMP-Tech",), (), SCMP, ["C1"]),  # the feed's configured name, any case
        (("south china morning post",), (), SCMP, ["C1"]),  # the feed's title
        (("www.scmp.com",), (), SCMP, ["C1"]),  # www. on either side is the same site
        (("scmp.com",), (), Source("x", "X", "www.scmp.com"), ["C1"]),
        (("scmp.com",), (), BBC, []),
        (("mp.com",), (), SCMP, []),  # a suffix that is not a whole domain label does not match
        ((), ("scmp.com",), SCMP, []),
        ((), ("bbc-world",), SCMP, ["C1"]),
        (("scmp.com",), ("scmp-tech",), SCMP, []),  # exclusion beats inclusion
    ],
)
def test_sources_include_and_exclude(sources, excluded, source, expected):
    rules = [Route("C1", sources=sources, exclude_sources=excluded)]
    url = "https://www.scmp.com/a" if source is not BBC else "https://www.bbc.co.uk/news/1"
    assert channels_for(story(AI, source=source, url=url), rules) == expected


def test_item_link_host_counts_as_source_domain():
    odd = Source(feed="aggregator", title="Aggregator", domain="aggregator.example")
    rules = [Route("C1", sources=("scmp.com",))]
    assert channels_for(story(AI, source=odd, url="https://amp.scmp.com/x"), rules) == ["C1"]


def test_one_delivery_per_channel_even_when_several_routes_match():
    rules = [Route("C1", tags=("ai",)), Route("C2"), Route("C1", sources=("scmp.com",))]
    assert route(story(AI), rules) == [
        Delivery("C1", "k1", ALERT, None, REALTIME),
        Delivery("C2", "k1", ALERT, None, REALTIME),
    ]


def test_realtime_wins_over_digest_for_one_channel():
    rules = [Route("C1", mode=DIGEST), Route("C1", mode=REALTIME), Route("C2", mode=DIGEST)]
    assert [(d.channel, d.mode) for d in route(story(AI), rules)] == [
        ("C1", REALTIME),
        ("C2", DIGEST),
    ]


def test_copy_becomes_thread_reply_never_an_alert():
    copy = story(AI, key="k2", source=BBC, url="https://www.bbc.co.uk/news/1", copy_of="k1")
    rules = [Route("C1", tags=("ai",)), Route("C2", tags=("industrial-policy",))]
    deliveries = route(copy, rules)
    # tags are not re-checked for a copy: it follows its original wherever that was alerted
    assert deliveries == [
        Delivery("C1", "k2", THREAD, "k1", REALTIME),
        Delivery("C2", "k2", THREAD, "k1", REALTIME),
    ]
    assert channels_for(copy, rules) == []


def test_copy_still_respects_source_exclusion():
    copy = story(AI, key="k2", source=BBC, url="https://www.bbc.co.uk/news/1", copy_of="k1")
    assert route(copy, [Route("C1", exclude_sources=("bbc.co.uk",))]) == []


def test_no_routes_no_deliveries():
    assert route(story(AI), []) == []


def test_a_threshold_raised_by_votes_holds_weak_stories_back_in_that_channel_only() -> None:
    from bot.tuning import Policy, Tuned

    tuned = {("C1", "ai"): Tuned("C1", "ai", 0.5, 0.7, 3, 9, Policy())}
    routes = [Route(channel="C1", tags=("ai",)), Route(channel="C2", tags=("ai",))]
    assert channels_for(story({"ai": 0.6}), routes, tuned) == ["C2"]
    assert channels_for(story({"ai": 0.75}), routes, tuned) == ["C1", "C2"]
    # another tag the route takes still carries the story to C1
    both = [Route(channel="C1", tags=("ai", "industrial-policy"))]
    assert channels_for(story({"ai": 0.6, "industrial-policy": 0.6}), both, tuned) == ["C1"]
