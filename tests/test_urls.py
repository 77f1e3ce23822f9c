"""Canonical URLs and story keys (DESIGN: identity)."""

from __future__ import annotations

import pytest

from bot.urls import canonical_url, domain, story_key


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://www.scmp.com/tech/article/1", "https://scmp.com/tech/article/1"),
        ("https://scmp.com/tech/article/1/", "https://scmp.com/tech/article/1"),
        ("https://WWW.SCMP.com:443/a?utm_source=rss&utm_medium=feed", "https://scmp.com/a"),
        ("https://example.com/a?b=2&a=1&fbclid=xyz#comments", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?id=42&gclid=1&mc_cid=2", "https://example.com/a?id=42"),
        ("https://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        (
            "https://www.google.com/url?q=https://www.scmp.com/x%3Futm_source%3Dg&sa=U",
            "https://scmp.com/x",
        ),
        ("https://example.com", "https://example.com/"),
        ("not a url", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_bare_guids_are_prefixed_by_feed_identity() -> None:
    a = story_key(feed_identity="feed-a", guid="1", link="https://a.example/x", title="T")
    b = story_key(feed_identity="feed-b", guid="1", link="https://b.example/y", title="T")
    assert a == "feed-a#1" and b == "feed-b#1"


def test_url_guid_or_link_gives_the_canonical_url() -> None:
    key = story_key(
        feed_identity="f",
        guid="http://www.x.example/a?utm_source=rss",
        link="http://x.example/a",
        title="T",
    )
    assert key == "https://x.example/a"
    assert (
        story_key(feed_identity="f", guid="", link="https://x.example/a?ref=home", title="T")
        == "https://x.example/a"
    )


def test_no_guid_no_link_hashes_title() -> None:
    one = story_key(feed_identity="f", guid="", link="", title="Only a title")
    assert one.startswith("f#sha256:")
    assert one == story_key(feed_identity="f", guid="", link="", title="Only a title")
    assert one != story_key(feed_identity="f", guid="", link="", title="Another title")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://www.scmp.com/x", "scmp.com"),
        ("http://news.sky.com/a", "news.sky.com"),
        ("nonsense", ""),
    ],
)
def test_domain(url: str, host: str) -> None:
    assert domain(url) == host
