"""What every command shares: exit codes, the two consoles, loading the config."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot import config
from bot.text import for_terminal

OK, FAILED, USAGE = 0, 1, 2
# emoji=False: a feed title's ":warning:" is text, not an emoji code
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

EPILOG = (
    "exit codes: 0 success; 1 something failed (poll: at least one feed failed, each "
    "reported on stderr); 2 usage or configuration error"
)


def safe(text: object) -> str:
    """Third-party text (feeds, Slack, error messages quoting them) ready for `Console.print`:
    no escape sequences, control or bidi-override characters, and rich markup escaped."""
    return escape(for_terminal(text))


def load_config(args: argparse.Namespace) -> config.Config:
    """The config named by --config (or the default), with --db applied."""
    cfg = config.load(args.config or config.default_path())
    if getattr(args, "db", None):
        cfg = replace(
            cfg, database=config.database_target(args.db, lambda v: Path(v).expanduser().resolve())
        )
    return cfg


def span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
