"""The config file's sections, each read and checked into its part of `Config`:
`[[feeds]]`, `[[routes]]`, `[limits]`, `[dedup]`, `[feedback]`, `admin_channel`, the
taxonomy's tags, and the Slack secrets from the environment."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from rapidfuzz import process

from bot.config_model import Dedup, Feed, Limits, Route, Secrets
from bot.config_reader import Reader
from bot.config_values import (
    BOUNDS,
    bytes_text,
    clock_time,
    parse_duration,
    parse_size,
    quiet_hours,
    span,
    timezone_name,
)
from bot.dedup_judge import DEFAULT_THRESHOLDS
from bot.dedup_verify import RULES
from bot.errors import ConfigError
from bot.tuning import Policy

_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$")
FEED_KEYS = {"name", "url", "interval", "enabled"}
ROUTE_KEYS = {
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
LIMITS_KEYS = {
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


def taxonomy_tags(reader: Reader, path: Path | None) -> frozenset[str]:
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


def unknown_tag(tag: object, tags: frozenset[str]) -> tuple[str, str]:
    guess = process.extractOne(str(tag).lower(), sorted(tags), score_cutoff=60)
    close = f'did you mean "{guess[0]}"? ' if guess else ""
    return (
        f'"{tag}" is not a tag in the taxonomy',
        f"{close}known tags: {', '.join(sorted(tags))}",
    )


def read_admin_channel(reader: Reader, data: dict[str, Any]) -> str | None:
    channel = reader.get(data, "admin_channel", str, "", default=None)
    if channel is not None and not _CHANNEL.match(channel):
        raise reader.fail(
            "admin_channel",
            f'"{channel}" is not a channel id or #name',
            'use the channel id (e.g. "C0123ABCD") or "#name"',
            reader.line_of("admin_channel"),
        )
    return channel


def read_feeds(reader: Reader, raw: Any, resolve: Callable[[str], Path]) -> tuple[Feed, ...]:
    feeds: list[Feed] = []
    names: set[str] = set()
    for index, where, entry in reader.entries(raw, "feeds", "feed"):
        reader.check_keys(entry, FEED_KEYS, where, "feeds", index)
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
            interval.total_seconds(), f"{where}interval", "seconds", "feeds", index, span
        )
        enabled = reader.get(
            entry, "enabled", bool, where, default=True, table="feeds", index=index
        )
        feeds.append(Feed(name=name, url=url, interval=interval, enabled=enabled))
    return tuple(feeds)


def read_routes(reader: Reader, raw: Any, known_tags: frozenset[str]) -> tuple[Route, ...]:
    routes: list[Route] = []
    for index, where, entry in reader.entries(raw, "routes", "route"):

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

        reader.check_keys(entry, ROUTE_KEYS, where, "routes", index)
        channel = get("channel", str, required=True)
        if not _CHANNEL.match(channel):
            raise reader.fail(
                f"{where}channel",
                f'"{channel}" is not a channel id or #name',
                'use the channel id (e.g. "C0123ABCD") or "#name"',
                reader.line_of("channel", "routes", index),
            )

        def one_of(
            key: str,
            allowed: tuple[str, ...],
            what: str,
            fix: str,
            _w: str = where,
            _i: int = index,
        ) -> str:
            value: str = get(key, str, allowed[0])
            if value not in allowed:
                line = reader.line_of(key, "routes", _i)
                raise reader.fail(f"{_w}{key}", f'"{value}" is not {what}', fix, line)
            return value

        snooze = one_of(
            "snooze",
            ("admins", "members"),
            "who may snooze",
            'use "admins" (the default) or "members"',
        )
        mode = one_of("mode", ("realtime", "digest"), "a mode", 'use "realtime" or "digest"')
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
                raise reader.fail(f"{where}tags", *unknown_tag(tag, known_tags), line)
        routes.append(
            Route(
                channel=channel,
                tags=tags,
                min_score=float(min_score),
                sources=reader.strings(entry, "sources", where, "routes", index),
                exclude_sources=reader.strings(entry, "exclude_sources", where, "routes", index),
                mode=mode,
                at=get("at", str, time(8, 30), clock_time),
                timezone=get("timezone", str, "UTC", timezone_name),
                quiet_hours=get("quiet_hours", str, None, quiet_hours),
                snooze=snooze,
            )
        )
    return tuple(routes)


def read_limits(reader: Reader, raw: Any) -> Limits:
    raw = reader.table(raw, "limits")
    reader.check_keys(raw, LIMITS_KEYS, "limits.", "limits")
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
        return reader.bounded(float(value), f"limits.{key}", "seconds", "limits", 0, span)

    def count(key: str) -> int:
        value = reader.get(raw, key, int, "limits.", getattr(defaults, key), "limits")
        return int(reader.bounded(value, f"limits.{key}", "count", "limits"))

    def size(key: str) -> int:
        value = reader.get(
            raw, key, (str, int), "limits.", getattr(defaults, key), "limits", 0, parse_size
        )
        return int(reader.bounded(value, f"limits.{key}", "count", "limits", 0, bytes_text))

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


def _at_least_zero(reader: Reader, raw: dict[str, Any], key: str) -> int:
    value = reader.get(raw, key, int, "limits.", getattr(Limits(), key), "limits")
    if value < 0:
        raise reader.fail(
            f"limits.{key}", f"{value} is negative", "use 0 or more", reader.line_of(key, "limits")
        )
    return int(value)


def read_dedup(reader: Reader, raw: Any) -> Dedup:
    raw = reader.table(raw, "dedup")
    window = reader.get(
        raw, "window", str, "dedup.", timedelta(days=30), "dedup", 0, parse_duration
    )
    reader.bounded(window.total_seconds(), "dedup.window", "seconds", "dedup", 0, span)
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


def read_feedback(reader: Reader, raw: Any) -> Policy:
    """`[feedback]`: how the 👍/👎 votes raise a channel's tag thresholds (bot.tuning)."""
    raw = reader.table(raw, "feedback")
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


def read_secrets(env: Mapping[str, str]) -> tuple[Secrets, list[str]]:
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
