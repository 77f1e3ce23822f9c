"""Load `config/hubnews.toml` once into a frozen `Config`, or fail with one clear message.

`load(path)` reads TOML with tomllib, checks every key, resolves relative paths against the
config file's folder, reads Slack secrets from the environment (or `*_FILE` secrets files) and
returns a `Config`. Every problem becomes a `ConfigError` naming the file, the key, the line
where it can be found, and the fix. Nothing else in hubnews reads the file or `SLACK_*`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from bot.config_model import Config, Dedup, Feed, Limits, Route, Secrets, redacted
from bot.config_reader import Reader
from bot.config_sections import (
    read_admin_channel,
    read_dedup,
    read_feedback,
    read_feeds,
    read_limits,
    read_routes,
    read_secrets,
    taxonomy_tags,
    unknown_tag,
)
from bot.config_values import MAX_DURATION, DurationRange, parse_duration, parse_size, span
from bot.errors import ConfigError

__all__ = [
    "BUNDLED",
    "ENV_CONFIG",
    "ENV_DB",
    "MAX_DURATION",
    "Config",
    "Dedup",
    "DurationRange",
    "Feed",
    "Limits",
    "Route",
    "Secrets",
    "database_target",
    "default_path",
    "is_postgres_url",
    "load",
    "parse_duration",
    "parse_size",
    "redacted",
    "shown_database",
]

BUNDLED = resources.files("bot._config")
ENV_CONFIG = "HUBNEWS_CONFIG"  # the config file to use when --config is not given
ENV_DB = "HUBNEWS_DB"  # overrides `database` (containers put it on the /data volume)
PG_SCHEMES = ("postgresql://", "postgres://")  # `database` as a URL: the PostgreSQL store
_T = TypeVar("_T")
TOP_KEYS = {
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
    reader = Reader(source, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{reader.label}: not valid TOML: {exc}",
            hint="fix the syntax at that line (strings need quotes, tables "
            "look like [limits] and lists of tables like [[feeds]])",
        ) from None
    return _build(reader, data, env)


def _build(reader: Reader, data: dict[str, Any], env: Mapping[str, str]) -> Config:
    reader.check_keys(data, TOP_KEYS, "")
    base = reader.path.parent if reader.path else Path.cwd()

    def resolve(value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (base / candidate)

    def duration(key: str, default: timedelta) -> timedelta:
        value = reader.get(data, key, str, "", default=default, convert=parse_duration)
        reader.bounded(value.total_seconds(), key, "seconds", show=span)
        return value

    feeds = read_feeds(reader, data.get("feeds", []), resolve)
    taxonomy = reader.get(data, "taxonomy", str, "", convert=_nonempty(resolve))
    tags = taxonomy_tags(reader, taxonomy)
    routes = read_routes(reader, data.get("routes", []), tags)
    limits = read_limits(reader, data.get("limits", {}))
    dedup = read_dedup(reader, data.get("dedup", {}))
    thresholds = reader.get(data, "tag_thresholds", dict, "", default={})
    for tag, value in thresholds.items():
        line = reader.line_of(tag, "tag_thresholds")
        if tag.lower() not in tags:
            raise reader.fail(f"tag_thresholds.{tag}", *unknown_tag(tag, tags), line)
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
    secrets, warnings = read_secrets(env)
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
        admin_channel=read_admin_channel(reader, data),
        alert_max_age=duration("alert_max_age", timedelta(hours=48)),
        retention=duration("retention", timedelta(days=180)),
        taxonomy=taxonomy,
        limits=limits,
        dedup=dedup,
        tag_thresholds=dict(thresholds),
        feedback=read_feedback(reader, data.get("feedback", {})),
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
