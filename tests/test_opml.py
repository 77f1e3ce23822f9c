"""OPML: reading real export shapes safely, writing OPML 2.0, and importing into the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import config
from bot.config import Feed
from bot.feeds_import import FetchFeed, import_opml
from bot.fetch import FetchState, fetch, make_client
from bot.opml import MAX_BYTES, MAX_DEPTH, MAX_OUTLINES, OpmlError, Outline, read_opml, write_opml
from bot.pipeline import Pipeline
from bot.schedule import Scheduler, Timing
from bot.store import Store

from conftest import FIXTURES
from fakes.feed_server import FeedServer

OPML = FIXTURES / "opml"


def opml(body: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{head}<opml version="2.0"><head/><body>{body}</body></opml>'.encode()
    )


def feed(url: str, text: str = "", extra: str = "") -> str:
    return f'<outline type="rss" text="{text or url}" xmlUrl="{url}" {extra}/>'


# ------------------------------------------------------------------------------ reading


@pytest.mark.parametrize(
    ("file", "count", "expected"),
    [
        (
            "feedly.opml",
            4,
            Outline(
                "Example Tariff Tracker",
                "https://tariffs.example.net/atom",
                "https://tariffs.example.net/",
                ("Trade & Industry",),
            ),
        ),
        (
            "inoreader.opml",
            4,
            Outline(
                "Example Taipei Semiconductors — 半導體",
                "https://tw.example.org/semis?format=rss",
                "https://tw.example.org/semis",
                ("Asia",),
            ),
        ),
        (
            "nested.opml",
            4,
            Outline(
                "Example Fab Notes",
                "https://fabs.example.com/rss",
                "",
                ("News", "Technology", "Semiconductors", "Hardware/Chips", "export-controls"),
            ),
        ),
    ],
)
def test_common_export_shapes_load_with_folders_as_categories(
    file: str, count: int, expected: Outline
) -> None:
    outlines = read_opml((OPML / file).read_bytes())
    assert len(outlines) == count
    assert expected in outlines


def test_only_outlines_with_an_xml_url_are_feeds_whatever_the_attribute_case() -> None:
    urls = [o.xml_url for o in read_opml((OPML / "nested.opml").read_bytes())]
    assert urls == [  # the type="link" outline and the folders are not feeds; xmlURL is read
        "https://fabs.example.com/rss",
        "https://cloud.example.org/weekly.rss",
        "https://policy.example.net/wire.xml",
        "https://top.example.com/feed.json",
    ]
    unfiled = read_opml((OPML / "inoreader.opml").read_bytes())[-1]
    assert unfiled.categories == ()


def test_five_thousand_outlines_load_in_document_order() -> None:
    folders = "".join(
        f'<outline text="Folder {f}">'
        + "".join(feed(f"https://feeds.example.com/{f}/{n}.xml") for n in range(500))
        + "</outline>"
        for f in range(10)
    )
    outlines = read_opml(opml(folders))
    assert len(outlines) == 5000
    assert outlines[0].xml_url == "https://feeds.example.com/0/0.xml"
    assert outlines[4999] == Outline(
        "https://feeds.example.com/9/499.xml",
        "https://feeds.example.com/9/499.xml",
        "",
        ("Folder 9",),
    )


BILLION_LAUGHS = (
    '<!DOCTYPE opml [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def xxe(secret: Path) -> bytes:
    head = f'<!DOCTYPE opml [<!ENTITY secret SYSTEM "file://{secret}">]>'
    return opml(feed("https://a.example.com/rss", text="&secret;"), head=head)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b'<?xml version="1.0"?><opml><body><outline text="x"', "not well-formed XML (line 1"),
        (b"<opml><body>\n<outline xmlUrl='a'>&nbsp;</outline></body></opml>", "line 2"),
        (b"<rss version='2.0'><channel><title>t</title></channel></rss>", "not OPML (its root"),
        (b"<html><body><p>login</p></body></html>", "not OPML"),
        (opml('<outline text="folder"><outline text="no url"/></outline>'), "lists no feeds"),
        (opml(feed("https://a.example.com/rss", text="&lol9;"), BILLION_LAUGHS), "DTD"),
        (opml("<outline text='x'/>" * (MAX_OUTLINES + 1)), f"more than {MAX_OUTLINES:,}"),
        (
            opml("<outline text='f'>" * (MAX_DEPTH + 1) + "</outline>" * (MAX_DEPTH + 1)),
            f"more than {MAX_DEPTH} deep",
        ),
        (b" " * (MAX_BYTES + 1), "is empty"),
        (opml(feed("https://a.example.com/rss")) + b" " * MAX_BYTES, "larger than"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "undefined-entity",
        "rss-not-opml",
        "html",
        "no-feeds",
        "billion-laughs",
        "too-many-outlines",
        "too-deep",
        "huge-blank",
        "too-large",
    ],
)
def test_unusable_files_raise_one_clear_error_with_a_next_step(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError) as caught:
        read_opml(data, source="subs.opml")
    assert message in caught.value.message
    assert caught.value.message.startswith("subs.opml")
    assert caught.value.hint


def test_an_external_entity_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    with pytest.raises(OpmlError) as caught:
        read_opml(xxe(secret))
    assert "DTD" in caught.value.message
    assert "TOP-SECRET-VALUE" not in str(caught.value)


# ------------------------------------------------------------------------------ writing


def test_write_then_read_gives_the_same_feeds_and_categories() -> None:
    feeds = [
        Outline('Chips & <Fabs> "daily"', "https://chips.example.com/feed?a=1&b=2", "", ("Tech",)),
        Outline("Plain", "https://plain.example.org/rss"),
        Outline("半導體", "https://tw.example.org/rss", "", ("Asia", "Hardware/Chips")),
        Outline("Second tech", "https://t2.example.com/rss", "", ("Tech",)),
    ]
    data = write_opml(feeds)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert data.count(b'text="Tech"') == 1  # one folder per first category
    assert sorted(read_opml(data), key=lambda o: o.xml_url) == sorted(
        feeds, key=lambda o: o.xml_url
    )


# ------------------------------------------------------------------------------ importing


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer().start()
    yield running
    running.stop()


def fetcher() -> tuple[httpx.Client, FetchFeed]:
    limits = config.Limits()
    client = make_client(limits)
    return client, lambda url: fetch(url, FetchState(), limits, client)


def test_import_folds_duplicates_skips_known_feeds_and_adds_the_valid_ones(
    server: FeedServer,
) -> None:
    store = Store(":memory:")
    good = server.add("/good.xml", items=3)
    other = server.add("/other.xml", items=1)
    already = server.add("/already.xml")
    store.ensure_feed("from-slack", already, origin="slack", added_by="U1")
    configured = Feed("configured", server.add("/configured.xml"))
    store.ensure_feed("collide", server.add("/collide.xml"), origin="slack")
    data = opml(
        '<outline text="Tech">'
        + feed(good, "Good Feed")
        + feed(server.url("/missing.xml"), "Missing")
        + "</outline>"
        + '<outline text="Policy">'
        + feed(good.replace("http://", "https://") + "?utm_source=x", "Again")  # same canonical
        + feed(already, "Known")
        + feed(configured.url, "Configured")
        + feed(other, "Collide")
        + "</outline>"
        + feed("/etc/passwd", "Local")
    )
    client, fetch_feed = fetcher()
    steps: list[tuple[int, int]] = []
    try:
        report = import_opml(
            data,
            store,
            fetch_feed,
            configured=[configured],
            progress=lambda done, total: steps.append((done, total)),
        )
    finally:
        client.close()
    assert [(a.name, a.url, a.items, a.categories) for a in report.added] == [
        ("good-feed", good, 3, ("Tech", "Policy")),
        ("collide-2", other, 1, ("Policy",)),
    ]
    reasons = {s.title: s.reason for s in report.skipped}
    assert reasons == {
        "Again": "duplicate in the file of 'Good Feed'",
        "Known": "already added as from-slack (slack)",
        "Configured": "already configured as configured",
        "Local": "not an http(s) address",
    }
    assert [(f.title, "HTTP 404" in f.error) for f in report.failed] == [("Missing", True)]
    assert steps[-1] == (3, 3) and len(steps) == 3  # one fetch per new address
    stored = store.feed("good-feed")
    assert stored is not None and stored.origin == "opml" and stored.added_by is None
    assert stored.categories == ("Tech", "Policy")
    assert store.feed("Missing") is None and len(store.feeds()) == 4
    assert len(server.requests("/good.xml")) == 1


def test_dry_run_validates_but_writes_nothing(server: FeedServer) -> None:
    store = Store(":memory:")
    client, fetch_feed = fetcher()
    try:
        report = import_opml(opml(feed(server.add("/a.xml"), "A")), store, fetch_feed, dry_run=True)
    finally:
        client.close()
    assert [a.name for a in report.added] == ["a"] and report.dry_run
    assert store.feeds() == []


def test_local_paths_are_imported_only_when_allowed_and_resolve_against_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "local.xml").write_bytes(
        b"<rss version='2.0'><channel><title>L</title><item><title>x</title>"
        b"<link>https://example.com/x</link></item></channel></rss>"
    )
    data = opml(feed("local.xml", "Local feed"))
    store = Store(":memory:")
    client, fetch_feed = fetcher()
    try:
        refused = import_opml(data, store, fetch_feed, base=tmp_path)
        allowed = import_opml(data, store, fetch_feed, base=tmp_path, allow_local=True)
    finally:
        client.close()
    assert [s.reason for s in refused.skipped] == ["not an http(s) address"]
    assert [(a.name, a.url) for a in allowed.added] == [("local-feed", str(tmp_path / "local.xml"))]


# ------------------------------------------------------------------------------ scheduling


@pytest.mark.parametrize(
    ("added_by", "guarded"), [(None, False), ("U0ADMIN", True)], ids=["cli", "slack-import"]
)
def test_imported_feeds_are_scheduled_and_slack_imports_are_address_guarded(
    tmp_path: Path, server: FeedServer, added_by: str | None, guarded: bool
) -> None:
    cfg = _config(tmp_path)
    store = Store(":memory:")
    store.add_feed("imported", server.add("/imported.xml"), origin="opml", added_by=added_by)
    sched = Scheduler(cfg, store, Pipeline(cfg, store), lambda: None, timing=Timing())
    sched.sync()
    assert sched.scheduler.get_job("feed:imported") is not None
    outcome = sched.poll("imported")
    assert outcome is not None
    if guarded:
        assert outcome.error is not None and "non-public" in outcome.error.message
        assert server.requests("/imported.xml") == []
    else:
        assert outcome.error is None and len(server.requests("/imported.xml")) == 1
        polled = store.feed("imported")
        assert polled is not None and polled.origin == "opml" and polled.last_ok is not None
    store.remove_feed("imported")
    sched.sync()
    assert sched.scheduler.get_job("feed:imported") is None


def _config(tmp_path: Path) -> config.Config:
    path = tmp_path / "hubnews.toml"
    path.write_text('[[routes]]\nchannel = "C0ALERTS1"\ntags = ["ai"]\n', encoding="utf-8")
    return config.load(path, environ={})
