"""Fetch a feed's bytes: politely, within bounds, and never from where it must not.

`fetch(url, state, limits, client)` does one conditional GET (ETag / Last-Modified from
`state`), follows redirects itself (so each hop can be checked and counted), stops at the byte
cap measured *after* decompression (a gzip bomb is cut off, not inflated), and gives up at the
total deadline even when a server drips one byte per second inside the read timeout. Local
paths are read from disk under the same cap. Every failure is a `FetchError` naming the feed's
address and the reason, whatever went wrong (a hostile redirect to port 99999, `javascript:`,
`http://[` or a 70 KB address included): a feed's failure is counted and backed off, never an
exception escaping `fetch`. Every address is parsed once by httpx (`guard.target`), which also
IDNA-encodes non-ASCII hosts the way the request will use them; ports must be 1-65535.
feedparser never fetches anything itself.

For feeds added from Slack, `guard=True` refuses private, loopback and link-local addresses
after DNS resolution, on the first request and on every redirect, and connects to the very
address it vetted (`bot.guard`: resolve once, check, pin; `resolve` is injectable for tests).
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from bot import __version__
from bot.config import Limits
from bot.errors import FetchError
from bot.guard import (
    Address,
    Resolver,
    check_public,
    pin,
    redirect_target,
    system_resolver,
    target,
    vet,
)

__all__ = ["HOST_SLOTS", "FetchState", "Fetched", "check_public", "fetch", "make_client"]
log = logging.getLogger("hubnews.fetch")

USER_AGENT = f"hubnews/{__version__} (+https://github.com/hubnews/hubnews; feed reader)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_CHUNK = 64 * 1024


class HostSlots:
    """At most `limit` requests in flight per host (scheme, host and port), process-wide.

    Every fetch of a process shares one `HostSlots` (`HOST_SLOTS`), so the scheduler's jobs
    and `Pipeline.poll`'s pool are both polite to a server that hosts many feeds: the global
    bound is the pool size (`limits.concurrency`), this is `limits.per_host`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}

    def slot(self, url: httpx.URL, limit: int) -> threading.BoundedSemaphore:
        key = (f"{url.scheme}://{url.raw_host.decode('ascii')}:{url.port or 0}", limit)
        with self._lock:
            return self._slots.setdefault(key, threading.BoundedSemaphore(max(1, limit)))


HOST_SLOTS = HostSlots()


