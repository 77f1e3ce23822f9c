"""Load `config/hubnews.toml` once into a frozen `Config`, or fail with one clear message.

`load(path)` reads TOML with tomllib, checks every key, resolves relative paths against the
config file's folder, reads Slack secrets from the environment (or `*_FILE` secrets files) and
returns a `Config`. Every problem becomes a `ConfigError` naming the file, the key, the line
where it can be found, and the fix. Nothing else in hubnews reads the file or `SLACK_*`.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import process

from bot.dedup_judge import DEFAULT_THRESHOLDS
from bot.errors import ConfigError

BUNDLED = resources.files("bot._config")
ENV_CONFIG = "HUBNEWS_CONFIG"  # the config file to use when --config is not given
ENV_DB = "HUBNEWS_DB"  # overrides `database` (containers put it on the /data volume)

MAX_DURATION = timedelta(days=36525)  # 100 years
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$", re.IGNORECASE)
_SIZES = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
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
    database: Path
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
    return int(float(match.group(1)) * _SIZES[(match.group(2) or "b").lower()])


def _clock(text: str) -> time:
    match = _CLOCK.match(str(text))
    if not match:
        raise ValueError(f'"{text}" is not a time of day; write it as "HH:MM", e.g. "08:30"')
    return time(int(match.group(1)), int(match.group(2)))


# ---------------------------------------------------------------- loading


class _Reader:
    """Reads one TOML document, turning each problem into a ConfigError that names the spot."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.label = str(path) if path else "built-in default config"

    def fail(self, where: str, problem: str, fix: str, line: int | None = None) -> ConfigError:
        spot = f"{self.label}, line {line}" if line else self.label
        return ConfigError(f"{spot}: `{where}`: {problem}", hint=fix)

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
        except (ValueError, ZoneInfoNotFoundError) as exc:
            problem = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise self.fail(
                f"{where}{key}", problem, "fix the value", self.line_of(key, table, index)
            ) from None


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

    feeds = _feeds(reader, data.get("feeds", []), resolve)
    routes = _routes(reader, data.get("routes", []))
    limits = _limits(reader, data.get("limits", {}))
    dedup = _dedup(reader, data.get("dedup", {}))
    taxonomy = reader.get(data, "taxonomy", str, "", convert=resolve)
    thresholds = reader.get(data, "tag_thresholds", dict, "", default={})
    for tag, value in thresholds.items():
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise reader.fail(
                f"tag_thresholds.{tag}",
                f"{value!r} is not a number in 0..1",
                "write e.g. ai = 0.5",
                reader.line_of(tag, "tag_thresholds"),
            )
    log_format = reader.get(data, "log_format", str, "", default="text")
    if log_format not in {"text", "json"}:
        raise reader.fail(
            "log_format",
            f'"{log_format}" is not a log format',
            'use "text" or "json"',
            reader.line_of("log_format"),
        )
    admins = reader.get(data, "admins", list, "", default=[])
    secrets, warnings = _secrets(env)
    return Config(
        path=reader.path,
        database=Path(env[ENV_DB]).expanduser()
        if env.get(ENV_DB)
        else reader.get(data, "database", str, "", default="hubnews.db", convert=resolve),
        feeds=feeds,
        routes=routes,
        admins=tuple(str(a) for a in admins),
        admin_channel=_admin_channel(reader, data),
        alert_max_age=reader.get(
            data, "alert_max_age", str, "", default=timedelta(hours=48), convert=parse_duration
        ),
        retention=reader.get(
            data, "retention", str, "", default=timedelta(days=180), convert=parse_duration
        ),
        taxonomy=taxonomy,
        limits=limits,
        dedup=dedup,
        tag_thresholds=dict(thresholds),
        log_format=log_format,
        slack_api_url=env.get("SLACK_API_URL")
        or reader.get(data, "slack_api_url", str, "", default="https://slack.com/api/"),
        secrets=secrets,
        warnings=tuple(warnings),
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
    for index, entry in enumerate(raw):
        where = f"feeds[{index}]."
        reader.check_keys(entry, _FEED, where, "feeds", index)
        url = reader.get(entry, "url", str, where, table="feeds", index=index, required=True)
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
        if interval < timedelta(seconds=1):
            raise reader.fail(
                f"{where}interval",
                "is shorter than one second",
                'poll politely, e.g. interval = "15m"',
                reader.line_of("interval", "feeds", index),
            )
        enabled = reader.get(
            entry, "enabled", bool, where, default=True, table="feeds", index=index
        )
        feeds.append(Feed(name=name, url=url, interval=interval, enabled=enabled))
    return tuple(feeds)


def _routes(reader: _Reader, raw: Any) -> tuple[Route, ...]:
    if not isinstance(raw, list):
        raise reader.fail(
            "routes",
            "must be a list of tables",
            "write each route as [[routes]]",
            reader.line_of("routes"),
        )
    routes: list[Route] = []
    for index, entry in enumerate(raw):
        where = f"routes[{index}]."

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
        routes.append(
            Route(
                channel=channel,
                tags=tuple(get("tags", list, [])),
                min_score=float(min_score),
                sources=tuple(get("sources", list, [])),
                exclude_sources=tuple(get("exclude_sources", list, [])),
                mode=mode,
                at=get("at", str, time(8, 30), _clock),
                timezone=get("timezone", str, "UTC", lambda z: ZoneInfo(z).key),
                quiet_hours=get("quiet_hours", str, None, _quiet_hours),
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
        return float(value)

    def count(key: str) -> int:
        value = reader.get(raw, key, int, "limits.", getattr(defaults, key), "limits")
        if value < 1:
            raise reader.fail(
                f"limits.{key}",
                f"{value} is less than 1",
                "use a positive number",
                reader.line_of(key, "limits"),
            )
        return int(value)

    return Limits(
        max_bytes=reader.get(
            raw, "max_bytes", (str, int), "limits.", defaults.max_bytes, "limits", 0, parse_size
        ),
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
        allow_private=tuple(reader.get(raw, "allow_private", list, "limits.", [], "limits")),
    )


def _dedup(reader: _Reader, raw: Any) -> Dedup:
    if not isinstance(raw, dict):
        raise reader.fail(
            "dedup", "must be a table", "write it as [dedup]", reader.line_of("dedup")
        )
    window = reader.get(
        raw, "window", str, "dedup.", timedelta(days=30), "dedup", 0, parse_duration
    )
    thresholds = {k: v for k, v in raw.items() if k != "window"}
    known = set(DEFAULT_THRESHOLDS)
    reader.check_keys(thresholds, known, "dedup.", "dedup")
    for key, value in thresholds.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise reader.fail(
                f"dedup.{key}",
                f"{value!r} is not a number",
                "thresholds are numbers, e.g. containment = 0.6",
                reader.line_of(key, "dedup"),
            )
    return Dedup(window=window, thresholds=thresholds)


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
