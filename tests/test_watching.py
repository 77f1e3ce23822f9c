"""Watches at ingest (bot.watching) and their storage: once per cluster, mutes, channel hits,
channel watches, and the pipeline queuing their messages with the story."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot import config
from bot.pipeline import Pipeline
from bot.route import ALERT
from bot.store import Store, StoreAPI
from bot.store.sqlite.base import now_utc
from bot.story import Match, Source, Story, Tag
from bot.watching import Watching

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"


def story(
    key: str,
    title: str,
    *,
    domain: str = "scmp.com",
    tags: tuple[str, ...] = (),
    copy_of: str | None = None,
) -> Story:
    made = Story(
        key=key,
        url=f"https://{domain}/{key}",
        title=title,
        source=Source(domain.split(".")[0], domain.upper(), domain),
        published=None,
        content=title,
        tags=tuple(Tag(t, 0.9) for t in tags),
    )
    return made.with_(duplicate=Match(copy_of, "near", {})) if copy_of else made


@pytest.fixture
def store(any_store: StoreAPI) -> StoreAPI:
    """The watch store tests run on SQLite and on PostgreSQL (conftest `any_store`)."""
    return any_store


def test_a_watch_fires_once_per_cluster_and_copies_never_refire_it(store: Store) -> None:
    watch = store.add_watch("U1", "Yizhuang")
    watching = Watching(store)
    watching.refresh()
    first = story("a", "Yizhuang gets an AI hub")
    store.save(first)
    messages, fired = watching.fire(first, ())
    assert fired == [watch.id] and messages[0].channel == "U1" and messages[0].kind == ALERT
    copy = story("b", "Yizhuang AI hub, again", copy_of="a")
    store.save(copy)
    assert watching.fire(copy, ()) == ([], [])
    assert store.watch(watch.id).hits == 1  # type: ignore[union-attr]


def test_aliases_across_scripts_fire_the_watch(store: Store) -> None:
    store.add_watch("U1", "Yizhuang")
    watching = Watching(store)
    watching.refresh()
    chinese = story("zh", "北京亦庄获批人工智能创新中心")
    assert watching.fire(chinese, ())[1]


def test_muted_sources_and_tags_are_recorded_but_not_sent(store: Store) -> None:
    watch = store.add_watch("U1", "chips")
    store.mute("U1", "source", "scmp.com", None)
    store.mute("U1", "tag", "ai", now_utc() + timedelta(hours=1))
    store.mute("U1", "tag", "semiconductors", now_utc() - timedelta(hours=1))  # expired
    watching = Watching(store)
    watching.refresh()
    assert watching.fire(story("a", "chips", domain="www.scmp.com"), ()) == ([], [watch.id])
    assert watching.fire(story("b", "chips", domain="ft.com", tags=("ai",)), ())[0] == []
    messages, _ = watching.fire(story("c", "chips", domain="ft.com", tags=("semiconductors",)), ())
    assert [m.channel for m in messages] == ["U1"]


def test_a_story_already_alerted_where_the_owner_is_dms_only_when_asked(store: Store) -> None:
    quiet = store.add_watch("U1", "chips")
    loud = store.add_watch("U2", "chips", dm_on_channel_hits=True)
    members = {"C1": {"U1", "U2"}}
    watching = Watching(store, members=lambda c: members.get(c))
    watching.refresh()
    messages, fired = watching.fire(story("a", "chips"), ("C1",))
    assert sorted(fired) == [quiet.id, loud.id]
    assert [m.channel for m in messages] == ["U2"]
    messages, _ = watching.fire(story("b", "more chips"), ("C9",))  # a channel U1 is not in
    assert sorted(m.channel for m in messages) == ["U1", "U2"]
    store.set_channel_id("#one", "C1")  # a route naming C1 "#one": the same members
    messages, _ = watching.fire(story("c", "yet more chips"), ("#one",))
    assert [m.channel for m in messages] == ["U2"]


def test_a_channel_watch_posts_in_its_channel_once(store: Store) -> None:
    store.add_watch("U1", "chips", channel="C7")
    store.add_watch("U2", "chip", channel="C7")
    watching = Watching(store)
    watching.refresh()
    messages, fired = watching.fire(story("a", "chips"), ())
    assert len(fired) == 2 and [m.channel for m in messages] == ["C7"]


def test_watches_added_or_removed_elsewhere_are_picked_up(store: Store) -> None:
    watching = Watching(store)
    watching.refresh()
    assert watching.fire(story("a", "chips"), ()) == ([], [])
    watch = store.add_watch("U1", "chips")  # e.g. from Slack, in another thread or process
    watching.refresh()
    assert watching.fire(story("b", "chips"), ())[1] == [watch.id]
    store.remove_watch(watch.id)
    watching.refresh()
    assert watching.fire(story("c", "chips"), ()) == ([], [])


def test_snoozes_end_and_mutes_expire(store: Store) -> None:
    now = now_utc()
    store.snooze("C1", now + timedelta(hours=2), "UADMIN")
    store.snooze("C2", now - timedelta(minutes=1), "UADMIN")
    assert set(store.snoozes(now)) == {"C1"} and store.ended_snoozes(now) == ["C2"]
    assert store.snoozed_until("C1", now) is not None and store.snoozed_until("C2", now) is None


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    base = config.load(None, environ={})
    return replace(
        base,
        database=tmp_path / "h.db",
        feeds=(
            config.Feed("scmp-tech", str(SAMPLES / "scmp-tech.xml")),
            config.Feed("scmp-china-policy", str(SAMPLES / "scmp-china-policy.xml")),
        ),
        routes=(config.Route(channel="C0TECHPOL1", tags=("ai",)),),
        alert_max_age=timedelta(days=36500),
    )


def test_the_pipeline_queues_a_watch_dm_with_the_story_and_not_for_its_copy(
    cfg: config.Config,
) -> None:
    store = Store(cfg.database)
    watch = store.add_watch("U0WATCHER", "Yizhuang")
    pipeline = Pipeline(cfg, store, watching=Watching(store))
    original, copy = [p for outcome in pipeline.poll(cfg.feeds) for p in outcome.stories]
    pipeline.close()
    assert original.watches == (watch.id,) and copy.watches == ()
    dms = [row for row in store.outbox_rows() if row.channel == "U0WATCHER"]
    assert [(row.story_key, row.kind) for row in dms] == [(original.story.key, ALERT)]
    assert [w.id for w in store.watches_hit_by(original.story.key, "U0WATCHER")] == [watch.id]
    store.close()


def test_a_route_with_snooze_members_lets_any_member_snooze_its_channel(
    cfg: config.Config,
) -> None:
    import httpx

    from bot.classify import load_taxonomy
    from bot.slack import commands

    store = Store(":memory:")
    routes = (config.Route(channel="C0OPEN", tags=("ai",), snooze="members"),)
    ctx = commands.Context(replace(cfg, routes=routes), store, load_taxonomy(None), httpx.Client())
    _, text = commands.answer(ctx, "snooze 1h", "U0MEMBER", "C0OPEN")
    assert "paused until" in text and store.snoozed_until("C0OPEN") is not None
    _, text = commands.answer(ctx, "snooze 1h", "U0MEMBER", "C0OTHER")  # default: admins only
    assert "Only hubnews admins" in text and store.snoozed_until("C0OTHER") is None
    store.close()
