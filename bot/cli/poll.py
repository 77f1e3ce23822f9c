"""`hubnews poll --once`: one cycle, reported per feed or as the JSON-lines contract."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot import config
from bot.cli.common import FAILED, OK, err, load_config, out, safe
from bot.errors import ConfigError
from bot.pipeline import Outcome, Pipeline, Processed
from bot.store import StoreAPI, is_postgres_url, open_store
from bot.store.sqlite.db import MEMORY

# ---------------------------------------------------------------- poll


def cmd_poll(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    feeds = _feeds(cfg, args.feed)
    if not feeds:
        raise ConfigError(
            "no feeds to poll", hint="add [[feeds]] to the config or pass --feed URL_OR_PATH"
        )
    store = poll_store(cfg.database, dry_run=args.dry_run)
    pipeline = Pipeline(cfg, store, dry_run=args.dry_run, report_known=True)
    failed = 0
    try:
        with _progress(len(feeds)) as advance:
            for outcome in pipeline.poll(feeds, progress=advance):
                failed += report_outcome(outcome, args.json)
    finally:
        pipeline.close()
        store.close()
    return FAILED if failed else OK


def poll_store(database: Path | str, *, dry_run: bool) -> StoreAPI:
    """The store to poll into. A dry run never creates or changes a file: it reads an existing
    database read-only (to dedup against what it holds) or, when there is none, works in memory.
    """
    if not dry_run:
        return open_store(database)
    if is_postgres_url(database):
        return open_store(database, read_only=True)
    if not Path(database).exists():
        return open_store(MEMORY)
    return open_store(database, read_only=True)


def _feeds(cfg: config.Config, given: list[str]) -> list[config.Feed]:
    if not given:
        return [feed for feed in cfg.feeds if feed.enabled]
    known = {feed.url: feed for feed in cfg.feeds}
    chosen = []
    for item in given:
        url = item if item.startswith(("http://", "https://")) else str(Path(item).resolve())
        chosen.append(known.get(url) or config.Feed(name=item, url=url))
    return chosen


def report_outcome(outcome: Outcome, as_json: bool) -> int:
    name = outcome.feed.name
    if outcome.error:
        err.print(
            f"[red]feed {safe(name)} failed:[/] {safe(outcome.error.message)}"
            + (f" — {safe(outcome.error.hint)}" if outcome.error.hint else "")
        )
        return 1
    if outcome.problem:
        err.print(f"[yellow]feed {safe(name)} parsed with a problem:[/] {safe(outcome.problem)}")
    if as_json:
        for processed in outcome.stories:
            sys.stdout.write(json.dumps(story_json(processed), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        copies = sum(1 for p in outcome.new if p.story.duplicate)
        alerts = sum(len(p.channels) for p in outcome.new)
        state = (
            "not modified"
            if outcome.not_modified
            else (
                f"{len(outcome.stories)} items, {len(outcome.new)} new, {copies} copies, "
                f"{alerts} alerts"
            )
        )
        out.print(f"[bold]{safe(name)}[/]: {state}")
    return 0


def story_json(processed: Processed) -> dict[str, Any]:
    """The `poll --json` contract (DESIGN.md), plus extra fields."""
    story = processed.story
    record: dict[str, Any] = {
        "key": story.key,
        "url": story.url,
        "title": story.title,
        "source": story.source.title,
        "published": story.published.strftime("%Y-%m-%dT%H:%M:%SZ") if story.published else None,
        "duplicate_of": story.duplicate_of,
        "tags": story.tag_ids,
        "summary": story.summary,
        "channels": list(processed.channels),
        "domain": story.source.domain,
        "feed": story.source.feed,
        "regions": list(story.regions),
        "new": processed.new,
    }
    if story.duplicate:
        match = story.duplicate
        record["duplicate"] = {
            "kind": match.kind,
            "scores": dict(match.scores),
            "thresholds": dict(match.thresholds),
            "reason": match.reason,
        }
    if processed.held:
        record["held"] = processed.held
    return record


class _Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if err.is_terminal and self.total > 1:
            from rich.progress import Progress

            self.bar = Progress(console=err, transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task("polling feeds", total=self.total)
        return self.advance

    def advance(self, _outcome: Outcome) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _progress(total: int) -> _Progress:
    return _Progress(total)
