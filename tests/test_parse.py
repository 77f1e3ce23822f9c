"""parse: feed bytes -> Story values, over real feeds and feedparser's edge-case corpus."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.fetch import Fetched
from bot.parse import parse

from conftest import FEEDPARSER, seed

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"
HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.MULTILINE)


def fetched(body: bytes, url: str = "https://feeds.example/rss", **headers: str) -> Fetched:
    return Fetched(url=url, status=200, body=body, headers=headers)


def test_seed_feed_becomes_a_story_with_clean_text() -> None:
    body = (SAMPLES / "scmp-tech.xml").read_bytes()
    parsed = parse(fetched(body, "http://127.0.0.1:1/scmp-tech.xml"), "scmp-tech", "scmp-tech")
    [story] = parsed.stories
    headline, _ = seed("original")
    assert story.title == headline
    assert story.url.endswith("?utm_source=rss_feed")  # the link exactly as the feed gives it
    assert (
        story.key
        == story.canonical_url
        == (
            "https://scmp.com/tech/policy/article/3105577/"
            "beijing-tech-park-eyes-ai-hub-worth-us75-billion-after-nod-chinas"
        )
    )
    assert story.source.title == "SCMP Tech" and story.source.domain == "scmp.com"
    assert story.published == datetime(2020, 10, 15, 11, 0, tzinfo=UTC)
    assert "<p>" not in story.body and "Yizhuang county government" in story.body
    assert story.body.count("\n") >= 10  # paragraphs kept as lines


def test_html_is_converted_scripts_dropped_entities_decoded() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title><item><title>A &amp; B</title>
    <link>https://x.example/1</link><description><![CDATA[<p>One&nbsp;&eacute;t&eacute;
    <script>alert('x')</script><style>p{}</style><b>bold</b></p><p>Two</p>]]></description>
    </item></channel></rss>"""
    [story] = parse(fetched(body), "t", "t").stories
    assert story.title == "A & B"
    assert story.description == "One été bold\nTwo"


def test_items_without_dates_are_kept() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>No date</title><link>https://x.example/1</link></item></channel></rss>"""
    [story] = parse(fetched(body), "t", "t").stories
    assert story.published is None and story.title == "No date"


def test_bare_guids_are_keyed_per_feed() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
    <item><guid isPermaLink="false">1</guid><title>a</title></item></channel></rss>"""
    assert parse(fetched(body), "feed-a", "feed-a").stories[0].key == "feed-a#1"
    assert parse(fetched(body), "feed-b", "feed-b").stories[0].key == "feed-b#1"


def test_feedburner_origlink_gives_the_key() -> None:
    body = b"""<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
    <channel><title>T</title><item><title>a</title>
    <link>http://feeds.reuters.com/~r/x/~3/abc/story.html</link>
    <feedburner:origLink>http://www.reuters.com/article/us-x?feedType=RSS&amp;utm_source=f
    </feedburner:origLink></item></channel></rss>"""
    [story] = parse(fetched(body), "t", "t").stories
    assert story.url == "http://feeds.reuters.com/~r/x/~3/abc/story.html"
    assert story.key == "https://reuters.com/article/us-x?feedType=RSS"


def test_json_feed_is_read_by_the_adapter() -> None:
    body = (FEEDPARSER / "json" / "example.json").read_bytes()
    parsed = parse(fetched(body, **{"content-type": "application/json"}), "j", "j")
    assert parsed.title == "My Example Feed"
    assert [s.url for s in parsed.stories] == [
        "https://example.org/second-item",
        "https://example.org/initial-post",
    ]
    assert parsed.stories[1].body == "Hello, world!"  # the <script> is gone


def test_real_json_feed_sample() -> None:
    parsed = parse(
        fetched((SAMPLES / "daringfireball-2017.jsonfeed.json").read_bytes()), "df", "df"
    )
    assert len(parsed.stories) == 48 and all(s.published for s in parsed.stories)


def test_bozo_feed_keeps_its_entries_and_reports_the_problem() -> None:
    parsed = parse(fetched((SAMPLES / "techcrunch-2011-11.xml").read_bytes()), "tc", "tc")
    assert len(parsed.stories) == 20
    assert parsed.problem and "SAXParseException" in parsed.problem


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (b"", "empty", "check the feed URL"),
        (b"   \n", "empty", "check the feed URL"),
        (
            b"<!DOCTYPE html><html><head><link rel='alternate' type='application/rss+xml' "
            b"href='https://x.example/feed.xml'></head><body>Hi</body></html>",
            "HTML page, not a feed",
            "https://x.example/feed.xml",
        ),
        (b"<html><body>Not found</body></html>", "HTML page", "RSS or Atom link"),
        (bytes(range(256)) * 40, "not a feed", "RSS, Atom or JSON"),
        (b'{"not": "a feed", "items": 5}', "JSON", "JSON Feed"),
    ],
)
def test_things_that_are_not_feeds_are_clear_errors(body: bytes, message: str, hint: str) -> None:
    content_type = "application/json" if body.startswith(b"{") else "text/html"
    with pytest.raises(ParseError, match=message) as caught:
        parse(fetched(body, **{"content-type": content_type}), "bad", "bad")
    assert hint in caught.value.hint


def _edge_files() -> list[Path]:
    return sorted(p for p in FEEDPARSER.rglob("*") if p.is_file() and p.name != "LICENSE")


def test_feedparser_edge_corpus_parses_without_exceptions() -> None:
    """All 2,107 files of feedparser's own test corpus: stories or a ParseError, nothing else."""
    files = _edge_files()
    assert len(files) == 2107
    stories = not_feeds = 0
    for path in files:
        body = path.read_bytes()
        headers = {k.decode().lower(): v.decode() for k, v in HEADER.findall(body[:2048])}
        try:
            parsed = parse(
                Fetched(
                    url=f"http://example.org/{path.name}", status=200, body=body, headers=headers
                ),
                path.stem,
                path.stem,
            )
        except ParseError:
            not_feeds += 1
            continue
        for story in parsed.stories:
            assert isinstance(story.title, str) and isinstance(story.body, str)
            assert story.key
        stories += len(parsed.stories)
    # Measured: 1,219 stories; 904 files test channel-level details and have no entries; the
    # 8 ParseErrors are files that are deliberately not feeds at all.
    assert stories >= 1200
    assert not_feeds <= 10
