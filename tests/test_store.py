"""Store: upsert by key, clusters, feed state, FTS search with hostile queries, migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.query import parse_query
from bot.store import Store, StoreAPI
from bot.store.sqlite.base import from_utc_text, utc_text
from bot.store.sqlite.db import migrations
from bot.store.sqlite.search import NEWEST_POOL
from bot.story import Match, Source, Story, Tag

NOW = datetime(2020, 10, 20, tzinfo=UTC)


@pytest.fixture
def store(any_store: StoreAPI) -> StoreAPI:
    """Every test here runs on SQLite and on PostgreSQL (conftest `any_store`)."""
    return any_store


def make(
    key: str,
    title: str,
    body: str = "",
    *,
    domain: str = "scmp.com",
    published: datetime | None = NOW - timedelta(days=1),
    tags: tuple[str, ...] = (),
    duplicate_of: str | None = None,
) -> Story:
    return Story(
        key=key,
        url=f"https://{domain}/{key}",
        title=title,
        source=Source(feed=domain.split(".")[0], title=domain.upper(), domain=domain),
        published=published,
        content=body,
        tags=tuple(Tag(t, 0.9) for t in tags),
        duplicate=Match(duplicate_of, "near", {"containment": 0.9}) if duplicate_of else None,
    )


def test_save_is_an_upsert_by_key(store: Store) -> None:
    assert store.save(make("a", "First title", "body one")) is True
    assert store.save(make("a", "Updated title", "body two")) is False
    assert store.count_stories() == 1
    story = store.get_story("a")
    assert story is not None and story.title == "Updated title" and story.body == "body two"


def test_story_round_trips_with_tags_and_match(store: Store) -> None:
    original = make("a", "Beijing AI hub", "Yizhuang", tags=("ai", "industrial-policy"))
    store.save(original)
    store.save(make("b", "Copy", "Yizhuang", duplicate_of="a"))
    loaded = store.get_story("b")
    assert loaded is not None and loaded.duplicate_of == "a"
    assert loaded.duplicate and loaded.duplicate.scores["containment"] == 0.9
    assert store.get_story("a") == original


def test_copies_join_the_cluster_of_their_original(store: Store) -> None:
    store.save(make("a", "Original", "text"))
    store.save(make("b", "Copy", "text", duplicate_of="a"))
    store.save(make("c", "Copy of copy", "text", duplicate_of="b"))
    assert [s.key for s in store.cluster("c")] == ["a", "b", "c"]


def test_search_folds_copies_into_one_hit(store: Store) -> None:
    store.save(make("a", "Beijing tech park eyes AI hub", "Yizhuang county government"))
    store.save(
        make("b", "AI nod puts Beijing tech park in spotlight", "Yizhuang county", duplicate_of="a")
    )
    store.save(make("c", "Unrelated", "Cheese tariffs"))
    hits = store.search(parse_query("Yizhuang"), now=NOW)
    assert [h.story.key for h in hits] == ["a"] and hits[0].sources == 2
    assert "\x02Yizhuang\x03" in hits[0].snippet


def test_search_ranks_title_matches_and_recent_stories_first(store: Store) -> None:
    store.save(make("old", "Semiconductor subsidies", "chips", published=NOW - timedelta(days=60)))
    store.save(make("new", "Semiconductor subsidies", "chips", published=NOW - timedelta(days=1)))
    store.save(
        make("body", "Weekly roundup", "semiconductor mention", published=NOW - timedelta(days=1))
    )
    keys = [h.story.key for h in store.search(parse_query("semiconductor"), now=NOW)]
    assert keys == ["new", "old", "body"]


def test_an_old_title_match_behind_the_newest_pool_of_body_matches_is_on_page_one(
    store: StoreAPI,
) -> None:
    """Only the newest NEWEST_POOL matches are ranked first; the newest title matches join
    them (TITLE_POOL), so an older story about the word still outranks passing mentions."""
    store.save(make("old", "Lithium mine opens", "A mine.", published=NOW - timedelta(days=30)))
    with store.transaction():
        for n in range(NEWEST_POOL + 1):
            store.save(make(f"b{n}", f"Roundup {n}", "Markets moved; lithium was quiet. " * 3))
    keys = [h.story.key for h in store.search(parse_query("lithium"), limit=5, now=NOW)]
    assert keys[0] == "old"


def test_search_filters(store: Store) -> None:
    store.save(make("a", "AI park", "hub", tags=("ai",), published=NOW - timedelta(days=2)))
    store.save(make("b", "AI rules", "hub", domain="ft.com", published=NOW - timedelta(days=20)))
    store.save(make("c", "AI chips", "hub", domain="www.scmp.com", tags=("semiconductors",)))

    def run(text: str) -> list[str]:
        return sorted(h.story.key for h in store.search(parse_query(text, now=NOW), now=NOW))

    assert run("hub tag:ai") == ["a"]
    assert run("hub source:scmp.com") == ["a", "c"]
    assert run("hub since:7d") == ["a", "c"]
    assert run("hub before:2020-10-10") == ["b"]
    assert run("tag:semiconductors") == ["c"]


def test_chinese_two_character_words_are_found(store: Store) -> None:
    store.save(make("zh", "北京亦庄获批人工智能创新中心", "亦庄 经济技术开发区"))
    store.save(make("en", "Yizhuang", "Beijing"))
    # the alias table widens 亦庄 to Yizhuang (bot/aliases.py): the typed word's hit first
    assert [h.story.key for h in store.search(parse_query("亦庄"), now=NOW)] == ["zh", "en"]
    assert [h.story.key for h in store.search(parse_query("人工智能"), now=NOW)] == ["zh"]
    assert store.search(parse_query("庄获批人"), now=NOW)[0].story.key == "zh"


def test_chinese_is_found_in_either_script(any_store: StoreAPI) -> None:
    """Mainland outlets write simplified characters, Hong Kong and Taiwan ones traditional:
    a word typed in one script finds stories written in the other (after those in its own)."""
    any_store.save(make("hans", "经济技术开发区发布芯片补贴", "北京经济技术开发区周三发布补贴。"))
    hant = make("hant", "經濟技術開發區擴建", "經濟技術開發區宣布擴建園區。", domain="hk01.com")
    any_store.save(hant)

    def keys(text: str) -> list[str]:
        return [h.story.key for h in any_store.search(parse_query(text), now=NOW)]

    assert keys("經濟技術開發區") == ["hant", "hans"]
    assert keys("经济技术开发区") == ["hans", "hant"]
    assert keys("擴建") == ["hant"] and keys("扩建") == ["hant"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"unbalanced',
        "a*",
        "NEAR(a b",
        "OR OR",
        "(((",
        "a AND",
        "'; DROP TABLE stories; --",
        "title:x",
        "^start",
        "x - y",
        "🚀 AI",
        "A\u200bI",
        "col:umn:s",
        "a OR",
        "* OR *",
    ],
)
def test_hostile_queries_never_raise(store: Store, text: str) -> None:
    store.save(make("a", "AI hub", "AND OR NEAR start"))
    try:
        query = parse_query(text, now=NOW)
    except Exception as exc:  # only the query's own error type is allowed
        assert type(exc).__name__ == "QueryError"
        return
    store.search(query, now=NOW)
    assert store.count_stories() == 1


def test_suggest_offers_the_nearest_indexed_word(store: Store) -> None:
    store.save(make("a", "Yizhuang named AI hub", "text"))
    assert store.suggest("Yizuang") == "yizhuang"
    assert store.suggest("zzzzzz") is None


def test_feed_state_success_failure_and_disable(store: Store) -> None:
    store.ensure_feed("f", "https://f.example/rss")
    store.record_success("f", etag='"1"', last_modified=None, title="F", problem=None)
    status = store.feed("f")
    assert status and status.etag == '"1"' and status.consecutive_failures == 0
    for _ in range(2):
        store.record_failure("f", "HTTP 500", disable_after=3)
    assert store.feed("f").enabled  # type: ignore[union-attr]
    assert store.record_failure("f", "HTTP 500", disable_after=3) == 3
    status = store.feed("f")
    assert (
        status and not status.enabled and "3 consecutive failures" in (status.disabled_reason or "")
    )
    store.set_enabled("f", True)
    status = store.feed("f")
    assert status and status.enabled and status.consecutive_failures == 0


def test_prune_removes_old_stories_and_their_index_rows(store: Store) -> None:
    store.save(
        make("old", "Old news", "ancient", published=NOW - timedelta(days=400)),
        seen_at=NOW - timedelta(days=400),
    )
    store.save(make("new", "New news", "ancient"), seen_at=NOW)
    assert store.prune(NOW - timedelta(days=180)) == 1
    assert [h.story.key for h in store.search(parse_query("ancient"), now=NOW)] == ["new"]


def test_file_database_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "hubnews.db"
    first = Store(path)
    first.save(make("a", "Kept", "body"))
    first.close()
    second = Store(path)
    assert second.get_story("a") is not None
    assert second._one("PRAGMA journal_mode")[0] == "wal"  # type: ignore[index]
    second.close()
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == len(migrations())


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception) as caught:
        Store(path)
    assert type(caught.value).__name__ == "StoreError"
    assert "backup" in caught.value.hint  # type: ignore[attr-defined]


def test_migration_005_moves_existing_tags_into_the_full_text_index(tmp_path: Path) -> None:
    """A database made before facets existed keeps its tag filters working after the upgrade."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number <= 4:
            old.executescript(sql)
    old.execute("PRAGMA user_version = 4")
    old.execute(
        "INSERT INTO stories (id, key, url, title, feed, source_title, domain, "
        "first_seen, content, cluster_id) VALUES (7, 'k', 'https://x.example/k', "
        "'Yizhuang hub', 'f', 'F', 'x.example', '2020-10-19T00:00:00Z', 'body', 7)"
    )
    old.execute("INSERT INTO story_tags (story_id, tag, score) VALUES (7, 'industrial-policy', 1)")
    old.execute(
        "INSERT INTO stories_fts (rowid, title, body, cjk) VALUES (7, 'Yizhuang hub', 'body', '')"
    )
    old.commit()
    old.close()
    store = Store(path)
    hits = store.search(parse_query("Yizhuang tag:industrial-policy", now=NOW), now=NOW)
    assert [h.story.key for h in hits] == ["k"]
    assert store.search(parse_query("Yizhuang tag:ai", now=NOW), now=NOW) == []
    store.close()


