"""`Reader`: one TOML document read key by key, each problem a ConfigError that names the file,
the key, the line where it can be found, and the fix."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rapidfuzz import process

from bot.config_values import BOUNDS, KIND_BOUNDS
from bot.errors import ConfigError

_TOKEN_VALUE = re.compile(r"^xox[abpre]-|^xapp-")
_SECRET_KEY = re.compile(r"token|secret|password", re.IGNORECASE)


def one_line(text: str) -> str:
    """A value quoted in a message, with newlines and other controls shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class Reader:
    """Reads one TOML document, turning each problem into a ConfigError that names the spot."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.label = str(path) if path else "built-in default config"

    def fail(self, where: str, problem: str, fix: str, line: int | None = None) -> ConfigError:
        spot = f"{self.label}, line {line}" if line else self.label
        return ConfigError(f"{spot}: `{one_line(where)}`: {one_line(problem)}", hint=fix)

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
        low, high = BOUNDS.get(key, KIND_BOUNDS[kind])
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

    def table(self, raw: Any, name: str) -> dict[str, Any]:
        """A `[name]` table (its value when the key is absent is the caller's `{}`)."""
        if not isinstance(raw, dict):
            raise self.fail(name, "must be a table", f"write it as [{name}]", self.line_of(name))
        return raw

    def entries(self, raw: Any, name: str, noun: str) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """The `[[name]]` list of tables: (index, "name[index].", entry), each entry checked
        to be a table as it is reached."""
        if not isinstance(raw, list):
            raise self.fail(
                name,
                "must be a list of tables",
                f"write each {noun} as [[{name}]]",
                self.line_of(name),
            )
        for index, item in enumerate(raw):
            where = f"{name}[{index}]."
            yield index, where, self.table_entry(item, where, name)

    def table_entry(self, entry: Any, where: str, kind: str) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise self.fail(
                where.rstrip("."),
                f"expected a table, got {type(entry).__name__} {entry!r}",
                f"write each entry as [[{kind}]] followed by its keys (see config/hubnews.toml)",
                self.line_of(kind),
            )
        return entry
