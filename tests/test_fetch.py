"""fetch: conditional GET, caps, deadlines, redirects and the address guard, faked at HTTP."""

from __future__ import annotations

import gzip
import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bot import config
from bot.config import Limits
from bot.errors import FetchError
from bot.fetch import USER_AGENT, FetchState, check_public, fetch, make_client, parse_retry_after
from bot.guard import pin
from bot.pipeline import Pipeline
from bot.store import Store

from fakes.feed_server import FeedServer

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"
LIMITS = Limits(max_bytes=64 * 1024, deadline=5.0, max_redirects=3)


def client_for(handler, limits: Limits = LIMITS) -> httpx.Client:
    return make_client(limits, httpx.MockTransport(handler))


def test_conditional_get_round_trip_gives_304() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(
            200,
            content=RSS,
            headers={"ETag": '"v1"', "Last-Modified": "Wed, 14 Oct 2020 10:00:00 GMT"},
        )

    client = client_for(handler)
    first = fetch("https://feeds.example/rss", FetchState(), LIMITS, client)
    assert first.status == 200 and first.body == RSS and first.etag == '"v1"'
    second = fetch(
        "https://feeds.example/rss", FetchState(first.etag, first.last_modified), LIMITS, client
    )
    assert second.not_modified and second.body == b""
    assert seen[1].headers["If-None-Match"] == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == "Wed, 14 Oct 2020 10:00:00 GMT"
    assert seen[0].headers["User-Agent"] == USER_AGENT and "hubnews/" in USER_AGENT


def test_oversize_body_is_cut_off() -> None:
    client = client_for(lambda r: httpx.Response(200, content=b"x" * (LIMITS.max_bytes + 1)))
    with pytest.raises(FetchError, match="larger than 65,536 bytes"):
        fetch("https://feeds.example/big", FetchState(), LIMITS, client)


