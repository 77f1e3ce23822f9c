"""Votes from the 👍/👎 buttons: one per user and alert, toggled, counted, reset per channel."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import Store, StoreAPI
from bot.store.sqlite.db import migrations
from bot.story import Source, Story, Tag


@pytest.fixture
def store(any_store: StoreAPI) -> StoreAPI:
    """Every test here runs on SQLite and on PostgreSQL (conftest `any_store`)."""
    return any_store


def story(key: str, **scores: float) -> Story:
    return Story(
        key=key,
        url=f"https://example.com/{key}",
        title=f"Story {key}",
        source=Source("f", "F", "example.com"),
        published=None,
        tags=tuple(Tag(tag.replace("_", "-"), score) for tag, score in scores.items()),
    )


def test_a_second_click_on_the_same_button_takes_the_vote_back(store: Store) -> None:
    store.save(story("k", ai=0.7))
    first = store.toggle_vote("k", "relevant", "U1", channel="C1")
    assert (first.verdict, first.relevant, first.not_relevant) == ("relevant", 1, 0)
    again = store.toggle_vote("k", "relevant", "U1", channel="C1")
    assert (again.verdict, again.relevant, again.not_relevant) == (None, 0, 0)
    assert store.verdicts() == []


def test_the_other_button_changes_the_vote_and_users_count_once_each(store: Store) -> None:
    store.save(story("k", ai=0.7))
    store.toggle_vote("k", "relevant", "U1", channel="C1")
    store.toggle_vote("k", "relevant", "U2", channel="C1")
    changed = store.toggle_vote("k", "not_relevant", "U1", channel="C1")
    assert (changed.verdict, changed.relevant, changed.not_relevant) == ("not_relevant", 1, 1)
    assert store.vote_counts("k", "C2") == (0, 0)  # another channel's alert has its own votes


def test_tuning_votes_carry_each_tag_score_and_net_counts(store: Store) -> None:
    store.save(story("k", ai=0.7, industrial_policy=0.55))
    store.toggle_vote("k", "not_relevant", "U1", channel="C1")
    store.toggle_vote("k", "not_relevant", "U2", channel="C1")
    store.toggle_vote("k", "relevant", "U3", channel="C1")
    got = {(v.channel, v.tag, v.score, v.relevant, v.not_relevant) for v in store.tuning_votes()}
    assert got == {("C1", "ai", 0.7, 1, 2), ("C1", "industrial-policy", 0.55, 1, 2)}


def test_reset_stops_earlier_votes_tuning_that_channel_only(store: Store) -> None:
    store.save(story("a", ai=0.7))
    store.save(story("b", ai=0.6))
    store.toggle_vote("a", "not_relevant", "U1", channel="C1")
    store.toggle_vote("a", "not_relevant", "U1", channel="C2")
    assert store.reset_tuning("C1", "UADMIN") == 1
    assert {v.channel for v in store.tuning_votes()} == {"C2"}
    store.toggle_vote("b", "not_relevant", "U1", channel="C1")  # cast after the reset
    assert {(v.channel, v.story_key) for v in store.tuning_votes()} == {("C1", "b"), ("C2", "a")}
    store.toggle_vote("a", "relevant", "U1", channel="C1")  # a changed vote counts again
    assert ("C1", "a") in {(v.channel, v.story_key) for v in store.tuning_votes()}


def test_migration_turns_logged_clicks_into_each_users_latest_vote(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number <= 5:
            old.executescript(sql)
    old.execute("PRAGMA user_version = 5")
    old.executemany(
        "INSERT INTO feedback (story_key, tag, verdict, user, channel, at) VALUES (?,?,?,?,?,?)",
        [
            ("k", "ai", "relevant", "U1", "C1", "2026-01-01T00:00:00Z"),
            ("k", "ai", "not_relevant", "U1", "C1", "2026-01-02T00:00:00Z"),
            ("k", "ai", "relevant", "U2", None, "2026-01-02T00:00:00Z"),
        ],
    )
    old.commit()
    old.close()
    store = Store(path)
    assert store.vote_counts("k", "C1") == (0, 1)
    assert store.vote_counts("k", None) == (1, 0)
    store.close()
