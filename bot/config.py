"""Load `config/hubnews.toml` once into a frozen `Config`, or fail with one clear message.

`load(path)` reads TOML with tomllib, checks every key, resolves relative paths against the
config file's folder, reads Slack secrets from the environment (or `*_FILE` secrets files) and
returns a `Config`. Every problem becomes a `ConfigError` naming the file, the key, the line
where it can be found, and the fix. Nothing else in hubnews reads the file or `SLACK_*`.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import process

from bot.dedup_judge import DEFAULT_THRESHOLDS
from bot.dedup_verify import RULES
from bot.errors import ConfigError
from bot.tuning import Policy

BUNDLED = resources.files("bot._config")
ENV_CONFIG = "HUBNEWS_CONFIG"  # the config file to use when --config is not given
ENV_DB = "HUBNEWS_DB"  # overrides `database` (containers put it on the /data volume)
PG_SCHEMES = ("postgresql://", "postgres://")
_T = TypeVar("_T")  # `database` as a URL: the PostgreSQL store

MAX_DURATION = timedelta(days=36525)  # 100 years
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$", re.IGNORECASE)
_SIZES = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
DAY = 86400.0
# Sane bounds (lowest, highest) for every number in the file; durations in seconds, sizes in
# bytes. Keys not listed here fall back to the bounds of their kind (`_KIND_BOUNDS`).
BOUNDS: dict[str, tuple[float, float]] = {
    "alert_max_age": (60, MAX_DURATION.total_seconds()),
    "retention": (DAY, MAX_DURATION.total_seconds()),  # "0s" would prune every story at once
    "feeds.interval": (1, 30 * DAY),
    "dedup.window": (3600, 10 * 365 * DAY),
    "dedup.new_facts": (1, 1000),  # counts; every other dedup threshold is a fraction
    "dedup.lead_facts": (1, 1000),
    "dedup.contained_facts": (1, 1000),  # the verifier's counts (bot.dedup_verify.RULES)
    "dedup.swapped_facts": (1, 1000),
    "dedup.lead_tokens": (1, 10_000),
    "dedup.update_facts": (1, 1000),
    "dedup.reworded_facts": (1, 1000),
    "feedback.min_votes": (1, 100_000),
    "feedback.max_raise": (0.0, 1.0),
    "feedback.miss_cost": (1.0, 100.0),
    "limits.max_bytes": (1024, 2**30),
    "limits.connect_timeout": (0.01, 3600),
    "limits.read_timeout": (0.01, 3600),
    "limits.deadline": (0.01, 3600),  # nan or 0 would disable (or trip) the fetch deadline
    "limits.post_interval": (0, 3600),
    "limits.retry_backoff": (0.01, DAY),
    "limits.hold_retry": (1, 7 * DAY),
    "limits.max_redirects": (1, 30),
    "limits.concurrency": (1, 1024),
    "limits.per_host": (1, 256),
    "limits.max_failures": (1, 10_000),
    "limits.flood": (1, 10_000),
    "limits.max_attempts": (1, 1000),
    "limits.thread_cap": (1, 10_000),
}
_KIND_BOUNDS = {"seconds": (0.001, 7 * DAY), "count": (1, 10**6), "fraction": (0.0, 1.0)}
_TOKEN_VALUE = re.compile(r"^xox[abpre]-|^xapp-")
_SECRET_KEY = re.compile(r"token|secret|password", re.IGNORECASE)
_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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


# ---------------------------------------------------------------- conversions


class DurationRange(ValueError):
    """A well-formed duration longer than `MAX_DURATION`."""


def parse_duration(text: str) -> timedelta:
    """'30s', '5m', '1h', '2d', '1w' -> timedelta; ValueError with the accepted forms.

    At most `MAX_DURATION` (100 years): a longer one is a typo, and past timedelta's range."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f'"{text}" is not a duration; write it like "30s", "15m", "1h" or "7d"')
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not seconds <= MAX_DURATION.total_seconds():  # also catches inf from "9" * 400
        raise DurationRange(f'"{text}" is longer than {MAX_DURATION.days} days')
    return timedelta(seconds=seconds)