def test_gzip_bomb_is_measured_after_decompression() -> None:
    bomb = gzip.compress(b"\0" * (10 * 2**20))  # ~10 KB on the wire, 10 MiB inflated
    assert len(bomb) < LIMITS.max_bytes
    client = client_for(  # streamed, as from the network: nothing inflated in advance
        lambda r: httpx.Response(200, content=iter([bomb]), headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(FetchError, match="after decompression"):
        fetch("https://feeds.example/bomb", FetchState(), LIMITS, client)


def test_read_timeout_is_a_feed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(FetchError, match="read timeout") as caught:
        fetch("https://slow.example/rss", FetchState(), LIMITS, client_for(handler))
    assert "retries later" in caught.value.hint


def test_slow_drip_stops_at_the_total_deadline() -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(1000):
            time.sleep(0.01)
            yield b"<"

    limits = Limits(max_bytes=10**6, deadline=0.1)
    client = client_for(lambda r: httpx.Response(200, content=drip()), limits)
    with pytest.raises(FetchError, match="deadline"):
        fetch("https://drip.example/rss", FetchState(), limits, client)


def test_redirect_loop_is_refused() -> None:
    client = client_for(lambda r: httpx.Response(302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch("https://loop.example/loop", FetchState(), LIMITS, client)


def test_permanent_redirect_reports_the_new_address() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://feeds.example/new"})
        return httpx.Response(200, content=RSS)

    fetched = fetch("https://feeds.example/old", FetchState(), LIMITS, client_for(handler))
    assert fetched.moved_to == "https://feeds.example/new" and fetched.body == RSS


def test_temporary_redirect_keeps_the_address() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(302, headers={"Location": "/new"})
        return httpx.Response(200, content=RSS)

    fetched = fetch("https://feeds.example/old", FetchState(), LIMITS, client_for(handler))
    assert fetched.moved_to is None and fetched.url == "https://feeds.example/new"


@pytest.mark.parametrize(
    ("status", "headers", "message", "retry_after"),
    [
        (500, {}, "HTTP 500", None),
        (503, {"Retry-After": "120"}, "HTTP 503", 120.0),
        (429, {"Retry-After": "30"}, "HTTP 429", 30.0),
        (404, {}, "HTTP 404", None),
        (410, {}, "HTTP 410", None),
    ],
)
def test_http_errors_name_status_and_keep_retry_after(
    status: int, headers: dict[str, str], message: str, retry_after: float | None
) -> None:
    client = client_for(lambda r: httpx.Response(status, headers=headers))
    with pytest.raises(FetchError, match=message) as caught:
        fetch("https://feeds.example/rss", FetchState(), LIMITS, client)
    assert caught.value.status == status and caught.value.retry_after == retry_after


def test_connection_refused_is_a_feed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(FetchError, match="cannot connect"):
        fetch("https://down.example/rss", FetchState(), LIMITS, client_for(handler))


def test_local_file_is_read_under_the_cap(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS)
    fetched = fetch(str(feed), FetchState(), LIMITS, client_for(lambda r: httpx.Response(500)))
    assert fetched.body == RSS
    feed.write_bytes(b"x" * (LIMITS.max_bytes + 1))
    with pytest.raises(FetchError, match="larger than"):
        fetch(str(feed), FetchState(), LIMITS, client_for(lambda r: httpx.Response(500)))
    with pytest.raises(FetchError, match="no such file"):
        fetch(
            str(tmp_path / "missing.xml"),
            FetchState(),
            LIMITS,
            client_for(lambda r: httpx.Response(500)),
        )


def resolver(answers: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A DNS stand-in: the answers per host (no real DNS in tests); records each question."""

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise OSError(f"no such host {host}")
        return answers[host]

    asked: list[str] = []
    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


LOCAL = resolver({"localhost": ["127.0.0.1", "::1"], "intranet.example": ["10.1.2.3"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/",
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fec0::1]/",  # site-local
        "http://[fd00::1]/",
        "http://[ff02::1]/",
        "http://localhost/",
        "http://intranet.example/",
        # IPv6 forms that carry a private IPv4 address
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::ffff:0:7f00:1]/",  # IPv4-translated
        "http://[64:ff9b::7f00:1]/",  # NAT64
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[64:ff9b:1::5db8:d70e]/",  # local-use NAT64 prefix
        "http://[2002:7f00:1::]/",  # 6to4
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    ],
)
def test_guard_refuses_private_addresses(url: str) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        check_public(url, resolve=LOCAL)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/",
        "http://[2606:4700:4700::1111]/",
        "http://[64:ff9b::5db8:d70e]/",  # NAT64 of a public address
        "http://[2002:5db8:d70e::1]/",  # 6to4 of a public address
        "http://[::ffff:93.184.215.14]/",
    ],
)
def test_guard_lets_public_addresses_through(url: str) -> None:
    assert check_public(url, resolve=resolver({})) is not None


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0177.0.0.1/"]
)
def test_guard_refuses_numeric_spellings_of_loopback(url: str) -> None:
    # getaddrinfo reads these numerically (inet_aton), no DNS; the answer is what is vetted.
    with pytest.raises(FetchError):
        check_public(url)


@pytest.mark.parametrize("url", ["http://[::1/", "http://[zz]/", "http://[/", "http://:80/"])
def test_guard_refuses_malformed_addresses_without_crashing(url: str) -> None:
    with pytest.raises(FetchError):
        check_public(url, resolve=LOCAL)


def test_guard_allows_an_explicit_allow_list() -> None:
    check_public("http://127.0.0.1/feed", allow=("127.0.0.1",))
    check_public("http://localhost/feed", allow=("localhost",), resolve=resolver({}))


def test_guard_is_checked_on_every_redirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})

    with pytest.raises(FetchError, match=r"169\.254\.169\.254"):
        # 93.184.215.14 is a public address literal: no DNS needed for the first hop.
        fetch("http://93.184.215.14/feed", FetchState(), LIMITS, client_for(handler), guard=True)


def rebinding(host: str, first: str, then: str) -> Callable[[str, int], list[str]]:
    """DNS rebinding: a public answer first, a private one for every later question."""
    answers = iter([[first]])

    def resolve(asked: str, port: int) -> list[str]:
        assert asked == host
        return next(answers, [then])

    return resolve


def test_guarded_fetch_connects_to_the_address_it_vetted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=RSS)

    resolve = rebinding("feed.example", "93.184.215.14", "127.0.0.1")
    client = client_for(handler)
    got = fetch(
        "https://feed.example/rss", FetchState(), LIMITS, client, guard=True, resolve=resolve
    )
    (request,) = seen
    assert request.url.host == "93.184.215.14"  # not a second lookup, which would say 127.0.0.1
    assert request.headers["host"] == "feed.example"
    assert request.extensions["sni_hostname"] == "feed.example"  # TLS names the host
    assert got.url == "https://feed.example/rss" and got.body == RSS
    with pytest.raises(FetchError, match=r"non-public address \(127\.0\.0\.1\)"):
        fetch("https://feed.example/rss", FetchState(), LIMITS, client, guard=True, resolve=resolve)
    assert len(seen) == 1  # the rebound answer was refused before any request


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("93.184.215.14", "https://93.184.215.14:8443/rss?x=1"),
        ("2606:4700::1111", "https://[2606:4700::1111]:8443/rss?x=1"),
        ("::ffff:93.184.215.14", "https://93.184.215.14:8443/rss?x=1"),  # mapped: plain IPv4
    ],
)
def test_pin_keeps_path_port_host_header_and_sni(address: str, url: str) -> None:
    wanted = httpx.URL("https://Straße.example:8443/rss?x=1")
    target, headers, extensions = pin(wanted, ipaddress.ip_address(address))
    assert str(target) == url
    assert headers == {"Host": "xn--strae-oqa.example:8443"}
    assert extensions == {"sni_hostname": "xn--strae-oqa.example"}


def test_pinned_request_reaches_the_vetted_address_over_a_real_socket() -> None:
    """No DNS for feed.example at all: the client connects to the pinned literal address."""
    server = FeedServer().start()
    try:
        server.add("/pinned.xml", items=1)
        port = int(httpx.URL(server.url("/pinned.xml")).port or 0)
        wanted = httpx.URL(f"http://feed.example:{port}/pinned.xml")
        target, headers, extensions = pin(wanted, ipaddress.ip_address("127.0.0.1"))
        with make_client(LIMITS) as client:
            response = client.get(target, headers=headers, extensions=extensions)
        assert response.status_code == 200
        (request,) = server.requests("/pinned.xml")
        assert request.headers["host"] == f"feed.example:{port}"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("location", "asked"),
    [
        ("http://straße.example/feed", "xn--strae-oqa.example"),  # IDNA 2008, as httpx sends it
        ("http://ÉVIL.example/feed", "xn--vil-9la.example"),
        ("http://intranet.example./feed", "intranet.example."),
    ],
)
def test_a_utf8_host_in_a_redirect_is_vetted_as_it_will_be_requested(
    location: str, asked: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location.encode()})

    resolve = resolver({asked: ["10.0.0.7"]})
    with pytest.raises(FetchError, match="non-public address"):
        fetch(
            "http://93.184.215.14/feed",
            FetchState(),
            LIMITS,
            client_for(handler),
            guard=True,
            resolve=resolve,
        )
    assert resolve.asked == [asked]  # type: ignore[attr-defined]


HOSTILE_LOCATIONS = [
    "http://example.com:99999/feed",
    "http://example.com:65536/",
    "http://example.com:0/",
    "http://example.com:-1/",
    "http://example.com:port/",
    "//example.com:99999/",
    "javascript:alert(1)",
    "javascript://example.com/%0aalert(1)",
    "data:application/rss+xml,<rss/>",
    "file:///etc/passwd",
    "ftp://example.com/feed",
    "",
    "   ",
    "http://[",
    "http://[::1/",
    "http://[zz]/",
    "http://",
    "http:///feed",
    "http://" + "a" * 70_000 + ".example/",
    "http://" + "a" * 64 + ".example/",  # a DNS label longer than 63
    "/" + "a" * 70_000,
    "http://exa mple.com/",
    "http://\u2603\u200d.example/",  # not a valid IDNA name
    "http://例え.テスト:99999/",
    "http://xn--/",
]


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
@pytest.mark.parametrize("guard", [False, True])
def test_a_hostile_redirect_is_a_fetch_error(location: str, guard: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed":
            return httpx.Response(302, headers={"Location": location.encode()})
        return httpx.Response(200, content=RSS)

    with pytest.raises(FetchError, match=r"^http://93\.184\.215\.14/feed: "):
        fetch(
            "http://93.184.215.14/feed",
            FetchState(),
            LIMITS,
            client_for(handler),
            guard=guard,
            resolve=resolver({}),
        )


def test_a_hostile_redirect_is_counted_as_the_feeds_failure(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://example.com:99999/"})

    cfg = replace(config.load(None, environ={}), path=None, database=tmp_path / "h.db")
    feed = config.Feed("hostile", "http://93.184.215.14/feed")
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store, transport=httpx.MockTransport(handler))
    try:
        (outcome,) = pipeline.poll([feed])
        assert isinstance(outcome.error, FetchError) and "99999" in str(outcome.error)
        status = store.feed("hostile")
        assert status is not None and status.consecutive_failures == 1  # backed off as usual
    finally:
        pipeline.close()
        store.close()


def test_retry_after_accepts_seconds_and_dates() -> None:
    assert parse_retry_after("17") == 17.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
