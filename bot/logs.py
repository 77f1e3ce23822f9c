"""Logging: one line per event with fixed keys, text or JSON, secrets redacted in both.

One style: `log.info(kv(event="poll", feed=name, new=3))`. `kv` returns the text form
(`event=poll feed=scmp-tech new=3`, values quoted JSON-style when they hold spaces, quotes or
control characters) and carries the fields themselves, so the JSON formatter writes whole
values, never a re-parse of the text. Fields given as `extra={...}` are merged in the same way.
A plain message (`"event=x feed=%s"`) still works: when it is a clean `key=value` line its
fields are read back, otherwise it is kept whole as `message`.

Redaction runs on the fields and the message before either format renders them: a field whose
name says token/secret/password is replaced, and Slack tokens or `token=`/`signing_secret=`
pairs inside any value, message or traceback are cut. Operators read these lines; users read
the CLI's and Slack's messages instead.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import time
from typing import Any

REDACTED = "[redacted]"
_SECRET = re.compile(
    r"(xox[abpre]-|xapp-)[A-Za-z0-9-]+"
    r"|(?i:(\b\w*(?:token|secret|password)=))(\"(?:[^\"\\]|\\.)*\"|\S+)"
    r"|(?i:(bearer\s+))[A-Za-z0-9._~+/=-]+"
)
_SECRET_NAME = re.compile(r"token|secret|password|authorization|cookie", re.IGNORECASE)
_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)')
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def redact(text: str) -> str:
    """`text` with Slack tokens, `token=…`/`signing_secret=…` values and bearer tokens cut."""

    def cut(match: re.Match[str]) -> str:
        return (match.group(1) or match.group(2) or match.group(4)) + REDACTED

    return _SECRET.sub(cut, text)


def redact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if _SECRET_NAME.search(key) and value not in (None, ""):
            clean[key] = REDACTED
        elif value is None or isinstance(value, bool | int | float):
            clean[key] = value
        else:
            clean[key] = redact(str(value))
    return clean


class Event(str):
    """A log message in `key=value` form that keeps its fields for the JSON formatter."""

    fields: dict[str, Any]

    def __new__(cls, fields: dict[str, Any]) -> Event:
        event = super().__new__(cls, render(fields))
        event.fields = fields
        return event


def kv(**fields: object) -> Event:
    """One log line's fields: `log.info(kv(event="poll", feed=name, new=3))`."""
    return Event(dict(fields))


def render(fields: dict[str, Any]) -> str:
    return " ".join(f"{key}={_show(value)}" for key, value in fields.items())


def _show(value: object) -> str:
    text = "" if value is None else str(value)
    plain = text and text.isprintable() and not any(c.isspace() or c in '"=\\' for c in text)
    return text if plain else json.dumps(text, ensure_ascii=False)


def _parse(message: str) -> dict[str, Any] | None:
    """The fields of a clean `key=value …` line, or None when it is anything else."""
    fields: dict[str, Any] = {}
    position = 0
    for match in _PAIR.finditer(message):
        if match.start() != position:
            return None
        raw = match.group(2)
        try:
            fields[match.group(1)] = json.loads(raw) if raw.startswith('"') else raw
        except ValueError:
            return None
        position = match.end()
    return fields if fields and position == len(message) else None


def structured(record: logging.LogRecord) -> tuple[str | None, dict[str, Any]]:
    """(message, fields) of a record, both redacted; message is None when fields say it all."""
    message: str | None
    if isinstance(record.msg, Event) and not record.args:
        message, fields = None, dict(record.msg.fields)
    else:
        message = record.getMessage()
        parsed = _parse(message)
        message, fields = (None, parsed) if parsed is not None else (message, {})
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
    nested = extra.pop("fields", None)
    fields.update(nested if isinstance(nested, dict) else {})
    fields.update(extra)
    return (redact(message) if message is not None else None), redact_fields(fields)


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        message, fields = structured(record)
        body = " ".join(
            part
            for part in (_one_line(message) if message is not None else "", render(fields))
            if part
        )
        line = f"{stamp} {record.levelname.lower():7} {body}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message, fields = structured(record)
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        entry.update({k: _jsonable(v) for k, v in fields.items() if k not in entry})
        if message is not None:
            entry["message"] = message
        if record.exc_info:
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def _one_line(message: str) -> str:
    """A plain message on one line: control characters (a newline too) shown escaped."""
    return message if message.isprintable() else json.dumps(message, ensure_ascii=False)[1:-1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or Infinity
    return value if value is None or isinstance(value, str | bool | int | float) else str(value)


def formatter(fmt: str) -> logging.Formatter:
    return _Json() if fmt == "json" else _Text()


def setup(level: str = "warning", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "slack_bolt", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
