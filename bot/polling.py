"""Polite polling as pure functions: when to poll a feed next, and when to give up on it.

Rules, in order (`plan(...)` applies them and returns a `Plan`):

1. HTTP 410 Gone disables the feed at once (`Plan.disable` says why).
2. A failed poll backs off exponentially: the configured interval times 2**failures, never
   sooner than a `Retry-After` the server sent, capped at `MAX_BACKOFF` (24 h). After
   `limits.max_failures` consecutive failures the store disables the feed (`disable_after`);
   `disabled_notice` is the one message the admin channel gets about it.
3. A successful poll (200, or a 304 that cost nothing) waits the largest of: the configured
   interval, the feed's `<ttl>` (minutes), `Cache-Control: max-age` and `Retry-After`
   (a server may send one with a 200/304 too), never more than `MAX_POLITE` beyond it. `no-cache`
   / `no-store` / `must-revalidate` with no max-age leave the configured interval alone.

Nothing here reads the clock, the network or the database: callers pass `now`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.fetch import parse_retry_after

MAX_BACKOFF = timedelta(hours=24)  # the longest wait after errors
MAX_POLITE = timedelta(hours=24)  # the longest wait a feed's own hints (TTL, max-age) can ask
GONE = 410
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Plan:
    next_poll: datetime
    reason: str  # what set the wait: "interval", "ttl", "max-age", "retry-after", "backoff"
    disable: str | None = None  # set when the feed must be disabled now (410 Gone)


def max_age(headers: Mapping[str, str]) -> timedelta | None:
    """`Cache-Control: max-age=N` (or `s-maxage`) as a timedelta; None when absent."""
    value = _header(headers, "cache-control")
    if not value:
        return None
    found = [int(n) for n in _MAX_AGE.findall(value)]
    return timedelta(seconds=max(found)) if found else None


def retry_after(headers: Mapping[str, str]) -> timedelta | None:
    seconds = parse_retry_after(_header(headers, "retry-after"))
    return None if seconds is None else timedelta(seconds=seconds)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after `failures` consecutive failures (1 → 2x interval, 2 → 4x, …, ≤ 24 h)."""
    if failures <= 0:
        return interval
    factor = 2 ** min(failures, 32)
    return min(interval * factor, max(MAX_BACKOFF, interval))


def after_success(
    now: datetime,
    interval: timedelta,
    *,
    ttl_minutes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Plan:
    """When to poll again after a 200 or 304 (rule 3)."""
    hints = {
        "ttl": timedelta(minutes=ttl_minutes) if ttl_minutes and ttl_minutes > 0 else None,
        "max-age": max_age(headers or {}),
        "retry-after": retry_after(headers or {}),
    }
    wait, reason = interval, "interval"
    ceiling = max(interval, MAX_POLITE)
    for name, hint in hints.items():
        if hint is not None and hint > wait:
            wait, reason = min(hint, ceiling), name
    return Plan(now + wait, reason)


def after_failure(
    now: datetime,
    interval: timedelta,
    failures: int,
    *,
    status: int | None = None,
    retry_after_seconds: float | None = None,
) -> Plan:
    """When to try again after a failed poll (rules 1 and 2); `failures` counts this one."""
    if status == GONE:
        return Plan(now + MAX_BACKOFF, "gone", disable=gone_reason())
    wait, reason = backoff(interval, failures), "backoff"
    if retry_after_seconds is not None:
        asked = min(timedelta(seconds=retry_after_seconds), MAX_BACKOFF)
        if asked > wait:
            wait, reason = asked, "retry-after"
    return Plan(now + wait, reason)


def resume_at(
    now: datetime,
    interval: timedelta,
    failures: int,
    last_attempt: datetime | None,
    stored_next: datetime | None,
) -> datetime:
    """After a restart: when a feed is due, from what the store remembers of it."""
    if stored_next is not None:
        return stored_next
    if failures and last_attempt is not None:
        return max(now, last_attempt + backoff(interval, failures))
    return now


def gone_reason() -> str:
    return "HTTP 410 Gone: the publisher removed this feed; disabled (re-enable or remove it)"


def disabled_notice(name: str, url: str, reason: str) -> str:
    """The one admin-channel message about a feed hubnews stopped polling."""
    return (
        f"Feed `{name}` ({url}) is disabled: {reason}. Check the address, then "
        f"`/hubnews feeds enable {name}` (or fix its `[[feeds]]` entry and restart)."
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