# ------------------------------------------------------------ dates that cannot be right


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59Z"),
        (datetime(2020, 10, 15, 11, 0, tzinfo=UTC), "2020-10-15T11:00:00Z"),
    ],
)
def test_stored_times_always_have_four_digit_years(moment: datetime, text: str) -> None:
    assert utc_text(moment) == text and from_utc_text(text) == moment


@pytest.mark.parametrize("text", ["1-01-01T00:00:00Z", "2020-13-01T00:00:00Z", "yesterday", "9"])
def test_a_bad_stored_time_reads_as_none_never_raises(text: str) -> None:
    assert from_utc_text(text) in (None, datetime(1, 1, 1, tzinfo=UTC))


def test_a_bad_published_value_never_stops_loading_or_search(store: Store) -> None:
    store.save(make("k", "Yizhuang hub", "body"))
    store._write("UPDATE stories SET published = '1-01-01T00:00:00Z' WHERE key = 'k'")
    store.save(make("m", "Other hub", "body"))
    store._write("UPDATE stories SET published = 'garbage' WHERE key = 'm'")
    assert {s.key for s in store.recent(NOW - timedelta(days=30))} >= {"m"}  # what start loads
    [hit] = store.search(parse_query("Yizhuang", now=NOW), now=NOW)
    assert hit.story.key == "k"
    assert store.get_story("m").published is None  # type: ignore[union-attr]


