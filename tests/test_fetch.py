"""fetch: conditional GET, caps, deadlines, redirects and the address guard, faked at HTTP."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Limits
from bot.errors import FetchError
from bot.fetch import USER_AGENT, FetchState, check_public, fetch, make_client, parse_retry_after

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


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://localhost/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_guard_refuses_private_addresses(url: str) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        check_public(url)


def test_guard_allows_an_explicit_allow_list() -> None:
    check_public("http://127.0.0.1/feed", allow=("127.0.0.1",))


def test_guard_is_checked_on_every_redirect() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})

    with pytest.raises(FetchError, match=r"169\.254\.169\.254"):
        # 93.184.215.14 is a public address literal: no DNS needed for the first hop.
        fetch("http://93.184.215.14/feed", FetchState(), LIMITS, client_for(handler), guard=True)


def test_retry_after_accepts_seconds_and_dates() -> None:
    assert parse_retry_after("17") == 17.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
