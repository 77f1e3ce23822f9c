"""The `hubnews` command: the only module that prints.

Exit codes (every command): 0 success; 1 the work ran but something failed (for `poll`: at
least one feed could not be fetched or parsed, each reported on stderr); 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import __version__, config, logs
from bot.errors import ConfigError, HubnewsError, StoreError
from bot.pipeline import Outcome, Pipeline, Processed
from bot.query import parse_query
from bot.store import Hit, Store
from bot.store.search import MARK_END, MARK_START

OK, FAILED, USAGE = 0, 1, 2
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EPILOG = (
    "exit codes: 0 success; 1 something failed (poll: at least one feed failed, each "
    "reported on stderr); 2 usage or configuration error"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.setup("debug" if args.verbose else "warning")
    try:
        return int(args.handler(args))
    except HubnewsError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}")
        if exc.hint:
            err.print(f"[yellow]next step:[/] {escape(exc.hint)}")
        return USAGE if isinstance(exc, ConfigError) else FAILED
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $HUBNEWS_CONFIG, ./config/hubnews.toml, "
        "or the built-in default)",
    )
    common.add_argument("--db", metavar="PATH", help="SQLite database (overrides the config)")
    common.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    parser = argparse.ArgumentParser(
        prog="hubnews",
        description="Tech-policy news for a Slack team: poll feeds, fold "
        "copies, tag, summarise, alert, search.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"hubnews {__version__}")
    parser.set_defaults(handler=lambda _: _usage(parser), verbose=False)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    poll = sub.add_parser(
        "poll",
        parents=[common],
        epilog=EPILOG,
        help="poll feeds once and store (and alert) what is new",
        description="Poll the configured feeds (or --feed ones) once.",
    )
    poll.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="one cycle, then exit (continuous polling is `hubnews run`)",
    )
    poll.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL_OR_PATH",
        help="poll this feed instead of the configured ones (repeatable)",
    )
    poll.add_argument(
        "--dry-run", action="store_true", help="post nothing and leave the database unchanged"
    )
    poll.add_argument(
        "--json", action="store_true", help="one JSON object per story on stdout, nothing else"
    )
    poll.set_defaults(handler=cmd_poll)

    search = sub.add_parser(
        "search",
        parents=[common],
        epilog=EPILOG,
        help="search stored stories (the engine behind /hubnews)",
    )
    search.add_argument(
        "query",
        nargs="+",
        help='words, "phrases", tag:ai, source:scmp.com, since:7d, before:2020-11-01',
    )
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    search.add_argument("--limit", type=int, default=5, help="how many hits (default 5)")
    search.set_defaults(handler=cmd_search)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        epilog=EPILOG,
        help="run a full cycle on bundled sample feeds (no Slack needed)",
    )
    demo.set_defaults(handler=cmd_demo)

    check = sub.add_parser(
        "check",
        parents=[common],
        epilog=EPILOG,
        help="validate the config and show it, secrets redacted",
    )
    check.set_defaults(handler=cmd_check)

    feeds = sub.add_parser(
        "feeds", parents=[common], epilog=EPILOG, help="list feeds with their health"
    )
    feeds.set_defaults(handler=cmd_feeds)

    run = sub.add_parser(
        "run",
        parents=[common],
        epilog=EPILOG,
        help="run the bot: poll on schedule, post alerts and digests, serve Slack",
        description="Poll feeds, deliver alerts and digests, serve /hubnews (HTTP mode with "
        "SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET, Socket Mode with SLACK_APP_TOKEN; with no "
        "tokens, alerts are printed here). Stops cleanly on SIGTERM/SIGINT.",
    )
    run.add_argument(
        "--port",
        type=int,
        default=3000,
        metavar="N",
        help="port for /slack/events and /healthz (default 3000)",
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="N",
        help="serve Prometheus /metrics on 127.0.0.1:N (default: off)",
    )
    run.set_defaults(handler=cmd_run)

    evaluate = sub.add_parser(
        "eval", parents=[common], epilog=EPILOG, help="measure the classifier on a labelled dev set"
    )
    evaluate.add_argument(
        "--devset",
        default="tests/classify_devset",
        metavar="FOLDER",
        help="labelled dev set (default: tests/classify_devset)",
    )
    evaluate.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    evaluate.add_argument(
        "--corpus",
        default="../shared/corpus",
        metavar="FOLDER",
        help="where referenced (not redistributable) items are read from",
    )
    evaluate.add_argument(
        "--feedback",
        action="store_true",
        help="instead: agreement between tags and the team's 👍/👎 verdicts",
    )
    evaluate.set_defaults(handler=cmd_eval)

    backup = sub.add_parser(
        "backup",
        parents=[common],
        epilog=EPILOG,
        help="copy the database safely while hubnews runs",
    )
    backup.add_argument("path", help="the new backup file (never overwritten)")
    backup.set_defaults(handler=cmd_backup)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return USAGE


# ---------------------------------------------------------------- poll


def cmd_poll(args: argparse.Namespace) -> int:
    cfg = _config(args)
    feeds = _feeds(cfg, args.feed)
    if not feeds:
        raise ConfigError(
            "no feeds to poll", hint="add [[feeds]] to the config or pass --feed URL_OR_PATH"
        )
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store, dry_run=args.dry_run, report_known=True)
    failed = 0
    try:
        with _progress(len(feeds)) as advance:
            for outcome in pipeline.poll(feeds, progress=advance):
                failed += _report(outcome, args.json)
    finally:
        pipeline.close()
        store.close()
    return FAILED if failed else OK


def _feeds(cfg: config.Config, given: list[str]) -> list[config.Feed]:
    if not given:
        return [feed for feed in cfg.feeds if feed.enabled]
    known = {feed.url: feed for feed in cfg.feeds}
    chosen = []
    for item in given:
        url = item if item.startswith(("http://", "https://")) else str(Path(item).resolve())
        chosen.append(known.get(url) or config.Feed(name=item, url=url))
    return chosen


def _report(outcome: Outcome, as_json: bool) -> int:
    name = outcome.feed.name
    if outcome.error:
        err.print(
            f"[red]feed {escape(name)} failed:[/] {escape(outcome.error.message)}"
            + (f" — {escape(outcome.error.hint)}" if outcome.error.hint else "")
        )
        return 1
    if outcome.problem:
        err.print(
            f"[yellow]feed {escape(name)} parsed with a problem:[/] {escape(outcome.problem)}"
        )
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
        out.print(f"[bold]{escape(name)}[/]: {state}")
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


# ---------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace) -> int:
    cfg = _config(args)
    text = " ".join(args.query)
    query = parse_query(text)
    store = Store(cfg.database)
    try:
        hits = store.search(query, limit=max(1, args.limit))
        suggestions = [] if hits else [s for w in query.words if (s := store.suggest(w))]
    finally:
        store.close()
    if args.json:
        for hit in hits:
            sys.stdout.write(json.dumps(hit_json(hit), ensure_ascii=False) + "\n")
        return OK
    for note in query.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    print_hits(text, hits, suggestions)
    return OK


def hit_json(hit: Hit) -> dict[str, Any]:
    story = hit.story
    return {
        "key": story.key,
        "url": story.url,
        "title": story.title,
        "source": story.source.title,
        "domain": story.source.domain,
        "published": story.published.strftime("%Y-%m-%dT%H:%M:%SZ") if story.published else None,
        "tags": story.tag_ids,
        "sources": hit.sources,
        "snippet": hit.snippet.replace(MARK_START, "").replace(MARK_END, ""),
        "rank": hit.rank,
    }


def print_hits(text: str, hits: list[Hit], suggestions: list[str]) -> None:
    if not hits:
        out.print(f"No stories match [bold]{escape(text)}[/].")
        if suggestions:
            out.print(f"Did you mean [bold]{escape(' '.join(suggestions))}[/]?")
        return
    for number, hit in enumerate(hits, 1):
        story = hit.story
        when = story.published.strftime("%d %b %Y") if story.published else "undated"
        extra = f" · {hit.sources} sources" if hit.sources > 1 else ""
        tags = " ".join(f"[cyan]{t}[/]" for t in story.tag_ids)
        out.print(f"[bold]{number}. {escape(story.title)}[/]")
        out.print(f"   [dim]{escape(story.source.title)} · {when}{extra}[/] {tags}")
        snippet = escape(" ".join(hit.snippet.split()))
        out.print("   " + snippet.replace(MARK_START, "[bold yellow]").replace(MARK_END, "[/]"))
        if story.url:
            out.print(f"   [blue]{escape(story.url)}[/]")


# ---------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from bot import demo

    base = _config(args)
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
        store = Store(database)
        try:
            out.rule("search: /hubnews Yizhuang")
            print_hits("Yizhuang", store.search(parse_query("Yizhuang")), [])
            out.print(
                f"\n[dim]{store.count_stories()} stories stored. Try: hubnews search "
                f"--db {database} 'tag:ai' (with --db to keep the database).[/]"
            )
        finally:
            store.close()
    finally:
        if folder:
            folder.cleanup()
    return FAILED if any(o.error for o in outcomes) else OK


def _demo_poll(cfg: config.Config) -> list[Outcome]:
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store, report_known=True)
    try:
        outcomes = list(pipeline.poll(cfg.feeds))
    finally:
        pipeline.close()
        store.close()
    for outcome in outcomes:
        _report(outcome, as_json=False)
    return outcomes


def _demo_alerts(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        for processed in outcome.new:
            story = processed.story
            if story.duplicate:
                out.print(
                    f"\n[dim]↳ folded copy[/] {escape(story.title)} "
                    f"[dim]({escape(story.source.title)})[/]\n"
                    f"  [dim]thread reply under the original: +1 source — "
                    f"{escape(story.duplicate.reason)}[/]"
                )
            elif processed.channels:
                print_alert(processed)


def print_alert(processed: Processed) -> None:
    story = processed.story
    when = story.published.strftime("%d %b %Y %H:%M UTC") if story.published else "undated"
    out.rule(" ".join(processed.channels), align="left")
    out.print(f"[bold]{escape(story.title)}[/]")
    out.print(f"[dim]{escape(story.source.title)} ({escape(story.source.domain)}) · {when}[/]")
    for tag in story.tags:
        why = ", ".join(f"{e.text} ({e.where})" for e in tag.evidence[:4])
        out.print(f"[cyan]{tag.id}[/] [dim]{tag.score:.2f} · {escape(why)}[/]")
    out.print(escape(story.summary or story.description[:300]))
    if story.url:
        out.print(f"[blue]{escape(story.url)}[/]")
    out.print("[dim][👍 Relevant] [👎 Not relevant] [Why?][/]")


# ---------------------------------------------------------------- check, feeds


def cmd_check(args: argparse.Namespace) -> int:
    cfg = _config(args)
    out.print(f"[green]config OK[/]: {cfg.path or 'built-in default'}")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("database", str(cfg.database))
    table.add_row("feeds", str(len(cfg.feeds)))
    for feed in cfg.feeds:
        state = "" if feed.enabled else " (disabled)"
        table.add_row("", f"{feed.name}  {feed.url}  every {_span(feed.interval)}{state}")
    table.add_row("routes", str(len(cfg.routes)))
    for route in cfg.routes:
        table.add_row(
            "", f"{route.channel}  tags: {', '.join(route.tags) or 'any'}  mode: {route.mode}"
        )
    table.add_row("alert_max_age", _span(cfg.alert_max_age))
    table.add_row("retention", _span(cfg.retention))
    for name, value in cfg.secrets.summary().items():
        table.add_row(name, config.redacted(value))
    out.print(table)
    for warning in cfg.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    return OK


def cmd_feeds(args: argparse.Namespace) -> int:
    cfg = _config(args)
    store = Store(cfg.database)
    try:
        statuses = {status.name: status for status in store.feeds()}
    finally:
        store.close()
    table = Table("feed", "state", "last ok", "failures", "problem")
    for feed in cfg.feeds:
        status = statuses.pop(feed.name, None)
        table.add_row(*_feed_row(feed.name, status, feed.enabled))
    for name, status in statuses.items():
        table.add_row(*_feed_row(f"{name} ({status.origin})", status, status.enabled))
    out.print(table)
    return OK


def cmd_run(args: argparse.Namespace) -> int:
    from bot import service

    cfg = _config(args)
    for warning in cfg.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    return service.run(
        cfg,
        port=args.port,
        metrics_port=args.metrics_port,
        log_level="debug" if args.verbose else "info",
    )


def cmd_eval(args: argparse.Namespace) -> int:
    from bot import evaluate
    from bot.classify import load_taxonomy

    cfg = _config(args)
    if args.feedback:
        return _eval_feedback(cfg)
    folder = Path(args.devset)
    if not (folder / "devset.jsonl").is_file():
        raise ConfigError(
            f"no dev set at {folder}",
            hint="run from the repository root or pass --devset tests/classify_devset",
        )
    items, skipped = evaluate.load_devset(
        folder, Path(args.corpus), None if args.split == "all" else args.split
    )
    report = evaluate.evaluate(items, load_taxonomy(cfg.taxonomy), thresholds=cfg.tag_thresholds)
    table = Table(
        "tag",
        "precision",
        "recall",
        "F1",
        "tp",
        "fp",
        "fn",
        title=f"{report.items} items ({args.split}), macro-F1 {report.macro_f1:.3f}",
    )
    for tag in report.tags.values():
        table.add_row(
            tag.tag,
            f"{tag.precision:.3f}",
            f"{tag.recall:.3f}",
            f"{tag.f1:.3f}",
            str(tag.tp),
            str(tag.fp),
            str(tag.fn),
        )
    out.print(table)
    for tag in report.tags.values():
        for label, misses in (
            ("false positive", tag.false_positives),
            ("missed", tag.false_negatives),
        ):
            for miss in misses:
                out.print(
                    f"[yellow]{tag.tag} {label}[/]: {escape(miss.title)} "
                    f"[dim]{escape('; '.join(miss.evidence))}[/]"
                )
    for reason in skipped:
        err.print(f"[yellow]skipped:[/] {escape(reason)}")
    return OK


def _eval_feedback(cfg: config.Config) -> int:
    from bot import evaluate

    store = Store(cfg.database)
    try:
        verdicts = [v for v in store.verdicts() if v.tag]
        keys = {v.story_key for v in verdicts}
        tags = {key: story.tag_ids for key in keys if (story := store.get_story(key))}
    finally:
        store.close()
    report = evaluate.feedback_agreement(
        [(v.story_key, v.tag or "", v.verdict, v.user, v.at) for v in verdicts], tags
    )
    if not report.verdicts:
        out.print("No verdicts recorded yet: the 👍/👎 buttons on alerts record them.")
        return OK
    table = Table(
        "tag",
        "verdicts",
        "agreement",
        "👍 tagged",
        "👎 tagged",
        "👍 untagged",
        title=f"{report.verdicts} verdicts, agreement {report.agreement:.0%}",
    )
    for tag in report.tags.values():
        table.add_row(
            tag.tag,
            str(tag.verdicts),
            f"{tag.agreement:.0%}",
            str(tag.relevant_on_tagged),
            str(tag.not_relevant_on_tagged),
            str(tag.relevant_on_untagged),
        )
    out.print(table)
    return OK


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if not Path(cfg.database).exists():
        raise StoreError(
            f"no database at {cfg.database}",
            hint="check --db or the config's `database`; nothing has been stored yet",
        )
    store = Store(cfg.database)
    try:
        target = store.backup(args.path)
        count = store.count_stories()
    finally:
        store.close()
    out.print(
        f"[green]backup written[/]: {target} ({count} stories). Restore: stop hubnews, "
        f"copy it over {cfg.database}, start hubnews."
    )
    return OK


def _feed_row(name: str, status: Any, enabled: bool) -> list[str]:
    if status is None:
        return [name, "never polled" if enabled else "disabled", "", "", ""]
    state = (
        "ok"
        if status.enabled and not status.consecutive_failures
        else ("disabled" if not status.enabled else "failing")
    )
    last_ok = status.last_ok.strftime("%Y-%m-%d %H:%M") if status.last_ok else "never"
    problem = status.disabled_reason or status.last_error or status.last_problem or ""
    return [name, state, last_ok, str(status.consecutive_failures), problem[:80]]


# ---------------------------------------------------------------- helpers


def _config(args: argparse.Namespace) -> config.Config:
    path = args.config or config.default_path()
    cfg = config.load(path)
    if getattr(args, "db", None):
        from dataclasses import replace

        cfg = replace(cfg, database=Path(args.db).expanduser().resolve())
    return cfg


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


if __name__ == "__main__":
    raise SystemExit(main())
