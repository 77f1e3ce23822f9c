"""`hubnews feeds import FILE.opml` and `hubnews feeds export` (the listing is `cmd_feeds`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.markup import escape

from bot.cli.common import FAILED, OK, USAGE, err, load_config, out
from bot.feeds_import import ImportReport, import_opml
from bot.fetch import FetchState, fetch, make_client
from bot.opml import MAX_BYTES, OpmlError, Outline, write_opml
from bot.store import open_store


def cmd_feeds_import(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    path = Path(args.file).expanduser()
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        return _usage_error(
            OpmlError(f"cannot read {path} ({exc.strerror})", hint="check the path")
        )
    store = open_store(cfg.database)
    client = make_client(cfg.limits)
    try:
        with _progress() as progress:
            report = import_opml(
                data,
                store,
                lambda url: fetch(url, FetchState(), cfg.limits, client),
                configured=cfg.feeds,
                source=str(path),
                allow_local=True,
                base=path.resolve().parent,
                dry_run=args.dry_run,
                concurrency=cfg.limits.concurrency,
                progress=progress,
            )
    except OpmlError as exc:
        return _usage_error(exc)
    finally:
        client.close()
        store.close()
    _print_report(report, args.file)
    return FAILED if report.failed else OK


def cmd_feeds_export(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    store = open_store(cfg.database)
    try:
        stored = {status.name: status for status in store.feeds()}
    finally:
        store.close()
    outlines = []
    for feed in cfg.feeds:
        status = stored.pop(feed.name, None)
        outlines.append(Outline(feed.name, feed.url, categories=_categories(status)))
    for status in stored.values():
        outlines.append(Outline(status.name, status.url, categories=status.categories))
    sys.stdout.write(write_opml(outlines).decode("utf-8"))
    sys.stdout.flush()
    return OK


def _categories(status: Any) -> tuple[str, ...]:
    return tuple(status.categories) if status is not None else ()


def _usage_error(exc: OpmlError) -> int:
    err.print(f"[bold red]error:[/] {escape(exc.message)}")
    if exc.hint:
        err.print(f"[yellow]next step:[/] {escape(exc.hint)}")
    return USAGE


@contextmanager
def _progress() -> Iterator[Any]:
    """A progress bar on stderr while feeds are checked, only when stderr is a terminal."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("checking feeds", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _print_report(report: ImportReport, file: str) -> None:
    """One line per feed under its group (lines, not a table: addresses are long), then totals."""
    verb = "would add" if report.dry_run else "added"
    if report.added:
        out.print(f"[green]{verb}[/] ({len(report.added)}):")
        for added in report.added:
            folders = f"  [{escape(', '.join(added.categories))}]" if added.categories else ""
            out.print(f"  {escape(added.name)}  {escape(added.url)}  {added.items} items{folders}")
    if report.skipped:
        out.print(f"[yellow]skipped[/] ({len(report.skipped)}):")
        for skipped in report.skipped:
            out.print(
                f"  {escape(skipped.url)}  {escape(repr(skipped.title))}: {escape(skipped.reason)}"
            )
    if report.failed:
        out.print(f"[red]failed validation[/] ({len(report.failed)}), not added:")
        for failed in report.failed:
            out.print(
                f"  {escape(failed.url)}  {escape(repr(failed.title))}: "
                f"{escape(failed.error)} ({escape(failed.hint)})"
            )
    out.print(
        f"{report.outlines} feeds in the file: {len(report.added)} {verb}, "
        f"{len(report.skipped)} skipped, {len(report.failed)} failed validation"
        + (" (dry run: nothing changed)" if report.dry_run else "")
    )
    if report.failed:
        err.print(
            "[yellow]next step:[/] the failed feeds were not added; fix or remove them in "
            f"the file and run `hubnews feeds import {escape(file)}` again (feeds already "
            "added are skipped, so only those are retried)"
        )
    elif report.added and not report.dry_run:
        out.print(
            "`hubnews run` polls them every 15 minutes (a running one picks them up in a minute)."
        )
