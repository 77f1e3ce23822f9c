"""parse: feed bytes -> Story values, over real feeds and feedparser's edge-case corpus."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ParseError
from bot.fetch import Fetched
from bot.htmltext import to_text, too_deep
from bot.parse import _from_document, parse

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


# ------------------------------------------------------------ hardening-2: feed data

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def rss_item(pub_date: str = "", link: str = "https://x.example/1", extra: str = "") -> bytes:
    date = f"<pubDate>{pub_date}</pubDate>" if pub_date else ""
    return (
        f'<rss version="2.0"><channel><title>T</title><item><title>One</title><link>{link}</link>'
        f"{date}{extra}</item><item><title>Two</title><link>https://x.example/2</link></item>"
        "</channel></rss>"
    ).encode()


def json_feed(*items: str) -> bytes:
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        + ", ".join(items)
        + ', {"id": "ok", "url": "https://x.example/ok", "title": "Fine"}]}'
    ).encode()


@pytest.mark.parametrize(
    ("pub_date", "published"),
    [
        ("Mon, 01 Jan 0001 00:00:00 GMT", None),  # .NET's "no date"
        ("Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("Fri, 31 Dec 1989 23:59:59 GMT", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None),
        ("Thu, 03 Dec 2026 04:00:00 GMT", None),  # two days ahead
        ("Mon, 01 Jan 1990 00:00:00 GMT", datetime(1990, 1, 1, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 20:00:00 GMT", datetime(2026, 12, 1, 20, tzinfo=UTC)),  # time zones
    ],
)
def test_implausible_dates_become_no_date(pub_date: str, published: datetime | None) -> None:
    story = parse(fetched(rss_item(pub_date)), "t", "t", now=NOW).stories[0]
    assert story.published == published


@pytest.mark.parametrize(
    "date", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "2030-01-01T00:00:00Z"]
)
def test_implausible_json_feed_dates_become_no_date(date: str) -> None:
    body = json_feed(f'{{"id": "1", "url": "https://x.example/1", "date_published": "{date}"}}')
    parsed = parse(fetched(body, **{"content-type": "application/feed+json"}), "j", "j", now=NOW)
    assert [s.published for s in parsed.stories] == [None, None]


@pytest.mark.parametrize(
    ("item", "check"),
    [
        ('{"id": "1", "title": "A", "authors": 5, "tags": 7}', lambda s: s.authors == ()),
        ('{"id": "1", "title": "A", "tags": "ai"}', lambda s: s.feed_tags == ()),
        ('{"id": "1", "title": "A", "authors": [5, "x", {"name": 3}]}', lambda s: s.title == "A"),
        ('{"id": "1", "title": "A", "date_modified": "0001-01-01T00:00:00+01:00"}', None),
        ('{"id": ' + "9" * 5000 + ', "title": "A"}', lambda s: s.key.startswith("j#999")),
        ('{"id": "1", "title": "A", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", None),
        ('{"id": "1", "title": "A", "url": "https://x.example:99999/a"}', None),
    ],
)
def test_a_malformed_json_feed_item_never_fails_the_feed(item: str, check: Any) -> None:
    body = json_feed(item)
    parsed = parse(fetched(body, **{"content-type": "application/feed+json"}), "j", "j", now=NOW)
    assert parsed.stories[-1].title == "Fine" and len(parsed.stories) == 2
    assert parsed.stories[0].published is None
    if check is not None:
        assert check(parsed.stories[0])


def test_deep_nesting_in_json_is_dropped_and_reported() -> None:
    body = json_feed('{"id": "1", "title": "A", "tags": ' + "[" * 5000 + "]" * 5000 + "}")
    parsed = parse(fetched(body, **{"content-type": "application/feed+json"}), "j", "j", now=NOW)
    assert [s.title for s in parsed.stories] == ["A", "Fine"]
    assert parsed.problem and "nested deeper than 64 levels" in parsed.problem


def test_an_item_that_cannot_be_read_is_skipped_and_named() -> None:
    document_with_bad_entry = {
        "feed": {"title": "T"},
        "entries": [{"id": "bad-one", "title": ["not", "text"]}, {"id": "2", "title": "Two"}],
    }
    parsed = _from_document(document_with_bad_entry, "f", "f", "https://x.example/", NOW)
    assert [s.title for s in parsed.stories] == ["Two"]
    assert parsed.problem == "1 malformed item(s) skipped: bad-one (TypeError)"


def test_a_link_with_an_impossible_port_keeps_the_item_without_a_canonical_url() -> None:
    parsed = parse(fetched(rss_item(link="https://x.example:99999/a")), "t", "t", now=NOW)
    first, second = parsed.stories
    assert first.url == "https://x.example:99999/a" and first.canonical_url == ""
    assert first.key.startswith("t#sha256:") and second.title == "Two"


def test_an_element_with_thousands_of_attributes_is_refused_unparsed() -> None:
    attributes = " ".join(f'a{i}="x"' for i in range(40_000))
    body = rss_item(extra=f"<category {attributes}>x</category>")
    with pytest.raises(ParseError, match="about 40000 attributes") as caught:
        parse(fetched(body), "bomb", "bomb", now=NOW)
    assert "publisher" in caught.value.hint


def test_a_few_hundred_attributes_are_still_parsed() -> None:
    attributes = " ".join(f'a{i}="x"' for i in range(300))
    body = rss_item(extra=f"<category {attributes}>x</category>")
    assert len(parse(fetched(body), "t", "t", now=NOW).stories) == 2


@pytest.mark.parametrize(
    ("fragment", "deep", "text"),
    [
        ("<div>" * 100_000 + "x &amp; y", True, "x & y"),
        ("<div><span>" * 600 + "deep" + "</span></div>" * 600, True, "deep"),
        ("<p>a" * 3000, False, "a\n" * 2999 + "a"),  # <p> closes itself: flat, parsed
        ("<div>" * 900 + "ok", False, "ok"),
    ],
)
def test_html_nested_too_deep_becomes_plain_text_without_the_parser(
    fragment: str, deep: bool, text: str
) -> None:
    assert too_deep(fragment) is deep
    assert to_text(fragment) == text


@pytest.mark.parametrize(("ttl", "minutes"), [("60", 60), ("9" * 5000, None), ("soon", None)])
def test_a_ttl_that_is_not_a_sane_number_is_ignored(ttl: str, minutes: int | None) -> None:
    body = rss_item().replace(b"<title>T</title>", f"<title>T</title><ttl>{ttl}</ttl>".encode())
    parsed = parse(fetched(body), "t", "t", now=NOW)
    assert parsed.ttl_minutes == minutes and len(parsed.stories) == 2
