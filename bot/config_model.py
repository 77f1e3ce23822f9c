"""The frozen configuration: `Config` and its parts (feeds, routes, limits, dedup, secrets)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

from bot.tuning import Policy


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    url: str  # an http(s) URL or an absolute local path
    interval: timedelta = timedelta(minutes=15)
    enabled: bool = True

    @property
    def is_local(self) -> bool:
        return not self.url.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    tags: tuple[str, ...] = ()  # any of; empty means every tagged story
    min_score: float = 0.0
    sources: tuple[str, ...] = ()  # feed names or domains to include (empty: all)
    exclude_sources: tuple[str, ...] = ()
    mode: str = "realtime"  # or "digest"
    at: time = time(8, 30)  # digest time of day
    timezone: str = "UTC"
    quiet_hours: tuple[time, time] | None = None
    snooze: str = "admins"  # who may `/hubnews snooze` this channel: "admins" or "members"


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 15 * 2**20  # measured after decompression
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 60.0  # whole fetch, redirects included
    max_redirects: int = 5
    concurrency: int = 16
    per_host: int = 2
    max_failures: int = 10  # consecutive failures before a feed is disabled
    flood: int = 10  # alerts per channel per cycle before they are batched
    post_interval: float = 1.0  # seconds between posts to one channel (Slack: ~1/s)
    retry_backoff: float = 30.0  # first retry after a 5xx/timeout; doubles each time
    max_attempts: int = 8  # failed posts before an alert is given up (kept, marked failed)
    hold_retry: float = 900.0  # retry interval for alerts held by a channel or token problem
    thread_cap: int = 20  # "+1 source" replies per story and channel
    alerts_per_feed: int = 20  # alerts from one feed in one poll; the rest are stored, held
    alerts_per_cycle: int = 100  # alerts from all feeds in one poll cycle (a rolling hour)
    first_poll_alerts: int = 3  # alerts on a feed's first poll; the rest: one summary/channel
    allow_private: tuple[str, ...] = ()  # hosts feeds added from Slack may use despite the guard


@dataclass(frozen=True, slots=True)
class Dedup:
    window: timedelta = timedelta(days=30)
    thresholds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Secrets:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None

    def __repr__(self) -> str:
        return "Secrets(" + ", ".join(f"{k}={redacted(v)}" for k, v in self.summary().items()) + ")"

    def summary(self) -> dict[str, str | None]:
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": self.app_token,
        }


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None  # None for the built-in default
    database: Path | str  # a SQLite file, or a PostgreSQL URL ("postgresql://…")
    feeds: tuple[Feed, ...] = ()
    routes: tuple[Route, ...] = ()
    admins: tuple[str, ...] = ()
    admin_channel: str | None = None  # where operator notices go (else admins' DMs)
    alert_max_age: timedelta = timedelta(hours=48)
    retention: timedelta = timedelta(days=180)
    taxonomy: Path | None = None  # None: the bundled taxonomy
    limits: Limits = field(default_factory=Limits)
    dedup: Dedup = field(default_factory=Dedup)
    tag_thresholds: Mapping[str, float] = field(default_factory=dict)
    feedback: Policy = field(default_factory=Policy)  # how votes tune thresholds (bot.tuning)
    log_format: str = "text"
    slack_api_url: str = "https://slack.com/api/"
    secrets: Secrets = field(default_factory=Secrets)
    warnings: tuple[str, ...] = ()


def redacted(value: str | None) -> str:
    """How a secret is shown: whether it is set, its kind and length, never its content."""
    if not value:
        return "(not set)"
    kind = re.match(r"^(xox[abpre]-|xapp-)", value)
    return f"set ({kind.group(1) + '…, ' if kind else ''}{len(value)} chars)"
