"""The value forms a config file is written in: durations ("15m"), sizes ("15MiB"), times of
day ("08:30"), quiet hours ("22:00-07:00"), time zones, and the sane range of every number.

Each parser raises ValueError with the accepted forms; `bot.config_reader` turns that into a
ConfigError naming the file, key and line.
"""

from __future__ import annotations

import math
import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_DURATION = timedelta(days=36525)  # 100 years
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$", re.IGNORECASE)
_SIZES = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
DAY = 86400.0
# Sane bounds (lowest, highest) for every number in the file; durations in seconds, sizes in
# bytes. Keys not listed here fall back to the bounds of their kind (`KIND_BOUNDS`).
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
KIND_BOUNDS = {"seconds": (0.001, 7 * DAY), "count": (1, 10**6), "fraction": (0.0, 1.0)}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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


def span(seconds: float) -> str:
    """Seconds as the config writes them: 86400 -> "1d", 90 -> "90s", 0.5 -> "0.5s"."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def bytes_text(size: float) -> str:
    for unit in ("GiB", "MiB", "KiB"):
        scale = _SIZES[unit.lower()]
        if size >= scale and size % scale == 0:
            return f"{size / scale:g}{unit}"
    return f"{size:g}B"


def timezone_name(name: str) -> str:
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder: OSError
        raise ValueError(
            f'"{name}" is not a time zone; use an IANA name such as "Europe/London" or "UTC"'
        ) from None


def clock_time(text: str) -> time:
    match = _CLOCK.match(str(text))
    if not match:
        raise ValueError(f'"{text}" is not a time of day; write it as "HH:MM", e.g. "08:30"')
    return time(int(match.group(1)), int(match.group(2)))


def quiet_hours(text: str) -> tuple[time, time]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f'"{text}" is not a span; write it like "22:00-07:00"')
    return clock_time(start.strip()), clock_time(end.strip())
