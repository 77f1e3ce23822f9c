"""Storage faults: a locked database, a full disk, a corrupt file. Clear messages, no silent
loss: what a failed cycle could not store is stored by the next one."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot import config
from bot.cli import main
from bot.errors import StoreError
from bot.pipeline import Pipeline
from bot.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "bot" / "samples"


def setup(tmp_path: Path) -> tuple[config.Config, Store]:
    base = config.load(None, environ={})
    feeds = (config.Feed("reuters", str(SAMPLES / "reuters-worldnews-2018-01.xml")),)
    cfg = replace(base, path=None, database=tmp_path / "h.db", feeds=feeds)
    return cfg, Store(cfg.database)


def test_locked_database_fails_the_cycle_clearly_and_the_next_one_stores_everything(
    tmp_path: Path,
) -> None:
    cfg, store = setup(tmp_path)
    store._db.execute("PRAGMA busy_timeout = 100")  # fail fast instead of waiting 5 s
    other = sqlite3.connect(cfg.database)
    other.execute("BEGIN EXCLUSIVE")
    pipeline = Pipeline(cfg, store)
    [outcome] = list(pipeline.poll(cfg.feeds))
    assert outcome.error is not None and "locked" in outcome.error.message
    assert "another process holds the database" in outcome.error.hint
    other.rollback()
    other.close()
    [again] = list(pipeline.poll(cfg.feeds))
    assert again.error is None and len(again.new) == 10 and store.count_stories() == 10
    pipeline.close()
    store.close()


def test_full_disk_is_reported_and_nothing_half_written(tmp_path: Path) -> None:
    cfg, store = setup(tmp_path)
    store._db.execute("VACUUM")  # no free pages left over from the migrations
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # a disk with almost no room
    pipeline = Pipeline(cfg, store)
    [outcome] = list(pipeline.poll(cfg.feeds))
    assert outcome.error is not None and "full" in outcome.error.message
    assert "free disk space" in outcome.error.hint
    stored = store.count_stories()
    queued = store._one("SELECT COUNT(*) FROM outbox")[0]  # type: ignore[index]
    assert stored < 10
    store._db.execute("PRAGMA max_page_count = 1073741823")  # space freed
    [again] = list(pipeline.poll(cfg.feeds))
    assert again.error is None and store.count_stories() == 10
    assert store._one("SELECT COUNT(*) FROM outbox")[0] >= queued  # type: ignore[index]
    pipeline.close()
    store.close()


def test_corrupt_database_file_gives_the_restore_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000)
    with pytest.raises(StoreError):
        Store(broken)
    code = main(["search", "anything", "--db", str(broken)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "backup" in err or "damaged" in err


def test_backup_works_while_another_connection_writes(tmp_path: Path) -> None:
    cfg, store = setup(tmp_path)
    pipeline = Pipeline(cfg, store)
    list(pipeline.poll(cfg.feeds))
    writer = sqlite3.connect(cfg.database)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO feedback (story_key, verdict, user, at) "
        "VALUES ('k', 'relevant', 'U1', '2026-01-01T00:00:00Z')"
    )
    copy = store.backup(tmp_path / "backup.db")
    writer.commit()
    writer.close()
    restored = Store(copy)
    assert restored.count_stories() == 10
    restored.close()
    pipeline.close()
    store.close()
