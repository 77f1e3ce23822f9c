"""`hubnews demo`: a full cycle on the bundled samples, alerts printed as Slack shows them."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bot import config
from bot.cli.common import FAILED, OK, load_config, out, safe
from bot.cli.poll import report_outcome
from bot.cli.search import print_hits
from bot.pipeline import Outcome, Pipeline, Processed
from bot.query import parse_query
from bot.store import open_store
from bot.watching import Watching

# ---------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from bot import demo

    base = load_config(args)
    folder = None if args.db else tempfile.TemporaryDirectory(prefix="hubnews-demo-")
    database = Path(args.db) if args.db else Path(folder.name) / "demo.db"  # type: ignore[union-attr]
    try:
        with demo.serve() as url:
            cfg = demo.demo_config(url, database, base)
            out.print(
                f"[bold]hubnews demo[/] — {len(cfg.feeds)} bundled feeds served at {url}; "
                f"database {database}"
            )
            out.print(
                "[dim]No Slack token is set: alerts are printed here as they would read "
                f"in Slack. Items of any age are alerted in the demo (alert_max_age "
                f"{cfg.alert_max_age.days}d).[/]\n"
            )
            outcomes = _demo_poll(cfg)
        _demo_alerts(outcomes)
        _demo_watches(outcomes)
        store = open_store(database)
        try:
            out.rule("search: /hubnews Yizhuang")
            print_hits("Yizhuang", store.search(parse_query("Yizhuang")), [])
            out.print(
                f"\n[dim]{store.count_stories()} stories stored"
                + (
                    f" in {database}. Try: hubnews search --db {database} 'tag:ai'[/]"
                    if args.db
                    else " in a temporary database. To keep it: hubnews demo --db "
                    "demo.db, then hubnews search --db demo.db 'tag:ai'[/]"
                )
            )
        finally:
            store.close()
    finally:
        if folder:
            folder.cleanup()
    return FAILED if any(o.error for o in outcomes) else OK


DEMO_USER, DEMO_WATCH = "U0DEMO", "Yizhuang"  # the demo's one personal watch


def _demo_poll(cfg: config.Config) -> list[Outcome]:
    store = open_store(cfg.database)
    if not any(w.query == DEMO_WATCH for w in store.watches(DEMO_USER)):
        store.add_watch(DEMO_USER, DEMO_WATCH)  # as `/hubnews watch Yizhuang` would
    pipeline = Pipeline(cfg, store, report_known=True, watching=Watching(store))
    try:
        outcomes = list(pipeline.poll(cfg.feeds))
    finally:
        pipeline.close()
        store.close()
    for outcome in outcomes:
        report_outcome(outcome, as_json=False)
    return outcomes


def _demo_alerts(outcomes: list[Outcome]) -> None:
    """Each alert with the copies folded under it; copies of an original that was not
    alerted (stored only: no route matched) in a group of their own, never under an
    unrelated alert."""
    new = [processed for outcome in outcomes for processed in outcome.new]
    titles = {p.story.key: p.story.title for p in new}
    alerted = {p.story.key for p in new if p.channels and not p.story.duplicate}
    copies: dict[str, list[Processed]] = {}
    orphans: list[Processed] = []
    for processed in new:
        match = processed.story.duplicate
        if match is None:
            continue
        if match.original_key in alerted:
            copies.setdefault(match.original_key, []).append(processed)
        else:
            orphans.append(processed)
    for processed in new:
        if processed.story.key in alerted:
            print_alert(processed)
            for copy in copies.get(processed.story.key, []):
                _print_copy(copy, "thread reply under this alert")
    if orphans:
        out.rule("folded copies whose original was not alerted (stored, searchable)", align="left")
        for copy in orphans:
            assert copy.story.duplicate is not None
            original = titles.get(copy.story.duplicate.original_key)
            _print_copy(
                copy,
                f"copy of: {original}" if original else "copy of a story stored earlier",
            )


def _demo_watches(outcomes: list[Outcome]) -> None:
    """Each watch DM as it would read in Slack (the demo's user watches "Yizhuang")."""
    fired = [p for outcome in outcomes for p in outcome.new if p.watches]
    if not fired:
        return
    out.rule(f"watch DMs: /hubnews watch {DEMO_WATCH} (made for you, {DEMO_USER})", align="left")
    for processed in fired:
        story = processed.story
        ids = ", ".join(f"#{i}" for i in processed.watches)
        out.print(
            f"\n[bold]DM[/] [dim]Your watch {ids} “{DEMO_WATCH}” matched[/]\n"
            f"{safe(story.title)}\n[dim]{safe(story.source.title)} · {safe(story.url)}[/]"
        )


def _print_copy(processed: Processed, where: str) -> None:
    story = processed.story
    assert story.duplicate is not None
    out.print(
        f"\n[dim]↳ folded copy[/] {safe(story.title)} "
        f"[dim]({safe(story.source.title)})[/]\n"
        f"  [dim]{safe(where)} — {safe(story.duplicate.reason)}[/]"
    )


def print_alert(processed: Processed) -> None:
    story = processed.story
    when = story.published.strftime("%d %b %Y %H:%M UTC") if story.published else "undated"
    out.rule(" ".join(processed.channels), align="left")
    out.print(f"[bold]{safe(story.title)}[/]")
    out.print(f"[dim]{safe(story.source.title)} ({safe(story.source.domain)}) · {when}[/]")
    for tag in story.tags:
        why = ", ".join(f"{e.text} ({e.where})" for e in tag.evidence[:4])
        out.print(f"[cyan]{tag.id}[/] [dim]{tag.score:.2f} · {safe(why)}[/]")
    out.print(safe(story.summary or story.description[:300]))
    if story.url:
        out.print(f"[blue]{safe(story.url)}[/]")
    out.print("[dim][👍 Relevant] [👎 Not relevant] [Why?][/]")
