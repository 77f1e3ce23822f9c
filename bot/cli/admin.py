"""The operator's commands: check, feeds, run, eval, backup."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from bot import config
from bot.cli.common import OK, err, load_config, out, safe, span
from bot.errors import ConfigError, StoreError
from bot.store import is_postgres_url, open_store

# ---------------------------------------------------------------- check, feeds


def cmd_check(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    out.print(f"[green]config OK[/]: {safe(cfg.path or 'built-in default')}")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("database", safe(config.shown_database(cfg.database)))
    table.add_row("feeds", str(len(cfg.feeds)))
    for feed in cfg.feeds:
        state = "" if feed.enabled else " (disabled)"
        table.add_row(
            "", f"{safe(feed.name)}  {safe(feed.url)}  every {span(feed.interval)}{state}"
        )
    table.add_row("routes", str(len(cfg.routes)))
    for route in cfg.routes:
        table.add_row(
            "", safe(f"{route.channel}  tags: {', '.join(route.tags) or 'any'}  mode: {route.mode}")
        )
    table.add_row("alert_max_age", span(cfg.alert_max_age))
    table.add_row("retention", span(cfg.retention))
    for name, value in cfg.secrets.summary().items():
        table.add_row(name, config.redacted(value))
    out.print(table)
    for warning in cfg.warnings:
        err.print(f"[yellow]warning:[/] {safe(warning)}")
    return OK


def cmd_feeds(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_store(cfg.database)
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

    cfg = load_config(args)
    for warning in cfg.warnings:
        err.print(f"[yellow]warning:[/] {safe(warning)}")
    return service.run(
        cfg,
        port=args.port,
        metrics_port=args.metrics_port,
        log_level="debug" if args.verbose else "info",
    )


def cmd_eval(args: argparse.Namespace) -> int:
    from bot import evaluate
    from bot.classify import load_taxonomy

    cfg = load_config(args)
    if args.feedback:
        return _eval_feedback(cfg)
    if args.copies:
        return _eval_copies(cfg)
    taxonomy = load_taxonomy(cfg.taxonomy)
    tags = _eval_tags(args, taxonomy.tags)
    if args.dataset == "web":
        split = args.split or "test"
        if split not in {"train", "test", "all"}:
            raise ConfigError(f"the web set has no split {split!r}", hint="use train, test or all")
        items, skipped = evaluate.load_web(Path(args.corpus), None if split == "all" else split)
        if not items:
            raise ConfigError(
                f"no web set under {args.corpus}", hint="pass --corpus ../shared/corpus"
            )
        reports = evaluate.by_language(items, taxonomy, tags, cfg.tag_thresholds)
        _print_eval(reports["all"], f"web {split}")
        _print_languages(reports)
    else:
        split = args.split or "heldout"
        folder = Path(args.devset)
        if not (folder / "devset.jsonl").is_file():
            raise ConfigError(
                f"no dev set at {folder}",
                hint="run from the repository root or pass --devset tests/classify_devset",
            )
        items, skipped = evaluate.load_devset(
            folder, Path(args.corpus), None if split == "all" else split
        )
        report = evaluate.evaluate(items, taxonomy, tags, cfg.tag_thresholds)
        _print_eval(report, split)
    for reason in skipped:
        err.print(f"[yellow]skipped:[/] {safe(reason)}")
    return OK


def _eval_tags(args: argparse.Namespace, known: tuple[str, ...]) -> tuple[str, ...]:
    if args.tags is None:
        return known if args.dataset == "web" else evaluate_default_tags()
    if args.tags == "all":
        return known
    tags = tuple(t.strip() for t in args.tags.split(",") if t.strip())
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise ConfigError(
            f"unknown tag(s) {', '.join(unknown)}", hint=f"the taxonomy has {', '.join(known)}"
        )
    return tags


def evaluate_default_tags() -> tuple[str, ...]:
    from bot.evaluate import DEFAULT_TAGS

    return DEFAULT_TAGS


def _print_languages(reports: dict[str, Any]) -> None:
    table = Table("items", "n", "macro-F1", *next(iter(reports.values())).tags, title="by language")
    for name, report in reports.items():
        table.add_row(
            name,
            str(report.items),
            f"{report.macro_f1:.3f}",
            *(f"{t.f1:.3f}" if t.seen else "-" for t in report.tags.values()),
        )
    out.print(table)


def _print_eval(report: Any, split: str) -> None:
    table = Table(
        "tag",
        "precision",
        "recall",
        "F1",
        "tp",
        "fp",
        "fn",
        title=f"{report.items} items ({split}), macro-F1 {report.macro_f1:.3f}",
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
                    f"[yellow]{tag.tag} {label}[/]: {safe(miss.title)} "
                    f"[dim]{safe('; '.join(miss.evidence))}[/]"
                )


def _eval_feedback(cfg: config.Config) -> int:
    from bot import evaluate
    from bot.classify import load_taxonomy
    from bot.tuning import tune_for

    store = open_store(cfg.database)
    try:
        verdicts = [v for v in store.verdicts() if v.tag]
        keys = {v.story_key for v in verdicts}
        tags = {key: story.tag_ids for key in keys if (story := store.get_story(key))}
        tuned = tune_for(
            store.tuning_votes(),
            load_taxonomy(cfg.taxonomy).thresholds,
            cfg.tag_thresholds,
            cfg.feedback,
        )
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
    if tuned:
        thresholds = Table("channel", "tag", "threshold", "floor", "👍", "👎", "state")
        for entry in sorted(tuned.values(), key=lambda e: (e.channel, e.tag)):
            state = (
                "raised by votes"
                if entry.raised
                else ("kept" if entry.counted >= entry.policy.min_votes else "too few votes")
            )
            thresholds.add_row(
                safe(entry.channel),
                safe(entry.tag),
                f"{entry.threshold:.3f}",
                f"{entry.floor:.3f}",
                str(entry.relevant),
                str(entry.not_relevant),
                state,
            )
        thresholds.title = "Per-channel thresholds tuned by votes (/hubnews feedback reset undoes)"
        out.print(thresholds)
    return OK


def _eval_copies(cfg: config.Config) -> int:
    """Agreement with the team on copies: of the copies folded, how many were split back out."""
    import json

    store = open_store(cfg.database)
    try:
        folded, split = store.count_copies()
        verdicts = store.copy_verdicts()
        titles = {
            v.story_key: (s.title if (s := store.get_story(v.story_key)) else "") for v in verdicts
        }
    finally:
        store.close()
    judged = folded + split
    if not judged:
        out.print("No copies folded yet.")
        return OK
    out.print(
        f"{judged} stories folded as copies; {split} split back out by the team "
        f'("Not a copy" or /hubnews split): agreement {(judged - split) / judged:.0%} '
        "[dim](a copy nobody disputed counts as agreed)[/]"
    )
    if verdicts:
        table = Table("when", "who", "story", "folded because")
        for verdict in verdicts:
            reason = json.loads(verdict.match).get("reason", "") if verdict.match else ""
            table.add_row(
                verdict.at.strftime("%Y-%m-%d %H:%M"),
                safe(verdict.user),
                safe(titles.get(verdict.story_key) or verdict.story_key)[:80],
                safe(reason)[:120],
            )
        out.print(table)
    return OK


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if not is_postgres_url(cfg.database) and not Path(cfg.database).exists():
        raise StoreError(
            f"no database at {cfg.database}",
            hint="check --db or the config's `database`; nothing has been stored yet",
        )
    store = open_store(cfg.database)
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
        return [safe(name), "never polled" if enabled else "disabled", "", "", ""]
    state = (
        "ok"
        if status.enabled and not status.consecutive_failures
        else ("disabled" if not status.enabled else "failing")
    )
    last_ok = status.last_ok.strftime("%Y-%m-%d %H:%M") if status.last_ok else "never"
    problem = status.disabled_reason or status.last_error or status.last_problem or ""
    return [safe(name), state, last_ok, str(status.consecutive_failures), safe(problem[:80])]
