"""Polite polling: the next-poll rules of bot.polling, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import polling

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("ttl", "headers", "wait", "reason"),
    [
        (None, {}, 15 * MIN, "interval"),
        (60, {}, 60 * MIN, "ttl"),
        (5, {}, 15 * MIN, "interval"),  # a TTL shorter than the interval changes nothing
        (None, {"Cache-Control": "public, max-age=3600"}, 60 * MIN, "max-age"),
        (None, {"cache-control": "max-age=60"}, 15 * MIN, "interval"),
        (None, {"Cache-Control": "no-cache"}, 15 * MIN, "interval"),
        (None, {"Retry-After": "7200"}, 120 * MIN, "retry-after"),
        (30, {"Cache-Control": "s-maxage=5400"}, 90 * MIN, "max-age"),
        (60 * 24 * 30, {}, timedelta(hours=24), "ttl"),  # a month's TTL is capped at 24 h
    ],
)
def test_after_success_takes_the_largest_hint(
    ttl: int | None, headers: dict[str, str], wait: timedelta, reason: str
) -> None:
    plan = polling.after_success(NOW, 15 * MIN, ttl_minutes=ttl, headers=headers)
    assert plan.next_poll - NOW == wait
    assert plan.reason == reason
    assert plan.disable is None


@pytest.mark.parametrize(
    ("failures", "wait"),
    [
        (1, 30 * MIN),
        (2, 60 * MIN),
        (3, 120 * MIN),
        (6, 16 * 60 * MIN),
        (7, 24 * 60 * MIN),
        (40, 24 * 60 * MIN),
    ],
)
def test_failures_back_off_exponentially_up_to_a_day(failures: int, wait: timedelta) -> None:
    plan = polling.after_failure(NOW, 15 * MIN, failures, status=503)
    assert plan.next_poll - NOW == wait
    assert plan.reason == "backoff"


def test_retry_after_on_a_failure_wins_when_longer_than_the_backoff() -> None:
    plan = polling.after_failure(NOW, 15 * MIN, 1, status=429, retry_after_seconds=7200)
    assert (plan.next_poll - NOW, plan.reason) == (120 * MIN, "retry-after")
    short = polling.after_failure(NOW, 15 * MIN, 1, status=429, retry_after_seconds=10)
    assert short.next_poll - NOW == 30 * MIN


def test_retry_after_is_capped_at_a_day() -> None:
    plan = polling.after_failure(NOW, 15 * MIN, 1, retry_after_seconds=10 * 86400)
    assert plan.next_poll - NOW == timedelta(hours=24)


def test_410_disables_at_once() -> None:
    plan = polling.after_failure(NOW, 15 * MIN, 1, status=410)
    assert plan.disable is not None and "410" in plan.disable


def test_an_interval_longer_than_a_day_is_kept() -> None:
    week = timedelta(days=7)
    assert polling.after_success(NOW, week).next_poll - NOW == week
    assert polling.backoff(week, 3) == week


def test_retry_after_as_an_http_date() -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    value = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    wait = polling.retry_after({"Retry-After": value})
    assert wait is not None and timedelta(minutes=118) < wait <= timedelta(hours=2)


@pytest.mark.parametrize(
    ("failures", "last", "stored", "expected"),
    [
        (0, None, None, NOW),
        (0, NOW - MIN, None, NOW),
        (2, NOW - MIN, None, NOW + 59 * MIN),  # 4 x 15 min from the last attempt
        (2, NOW - 120 * MIN, None, NOW),
        (1, NOW, NOW + 5 * MIN, NOW + 5 * MIN),  # a stored next_poll wins
    ],
)
def test_resume_after_restart(
    failures: int, last: datetime | None, stored: datetime | None, expected: datetime
) -> None:
    assert polling.resume_at(NOW, 15 * MIN, failures, last, stored) == expected


def test_the_notice_names_the_feed_the_reason_and_the_way_back() -> None:
    text = polling.disabled_notice("scmp", "https://x.example/rss", "HTTP 410 Gone")
    assert "scmp" in text and "410" in text and "/hubnews feeds enable scmp" in text