def parse_size(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f'"{value}" is not a size; write it like "15MiB", "512KiB" or 1048576')
    size = float(match.group(1)) * _SIZES[(match.group(2) or "b").lower()]
    if not math.isfinite(size) or size >= 2**62:
        raise ValueError(f'"{value}" is far too large a size; write it like "15MiB"')
    return int(size)


def _span(seconds: float) -> str:
    """Seconds as the config writes them: 86400 -> "1d", 90 -> "90s", 0.5 -> "0.5s"."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _bytes(size: float) -> str:
    for unit in ("GiB", "MiB", "KiB"):
        scale = _SIZES[unit.lower()]
        if size >= scale and size % scale == 0:
            return f"{size / scale:g}{unit}"
    return f"{size:g}B"


def _timezone(name: str) -> str:
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder: OSError
        raise ValueError(
            f'"{name}" is not a time zone; use an IANA name such as "Europe/London" or "UTC"'
        ) from None


def _clock(text: str) -> time:
    match = _CLOCK.match(str(text))
    if not match:
        raise ValueError(f'"{text}" is not a time of day; write it as "HH:MM", e.g. "08:30"')
    return time(int(match.group(1)), int(match.group(2)))


# ---------------------------------------------------------------- loading


def _one_line(text: str) -> str:
    """A value quoted in a message, with newlines and other controls shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class _Reader:
    """Reads one TOML document, turning each problem into a ConfigError that names the spot."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.label = str(path) if path else "built-in default config"

    def fail(self, where: str, problem: str, fix: str, line: int | None = None) -> ConfigError:
        spot = f"{self.label}, line {line}" if line else self.label
        return ConfigError(f"{spot}: `{_one_line(where)}`: {_one_line(problem)}", hint=fix)

    def line_of(self, key: str, table: str | None = None, index: int = 0) -> int | None:
        """Best-effort line number of `key` (in the index-th [[table]] when given)."""
        start, seen = 0, -1
        if table:
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
            for number, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    if seen == index:
                        start = number
                        break
            else:
                return None
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, len(self.lines)):
            if pattern.match(self.lines[number]):
                return number + 1
            if number > start and table and self.lines[number].lstrip().startswith("["):
                break
        return start + 1 if table else None

    def check_keys(
        self,
        data: Mapping[str, Any],
        allowed: set[str],
        where: str,
        table: str | None = None,
        index: int = 0,
    ) -> None:
        for key, value in data.items():
            if _SECRET_KEY.search(key) or (isinstance(value, str) and _TOKEN_VALUE.match(value)):
                raise self.fail(
                    f"{where}{key}",
                    "a secret is written into the config file",
                    "remove it; set SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET / SLACK_APP_TOKEN in "
                    "the environment or name a secrets file with SLACK_BOT_TOKEN_FILE etc.",
                    self.line_of(key, table, index),
                )
            if key not in allowed:
                guess = process.extractOne(key, sorted(allowed), score_cutoff=60)
                fix = f'did you mean "{guess[0]}"?' if guess else "remove it"
                raise self.fail(
                    f"{where}{key}",
                    "unknown key",
                    fix + f" (known keys: {', '.join(sorted(allowed))})",
                    self.line_of(key, table, index),
                )

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        default: Any = None,
        table: str | None = None,
        index: int = 0,
        convert: Callable[[Any], Any] | None = None,
        required: bool = False,
    ) -> Any:
        if key not in data:
            if required:
                raise self.fail(
                    f"{where}{key}",
                    "is missing",
                    f"add `{key} = …` to this entry",
                    self.line_of(key, table, index),
                )
            return default
        value = data[key]
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(
                f"{where}{key}",
                f"{value} is not a finite number",
                "write a plain number such as 0.5 or 30",
                self.line_of(key, table, index),
            )
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.fail(
                f"{where}{key}",
                f"expected {names}, got {type(value).__name__} {value!r}",
                "fix the value's type",
                self.line_of(key, table, index),
            )
        if convert is None:
            return value
        try:
            return convert(value)
        except ValueError as exc:
            problem = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise self.fail(
                f"{where}{key}", problem, "fix the value", self.line_of(key, table, index)
            ) from None

    def bounded(
        self,
        value: float,
        name: str,
        kind: str,
        table: str | None = None,
        index: int = 0,
        show: Callable[[float], str] = lambda v: f"{v:g}",
    ) -> float:
        """`value` if it is finite and within `BOUNDS[name]` (or its kind's bounds)."""
        key = re.sub(r"\[\d+\]", "", name)
        low, high = BOUNDS.get(key, _KIND_BOUNDS[kind])
        if not math.isfinite(value) or not low <= value <= high:
            raise self.fail(
                name,
                f"{show(value)} is outside the sane range {show(low)} to {show(high)}",
                f"use a value between {show(low)} and {show(high)}",
                self.line_of(name.rsplit(".", 1)[-1], table, index),
            )
        return value

    def strings(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        table: str | None = None,
        index: int = 0,
    ) -> tuple[str, ...]:
        """A list of strings (empty when the key is absent)."""
        items = self.get(data, key, list, where, [], table, index)
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(
                    f"{where}{key}",
                    f"{item!r} is not a non-empty string",
                    f'write it as a list of quoted names, e.g. {key} = ["a", "b"]',
                    self.line_of(key, table, index),
                )
        return tuple(items)

    def table_entry(self, entry: Any, where: str, kind: str) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise self.fail(
                where.rstrip("."),
                f"expected a table, got {type(entry).__name__} {entry!r}",
                f"write each entry as [[{kind}]] followed by its keys (see config/hubnews.toml)",
                self.line_of(kind),
            )
        return entry


_TOP = {
    "database",
    "admins",
    "alert_max_age",
    "retention",
    "taxonomy",
    "limits",
    "dedup",
    "feeds",
    "routes",
    "tag_thresholds",
    "feedback",
    "log_format",
    "slack_api_url",
    "admin_channel",
}
_FEED = {"name", "url", "interval", "enabled"}
_ROUTE = {
    "channel",
    "tags",
    "min_score",
    "sources",
    "exclude_sources",
    "mode",
    "at",
    "timezone",
    "quiet_hours",
    "snooze",
}
_LIMITS = {
    "max_bytes",
    "connect_timeout",
    "read_timeout",
    "deadline",
    "max_redirects",
    "concurrency",
    "per_host",
    "max_failures",
    "flood",
    "allow_private",
    "post_interval",
    "retry_backoff",
    "max_attempts",
    "hold_retry",
    "thread_cap",
    "alerts_per_feed",
    "alerts_per_cycle",
    "first_poll_alerts",
}


def default_path() -> Path | None:
    """The config used when none is named: $HUBNEWS_CONFIG, then ./config/hubnews.toml."""
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    local = Path("config/hubnews.toml")
    return local if local.is_file() else None


def load(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read, validate and freeze the config (the bundled default when `path` is None)."""
    env = os.environ if environ is None else environ
    if path is None:
        text, source = (BUNDLED / "hubnews.toml").read_text(encoding="utf-8"), None
    else:
        source = Path(path).expanduser().resolve()
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"{path}: config file not found",
                hint="check the path, or run without --config for the built-in default",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path}: cannot read the config file: {exc}",
                hint="check its permissions and that it is UTF-8 text",
            ) from None
    reader = _Reader(source, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{reader.label}: not valid TOML: {exc}",
            hint="fix the syntax at that line (strings need quotes, tables "
            "look like [limits] and lists of tables like [[feeds]])",
        ) from None
    return _build(reader, data, env)


def _build(reader: _Reader, data: dict[str, Any], env: Mapping[str, str]) -> Config:
    reader.check_keys(data, _TOP, "")
    base = reader.path.parent if reader.path else Path.cwd()

    def resolve(value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (base / candidate)

    def duration(key: str, default: timedelta) -> timedelta:
        value = reader.get(data, key, str, "", default=default, convert=parse_duration)
        reader.bounded(value.total_seconds(), key, "seconds", show=_span)
        return value

    feeds = _feeds(reader, data.get("feeds", []), resolve)
    taxonomy = reader.get(data, "taxonomy", str, "", convert=_nonempty(resolve))
    tags = _taxonomy_tags(reader, taxonomy)
    routes = _routes(reader, data.get("routes", []), tags)
    limits = _limits(reader, data.get("limits", {}))
    dedup = _dedup(reader, data.get("dedup", {}))
    thresholds = reader.get(data, "tag_thresholds", dict, "", default={})
    for tag, value in thresholds.items():
        line = reader.line_of(tag, "tag_thresholds")
        if tag.lower() not in tags:
            raise reader.fail(f"tag_thresholds.{tag}", *_unknown_tag(tag, tags), line)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise reader.fail(
                f"tag_thresholds.{tag}",
                f"{value!r} is not a number in 0..1",
                "write e.g. ai = 0.5",
                line,
            )
    log_format = reader.get(data, "log_format", str, "", default="text")
    if log_format not in {"text", "json"}:
        raise reader.fail(
            "log_format",
            f'"{log_format}" is not a log format',
            'use "text" or "json"',
            reader.line_of("log_format"),
        )
    admins = reader.strings(data, "admins", "")
    slack_api_url = reader.get(data, "slack_api_url", str, "", default="https://slack.com/api/")
    if not slack_api_url.startswith(("http://", "https://")):
        raise reader.fail(
            "slack_api_url",
            f'"{slack_api_url}" is not an http(s) URL',
            'remove it (the default is "https://slack.com/api/")',
            reader.line_of("slack_api_url"),
        )
    secrets, warnings = _secrets(env)
    return Config(
        path=reader.path,
        database=database_target(env[ENV_DB], lambda v: Path(v).expanduser())
        if env.get(ENV_DB)
        else reader.get(
            data,
            "database",
            str,
            "",
            default=resolve("hubnews.db"),
            convert=_nonempty(lambda v: database_target(v, resolve)),
        ),
        feeds=feeds,
        routes=routes,
        admins=admins,
        admin_channel=_admin_channel(reader, data),
        alert_max_age=duration("alert_max_age", timedelta(hours=48)),
        retention=duration("retention", timedelta(days=180)),
        taxonomy=taxonomy,
        limits=limits,
        dedup=dedup,
        tag_thresholds=dict(thresholds),
        feedback=_feedback(reader, data.get("feedback", {})),
        log_format=log_format,
        slack_api_url=env.get("SLACK_API_URL") or slack_api_url,
        secrets=secrets,
        warnings=tuple(warnings),
    )


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.lower().startswith(PG_SCHEMES)


def shown_database(target: Path | str) -> str:
    """The database for messages: a URL's password replaced by ***."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    return urlunsplit(
        parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    )


def database_target(value: str, resolve: Callable[[str], Path]) -> Path | str:
    """A PostgreSQL URL as written, anything else a SQLite file path."""
    return value.strip() if is_postgres_url(value.strip()) else resolve(value)


def _nonempty(convert: Callable[[str], _T]) -> Callable[[str], _T]:
    def check(value: str) -> _T:
        if not value.strip():
            raise ValueError("is empty; write a file path or a postgresql:// URL")
        return convert(value)

    return check


def _taxonomy_tags(reader: _Reader, path: Path | None) -> frozenset[str]:
    """The tag ids routes and thresholds may name (the taxonomy's, lower-cased)."""
    from bot.classify import load_taxonomy

    try:
        return frozenset(tag.lower() for tag in load_taxonomy(path).tags)
    except ConfigError as exc:  # the taxonomy's own error, said from the config's side
        raise reader.fail(
            "taxonomy",
            exc.message.replace("\n", " "),
            exc.hint or "point it at a valid taxonomy file or remove the key",
            reader.line_of("taxonomy"),
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise reader.fail(
            "taxonomy",
            f"cannot load the taxonomy {path}: {exc}",
            "point it at a valid taxonomy file or remove the key for the bundled one",
            reader.line_of("taxonomy"),
        ) from None


def _unknown_tag(tag: object, tags: frozenset[str]) -> tuple[str, str]:
    guess = process.extractOne(str(tag).lower(), sorted(tags), score_cutoff=60)
    close = f'did you mean "{guess[0]}"? ' if guess else ""
    return (
        f'"{tag}" is not a tag in the taxonomy',
        f"{close}known tags: {', '.join(sorted(tags))}",
    )


def _admin_channel(reader: _Reader, data: dict[str, Any]) -> str | None:
    channel = reader.get(data, "admin_channel", str, "", default=None)
    if channel is not None and not _CHANNEL.match(channel):
        raise reader.fail(
            "admin_channel",
            f'"{channel}" is not a channel id or #name',
            'use the channel id (e.g. "C0123ABCD") or "#name"',
            reader.line_of("admin_channel"),
        )
    return channel


def _feeds(reader: _Reader, raw: Any, resolve: Callable[[str], Path]) -> tuple[Feed, ...]:
    if not isinstance(raw, list):
        raise reader.fail(
            "feeds",
            "must be a list of tables",
            "write each feed as [[feeds]]",
            reader.line_of("feeds"),
        )
    feeds: list[Feed] = []
    names: set[str] = set()
    for index, item in enumerate(raw):
        where = f"feeds[{index}]."
        entry = reader.table_entry(item, where, "feeds")
        reader.check_keys(entry, _FEED, where, "feeds", index)
        url = reader.get(entry, "url", str, where, table="feeds", index=index, required=True)
        if not url.strip():
            raise reader.fail(
                f"{where}url",
                "is empty",
                "write the feed's http(s) URL or a file path",
                reader.line_of("url", "feeds", index),
            )
        name = reader.get(entry, "name", str, where, default="", table="feeds", index=index)
        if not url.startswith(("http://", "https://")):
            if "://" in url:
                raise reader.fail(
                    f"{where}url",
                    f'"{url}" is neither http(s) nor a local path',
                    "use an http:// or https:// URL, or a file path",
                    reader.line_of("url", "feeds", index),
                )
            url = str(resolve(url))
        name = name or url
        if name in names:
            raise reader.fail(
                f"{where}name",
                f'feed name "{name}" is used twice',
                "give every feed its own name",
                reader.line_of("name", "feeds", index),
            )
        names.add(name)
        interval = reader.get(
            entry,
            "interval",
            str,
            where,
            default=timedelta(minutes=15),
            table="feeds",
            index=index,
            convert=parse_duration,
        )
        reader.bounded(
            interval.total_seconds(), f"{where}interval", "seconds", "feeds", index, _span
        )
        enabled = reader.get(
            entry, "enabled", bool, where, default=True, table="feeds", index=index
        )
        feeds.append(Feed(name=name, url=url, interval=interval, enabled=enabled))
    return tuple(feeds)


def _routes(reader: _Reader, raw: Any, known_tags: frozenset[str]) -> tuple[Route, ...]:
    if not isinstance(raw, list):
        raise reader.fail(
            "routes",
            "must be a list of tables",
            "write each route as [[routes]]",
            reader.line_of("routes"),
        )
    routes: list[Route] = []
    for index, item in enumerate(raw):
        where = f"routes[{index}]."
        entry = reader.table_entry(item, where, "routes")

        def get(
            key: str,
            kind: Any,
            default: Any = None,
            convert: Any = None,
            required: bool = False,
            _e: Any = entry,
            _w: str = where,
            _i: int = index,
        ) -> Any:
            return reader.get(_e, key, kind, _w, default, "routes", _i, convert, required)

        reader.check_keys(entry, _ROUTE, where, "routes", index)
        channel = get("channel", str, required=True)
        if not _CHANNEL.match(channel):
            raise reader.fail(
                f"{where}channel",
                f'"{channel}" is not a channel id or #name',
                'use the channel id (e.g. "C0123ABCD") or "#name"',
                reader.line_of("channel", "routes", index),
            )
        snooze = get("snooze", str, "admins")
        if snooze not in {"admins", "members"}:
            raise reader.fail(
                f"{where}snooze",
                f'"{snooze}" is not who may snooze',
                'use "admins" (the default) or "members"',
                reader.line_of("snooze", "routes", index),
            )
        mode = get("mode", str, "realtime")
        if mode not in {"realtime", "digest"}:
            raise reader.fail(
                f"{where}mode",
                f'"{mode}" is not a mode',
                'use "realtime" or "digest"',
                reader.line_of("mode", "routes", index),
            )
        min_score = get("min_score", (int, float), 0.0)
        if not 0 <= min_score <= 1:
            raise reader.fail(
                f"{where}min_score",
                f"{min_score} is outside 0..1",
                "use a number between 0 and 1",
                reader.line_of("min_score", "routes", index),
            )
        tags = reader.strings(entry, "tags", where, "routes", index)
        for tag in tags:
            if tag.lower() not in known_tags:
                line = reader.line_of("tags", "routes", index)
                raise reader.fail(f"{where}tags", *_unknown_tag(tag, known_tags), line)
        routes.append(
            Route(
                channel=channel,
                tags=tags,
                min_score=float(min_score),
                sources=reader.strings(entry, "sources", where, "routes", index),
                exclude_sources=reader.strings(entry, "exclude_sources", where, "routes", index),
                mode=mode,
                at=get("at", str, time(8, 30), _clock),
                timezone=get("timezone", str, "UTC", _timezone),
                quiet_hours=get("quiet_hours", str, None, _quiet_hours),
                snooze=snooze,
            )
        )
    return tuple(routes)


def _quiet_hours(text: str) -> tuple[time, time]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f'"{text}" is not a span; write it like "22:00-07:00"')
    return _clock(start.strip()), _clock(end.strip())


def _limits(reader: _Reader, raw: Any) -> Limits:
    if not isinstance(raw, dict):
        raise reader.fail(
            "limits", "must be a table", "write it as [limits]", reader.line_of("limits")
        )
    reader.check_keys(raw, _LIMITS, "limits.", "limits")
    defaults = Limits()

    def seconds(key: str) -> float:
        value = reader.get(
            raw,
            key,
            (str, int, float),
            "limits.",
            getattr(defaults, key),
            "limits",
            0,
            lambda v: v if isinstance(v, int | float) else parse_duration(v).total_seconds(),
        )
        return reader.bounded(float(value), f"limits.{key}", "seconds", "limits", 0, _span)

    def count(key: str) -> int:
        value = reader.get(raw, key, int, "limits.", getattr(defaults, key), "limits")
        return int(reader.bounded(value, f"limits.{key}", "count", "limits"))

    def size(key: str) -> int:
        value = reader.get(
            raw, key, (str, int), "limits.", getattr(defaults, key), "limits", 0, parse_size
        )
        return int(reader.bounded(value, f"limits.{key}", "count", "limits", 0, _bytes))

    return Limits(
        max_bytes=size("max_bytes"),
        connect_timeout=seconds("connect_timeout"),
        read_timeout=seconds("read_timeout"),
        deadline=seconds("deadline"),
        max_redirects=count("max_redirects"),
        concurrency=count("concurrency"),
        per_host=count("per_host"),
        max_failures=count("max_failures"),
        flood=count("flood"),
        post_interval=seconds("post_interval"),
        retry_backoff=seconds("retry_backoff"),
        max_attempts=count("max_attempts"),
        hold_retry=seconds("hold_retry"),
        thread_cap=count("thread_cap"),
        alerts_per_feed=count("alerts_per_feed"),
        alerts_per_cycle=count("alerts_per_cycle"),
        first_poll_alerts=_at_least_zero(reader, raw, "first_poll_alerts"),
        allow_private=reader.strings(raw, "allow_private", "limits.", "limits"),
    )


def _at_least_zero(reader: _Reader, raw: dict[str, Any], key: str) -> int:
    value = reader.get(raw, key, int, "limits.", getattr(Limits(), key), "limits")
    if value < 0:
        raise reader.fail(
            f"limits.{key}", f"{value} is negative", "use 0 or more", reader.line_of(key, "limits")
        )
    return int(value)


def _dedup(reader: _Reader, raw: Any) -> Dedup:
    if not isinstance(raw, dict):
        raise reader.fail(
            "dedup", "must be a table", "write it as [dedup]", reader.line_of("dedup")
        )
    window = reader.get(
        raw, "window", str, "dedup.", timedelta(days=30), "dedup", 0, parse_duration
    )
    reader.bounded(window.total_seconds(), "dedup.window", "seconds", "dedup", 0, _span)
    thresholds = {k: v for k, v in raw.items() if k != "window"}
    known = set(DEFAULT_THRESHOLDS) | set(RULES)  # the judge's and the verifier's
    reader.check_keys(thresholds, known, "dedup.", "dedup")
    for key, value in thresholds.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise reader.fail(
                f"dedup.{key}",
                f"{value!r} is not a number",
                "thresholds are numbers, e.g. containment = 0.6",
                reader.line_of(key, "dedup"),
            )
        kind = "count" if f"dedup.{key}" in BOUNDS else "fraction"
        reader.bounded(value, f"dedup.{key}", kind, "dedup")
    return Dedup(window=window, thresholds=thresholds)


def _feedback(reader: _Reader, raw: Any) -> Policy:
    """`[feedback]`: how the 👍/👎 votes raise a channel's tag thresholds (bot.tuning)."""
    if not isinstance(raw, dict):
        raise reader.fail(
            "feedback", "must be a table", "write it as [feedback]", reader.line_of("feedback")
        )
    reader.check_keys(raw, {"min_votes", "max_raise", "miss_cost"}, "feedback.", "feedback")
    default = Policy()
    values: dict[str, float] = {}
    for key, kind, typed in (
        ("min_votes", "count", int),
        ("max_raise", "fraction", (int, float)),
        ("miss_cost", "count", (int, float)),
    ):
        value = reader.get(raw, key, typed, "feedback.", getattr(default, key), "feedback")
        values[key] = reader.bounded(value, f"feedback.{key}", kind, "feedback")
    return Policy(int(values["min_votes"]), float(values["max_raise"]), float(values["miss_cost"]))


def _secrets(env: Mapping[str, str]) -> tuple[Secrets, list[str]]:
    values: dict[str, str | None] = {}
    warnings: list[str] = []
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        value = env.get(name) or None
        file_name = env.get(f"{name}_FILE")
        if value is None and file_name:
            secret_file = Path(file_name)
            try:
                value = secret_file.read_text(encoding="utf-8").strip() or None
                mode = secret_file.stat().st_mode
            except OSError as exc:
                raise ConfigError(
                    f"{name}_FILE={file_name}: cannot read the secrets file: {exc.strerror}",
                    hint="check the path and its permissions",
                ) from None
            if mode & (stat.S_IRGRP | stat.S_IROTH):
                warnings.append(
                    f"{file_name} ({name}_FILE) is readable by other users; "
                    f"run: chmod 600 {file_name}"
                )
        values[name] = value
    return Secrets(
        values["SLACK_BOT_TOKEN"], values["SLACK_SIGNING_SECRET"], values["SLACK_APP_TOKEN"]
    ), warnings