@dataclass(frozen=True, slots=True)
class FetchState:
    """What the last successful fetch left for the next one."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # the address finally read (after redirects)
    status: int  # 200, or 304 when nothing changed; 0 for a local file
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # set when every redirect on the way was permanent
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(limits: Limits, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """One client per process: pooled connections, our timeouts, no automatic redirects."""
    timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        },
        transport=transport,
        limits=httpx.Limits(max_connections=max(limits.concurrency, 1) * 2),
    )


def fetch(
    url: str,
    state: FetchState,
    limits: Limits,
    client: httpx.Client,
    *,
    guard: bool = False,
    resolve: Resolver = system_resolver,
) -> Fetched:
    if not url.startswith(("http://", "https://")):
        return _read_local(url, limits)
    try:
        return _fetch(url, state, limits, client, guard, resolve)
    except FetchError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError) as exc:
        raise FetchError(
            f"{url}: cannot fetch ({type(exc).__name__}: {_reason(exc)})",
            hint="the server sent something hubnews cannot use; retried later with back-off",
        ) from None
    except Exception as exc:  # a bug: keep the traceback in the log, fail only this feed
        log.exception(f"event=fetch_bug url={url}")
        raise FetchError(
            f"{url}: internal error ({type(exc).__name__}: {_reason(exc)})",
            hint="a bug in hubnews; please report it with the log",
        ) from None


def _fetch(
    url: str,
    state: FetchState,
    limits: Limits,
    client: httpx.Client,
    guard: bool,
    resolve: Resolver,
) -> Fetched:
    started = time.monotonic()
    deadline = started + limits.deadline
    headers = _conditional_headers(state)
    current, permanent = target(url, url), True
    for hop in range(limits.max_redirects + 1):
        address = vet(current, limits.allow_private, resolve, feed_url=url) if guard else None
        with HOST_SLOTS.slot(current, limits.per_host):
            response = _get(client, current, address, headers, deadline, limits, url)
        if response.status_code not in _REDIRECTS:
            final = str(current) if hop else url
            return _finish(response, final, permanent and hop > 0 and final != url, started)
        location = response.headers.get("location")
        if not location or not location.strip():
            raise FetchError(
                f"{url}: HTTP {response.status_code} redirect without a Location",
                hint="the server is misconfigured; tell its owner",
                status=response.status_code,
            )
        permanent = permanent and response.status_code in _PERMANENT
        current = redirect_target(url, current, location.strip())
    raise FetchError(
        f"{url}: more than {limits.max_redirects} redirects (last: {current})",
        hint="the feed redirects in a loop or too often; open it in a browser and "
        "put the final address in the config",
    )


def _conditional_headers(state: FetchState) -> dict[str, str]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _get(
    client: httpx.Client,
    current: httpx.URL,
    address: Address | None,
    headers: dict[str, str],
    deadline: float,
    limits: Limits,
    feed_url: str,
) -> _Response:
    target: httpx.URL = current
    extensions: dict[str, Any] = {}
    if address is not None:  # connect to the vetted address; Host and SNI keep the name
        target, host, extensions = pin(current, address)
        headers = headers | host
    try:
        with client.stream("GET", target, headers=headers, extensions=extensions) as response:
            if response.status_code in _REDIRECTS or response.status_code == 304:
                return _Response(response.status_code, dict(response.headers), b"")
            _raise_for_status(response, feed_url)
            if response.is_stream_consumed:  # read already (httpx.MockTransport): decoded
                inflate, chunks = _Inflater("", feed_url), iter([response.content])
            else:
                encoding = response.headers.get("content-encoding", "")
                inflate, chunks = _Inflater(encoding, feed_url), response.iter_raw()
            body = bytearray()
            for raw in chunks:
                for piece in inflate.feed(raw):  # the cap counts inflated bytes
                    body += piece
                    if len(body) > limits.max_bytes:
                        raise _too_large(feed_url, limits)
                if time.monotonic() > deadline:
                    raise _deadline(feed_url, limits)
            return _Response(response.status_code, dict(response.headers), bytes(body))
    except httpx.TimeoutException as exc:
        kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        raise FetchError(
            f"{feed_url}: {kind} timeout",
            hint="the server is slow or down; hubnews retries later with back-off",
        ) from None
    except httpx.TransportError as exc:
        raise FetchError(
            f"{feed_url}: cannot connect ({_reason(exc)})",
            hint="check the address and that the server is up; retried later",
        ) from None


@dataclass(frozen=True, slots=True)
class _Response:
    status_code: int
    headers: dict[str, str]
    body: bytes


def _finish(response: _Response, final: str, moved: bool, started: float) -> Fetched:
    headers = {k.lower(): v for k, v in response.headers.items()}
    return Fetched(
        url=final,
        status=response.status_code,
        body=response.body,
        headers=headers,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        moved_to=final if moved else None,
        elapsed=time.monotonic() - started,
    )


def _raise_for_status(response: httpx.Response, feed_url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 410:
        hint = "the feed is gone for good; remove it from the config"
    elif status in {401, 403}:
        hint = "the server refuses hubnews; check the URL or whether the feed needs a login"
    elif status == 404:
        hint = "the address is wrong or the feed moved; find its current URL"
    elif status == 429:
        hint = "the server asks us to slow down; hubnews waits as told before retrying"
    else:
        hint = "the server failed; hubnews retries later with back-off"
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
    raise FetchError(
        f"{feed_url}: HTTP {status} {reason}".rstrip(),
        hint=hint,
        status=status,
        retry_after=retry_after,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class _Inflater:
    """Decompresses gzip/deflate in bounded steps, so a bomb never inflates beyond one step.

    (httpx's own decoders inflate a whole network chunk at once: 64 KB of a gzip bomb become
    64 MB before any cap can look at them.)
    """

    def __init__(self, encoding: str, feed_url: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in {"", "identity"}:
            self._zlib = None
        elif encoding in {"gzip", "x-gzip", "deflate"}:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        else:
            raise FetchError(
                f"{feed_url}: unsupported Content-Encoding {encoding!r}",
                hint="the server ignored our Accept-Encoding; tell its owner",
            )
        self._deflate_raw = encoding == "deflate"
        self._inflated = 0
        self.feed_url = feed_url

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        try:
            while data:
                piece = self._zlib.decompress(data, _CHUNK)
                data = self._zlib.unconsumed_tail
                self._inflated += len(piece)
                yield piece
        except zlib.error:
            if self._deflate_raw and not self._inflated:  # raw deflate without a zlib header
                self._zlib, self._deflate_raw = zlib.decompressobj(-zlib.MAX_WBITS), False
                yield from self.feed(data)
                return
            raise FetchError(
                f"{self.feed_url}: the compressed response is corrupt",
                hint="the server sent a broken gzip/deflate body; retried later",
            ) from None


def _too_large(feed_url: str, limits: Limits) -> FetchError:
    return FetchError(
        f"{feed_url}: response is larger than {limits.max_bytes:,} bytes "
        "(after decompression); stopped reading",
        hint="raise [limits] max_bytes if this feed is really that large",
    )


def _deadline(feed_url: str, limits: Limits) -> FetchError:
    return FetchError(
        f"{feed_url}: gave up after the {limits.deadline:g}s deadline",
        hint="the server is too slow; raise [limits] deadline if it is worth it",
    )


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _read_local(path: str, limits: Limits) -> Fetched:
    started = time.monotonic()
    file = Path(path).expanduser()
    try:
        size = file.stat().st_size
        if size > limits.max_bytes:
            raise FetchError(
                f"{path}: file is larger than {limits.max_bytes:,} bytes",
                hint="raise [limits] max_bytes if this feed is really that large",
            )
        body = file.read_bytes()
    except FileNotFoundError:
        raise FetchError(
            f"{path}: no such file",
            hint="check the path in the config or "
            "on the command line (relative paths resolve against the config's "
            "folder)",
        ) from None
    except IsADirectoryError:
        raise FetchError(
            f"{path}: is a directory, not a feed file", hint="name a feed file"
        ) from None
    except OSError as exc:
        raise FetchError(
            f"{path}: cannot read ({exc.strerror})", hint="check the file's permissions"
        ) from None
    return Fetched(url=str(file), status=0, body=body, elapsed=time.monotonic() - started)
