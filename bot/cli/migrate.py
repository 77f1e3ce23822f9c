"""`hubnews migrate-db --from hubnews.db --to postgresql://…`: move to PostgreSQL (README
"Scale out"). Safe to run again after an interruption; exit 1 when the counts differ."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.cli.common import OK, out, safe
from bot.errors import ConfigError, StoreError
from bot.store import SqliteStore, is_postgres_url


def cmd_migrate_db(args: argparse.Namespace) -> int:
    from bot.store.postgres import PostgresStore  # psycopg only for this command
    from bot.store.postgres.copy import Foreign, Mismatch, copy_database, total_rows, verify

    source_path = Path(args.source).expanduser()
    if not source_path.is_file():
        raise ConfigError(
            f"no SQLite database at {source_path}", hint="give --from the hubnews.db to copy"
        )
    if not is_postgres_url(args.target):
        raise ConfigError(
            f"--to must be a postgresql:// URL, not {args.target!r}",
            hint="e.g. --to postgresql://hubnews:PASSWORD@db:5432/hubnews",
        )
    SqliteStore(source_path).close()  # brings an older file up to the current schema
    source = sqlite3.connect(source_path)
    target = PostgresStore(args.target)
    try:
        total = total_rows(source)
        live = sys.stderr.isatty()
        with Progress(
            TextColumn("{task.description:<15}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            disable=not live,
            transient=False,
        ) as bar:
            task = bar.add_task("copying", total=total)

            def progress(table: str, rows: int) -> None:
                bar.update(task, advance=rows, description=table)

            try:
                counts = copy_database(source, target, progress)
            except Foreign as exc:
                raise StoreError(
                    f"{target.path} is not empty: {exc}",
                    hint="copy into an empty PostgreSQL database (createdb NAME); nothing was "
                    "copied",
                ) from None
        try:
            verify(source, target)
        except Mismatch as exc:
            raise StoreError(
                f"the copy differs from {source_path}: {exc}",
                hint="was the PostgreSQL database empty? Copy into an empty one, or run "
                "migrate-db again if hubnews wrote to the SQLite file meanwhile",
            ) from None
    finally:
        source.close()
        target.close()
    rows = sum(counts.values())
    out.print(
        f"[green]copied[/] {rows} rows from {safe(str(source_path))} to {safe(target.path)} "
        f"({counts['stories']} stories, {counts['outbox']} outbox rows); counts verified. "
        f"Next: set database = the URL and start the replicas."
    )
    return OK