def test_migration_008_clears_impossible_published_dates(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number <= 5:
            old.executescript(sql)
    old.execute("PRAGMA user_version = 5")
    dates = {
        "dotnet": "1-01-01T00:00:00Z",
        "epoch": "1970-01-01T00:00:00Z",
        "far": "9999-12-31T00:00:00Z",
        "fine": "2020-10-15T11:00:00Z",
        "none": None,
    }
    for n, (key, published) in enumerate(dates.items(), 1):
        old.execute(
            "INSERT INTO stories (id, key, url, title, feed, source_title, domain, published, "
            "first_seen, cluster_id) VALUES (?, ?, '', 't', 'f', 'F', 'x', ?, "
            "'2026-11-30T00:00:00Z', ?)",
            (n, key, published, n),
        )
    old.execute(
        "INSERT INTO outbox (channel, story_key, kind, next_attempt_at, created_at) "
        "VALUES ('C1', 'fine', 'alert', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')"
    )
    old.commit()
    old.close()
    store = Store(path)
    stored = {s.key: s.published for s in store.recent(datetime(2000, 1, 1, tzinfo=UTC))}
    assert stored == {
        "dotnet": None,
        "epoch": None,
        "far": None,
        "fine": datetime(2020, 10, 15, 11, tzinfo=UTC),
        "none": None,
    }
    [row] = store.outbox_rows()  # the outbox rows survive the table's rebuild
    assert (row.story_key, row.kind, row.text) == ("fine", "alert", None)
    store.close()


def test_search_hit_without_snippet_shows_the_clusters_fuller_text(store: Store) -> None:
    """A teaser stored first, then its full article (a "fuller" copy): the hit shows the full
    text, not the teaser's two lines."""
    store.save(make("t", "AI hub", "Yizhuang pledges an AI hub. Read the full story at X."))
    body = "Yizhuang pledges an AI hub. Ten projects follow, in smart cities and banking."
    full = make("f", "AI hub", body, tags=("ai",))
    store.save(full.with_(duplicate=Match("t", "fuller", {})))
    hits = store.search(parse_query("tag:ai"), now=NOW)
    assert [h.story.key for h in hits] == ["t"] and "Ten projects follow" in hits[0].snippet


def test_a_nul_character_in_feed_text_never_stops_saving_or_search(store: StoreAPI) -> None:
    store.save(make("nul", "Chip\x00 subsidy", "Body with a \x00 NUL"))
    assert [h.story.key for h in store.search(parse_query("subsidy"), now=NOW)] == ["nul"]
