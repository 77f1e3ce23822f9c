"""Undoing a copy decision: the copy gets its own cluster and alert, the verdict is recorded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot import config
from bot.pipeline import Pipeline
from bot.query import parse_query
from bot.route import ALERT, THREAD
from bot.split import split
from bot.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"


@pytest.fixture
def polled(tmp_path: Path) -> tuple[Store, config.Config]:
    base = config.load(None, environ={})
    cfg = replace(
        base,
        database=tmp_path / "h.db",
        feeds=(
            config.Feed("scmp-tech", str(SAMPLES / "scmp-tech.xml")),
            config.Feed("scmp-china-policy", str(SAMPLES / "scmp-china-policy.xml")),
        ),
        routes=(config.Route(channel="C0TECHPOL1", tags=("ai", "industrial-policy")),),
        alert_max_age=base.alert_max_age * 100000,
    )
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store)
    list(pipeline.poll(cfg.feeds))
    pipeline.close()
    yield store, cfg
    store.close()


def copy_key(store: Store) -> str:
    copies = [s for s in store.cluster(store.search(parse_query("Yizhuang"))[0].story.key)[1:]]
    assert len(copies) == 1 and copies[0].duplicate is not None
    return copies[0].key


def test_a_split_copy_becomes_its_own_story_and_alert(
    polled: tuple[Store, config.Config],
) -> None:
    store, cfg = polled
    key = copy_key(store)
    assert [r.kind for r in store.outbox_rows(story_key=key)] == [THREAD]
    done = split(store, key, "U7", cfg.routes, {})
    assert done is not None and done.channels == ("C0TECHPOL1",)
    assert done.story.duplicate is None
    assert store.get_story(key).duplicate is None  # type: ignore[union-attr]
    assert len(store.search(parse_query("Yizhuang"))) == 2  # no longer folded into one hit
    assert sorted(r.kind for r in store.outbox_rows(story_key=key)) == [ALERT, THREAD]
    [verdict] = store.copy_verdicts()
    assert (verdict.story_key, verdict.user, verdict.verdict) == (key, "U7", "not_copy")
    assert verdict.original_key == done.original_key and verdict.match  # what was overruled
    assert store.count_copies() == (0, 1)


def test_splitting_twice_or_an_original_changes_nothing(
    polled: tuple[Store, config.Config],
) -> None:
    store, cfg = polled
    key = copy_key(store)
    original = store.get_story(key).duplicate.original_key  # type: ignore[union-attr]
    assert split(store, original, "U7", cfg.routes, {}) is None
    assert split(store, key, "U7", cfg.routes, {}) is not None
    assert split(store, key, "U7", cfg.routes, {}) is None
    assert split(store, "no-such-key", "U7", cfg.routes, {}) is None
    assert len(store.copy_verdicts()) == 1
    assert len([r for r in store.outbox_rows(story_key=key) if r.kind == ALERT]) == 1
