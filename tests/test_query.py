"""parse_query: what users type after /hubnews becomes a Query, or a QueryError with an example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import QueryError
from bot.query import MAX_TERMS, parse_query
from bot.store.sqlite.search import fts_expression

NOW = datetime(2020, 11, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "groups", "tags", "sources"),
    [
        ("Yizhuang", (("Yizhuang",),), (), ()),
        ('"science ministry" AI', (("science ministry",), ("AI",)), (), ()),
        ("chips OR semiconductors subsidy", (("chips", "semiconductors"), ("subsidy",)), (), ()),
        (
            "Yizhuang tag:AI tag:industrial-policy",
            (("Yizhuang",),),
            ("ai", "industrial-policy"),
            (),
        ),
        ("source:SCMP.com hub", (("hub",),), (), ("scmp.com",)),
        ("亦庄", (("亦庄",),), (), ()),
        ("Yi\u200bzhuang", (("Yizhuang",),), (), ()),
        ("NEAR(a b) *", (("NEAR a",), ("b",)), (), ()),
        ('OR OR "', (), (), ()),
    ],
)
def test_words_phrases_and_filters(text: str, groups: tuple, tags: tuple, sources: tuple) -> None:
    if not groups and not tags and not sources:
        with pytest.raises(QueryError):
            parse_query(text, now=NOW)
        return
    query = parse_query(text, now=NOW)
    assert (query.groups, query.tags, query.sources) == (groups, tags, sources)


def test_since_and_before() -> None:
    query = parse_query("hub since:7d before:2020-11-01", now=NOW)
    assert query.since == NOW - timedelta(days=7)
    assert query.before == datetime(2020, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("", "nothing to search for", "/hubnews Yizhuang"),
        ("   🚀 ", "nothing to search for", "/hubnews Yizhuang"),
        ("since:yesterday", "neither a duration nor a date", "since:7d"),
        ("tag:", "needs a value", "/hubnews"),
        ("x since:2020-11-02 before:2020-11-01", "not before", "swap"),
    ],
)
def test_bad_queries_explain_what_to_type(text: str, message: str, hint: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        parse_query(text, now=NOW)
    assert hint in caught.value.hint


def test_long_queries_are_trimmed_with_a_note() -> None:
    query = parse_query("word " * 2000, now=NOW)
    assert len(query.groups) == MAX_TERMS and query.notes


def test_every_word_reaches_fts_quoted() -> None:
    query = parse_query('AI" OR x NEAR(y', now=NOW)
    expression = fts_expression(query)
    assert expression == (
        '({title body} : "AI" OR {title body} : "x") AND ({title body} : "NEAR y")'
    )


def test_cjk_words_search_the_bigram_column() -> None:
    assert fts_expression(parse_query("北京亦庄", now=NOW)) == '(cjk : "北京 京亦 亦庄")'


HOSTILE_DATES = [
    ("since:99999-01-01", "neither a duration nor a date"),
    ("before:0000-00-00", "neither a duration nor a date"),
    ("since:1e400", "neither a duration nor a date"),
    ("since:99999999999d", "reaches too far back"),
    ("before:999999w", "reaches too far back"),
    ("since:" + "9" * 400 + "s", "reaches too far back"),
    ("since:0001-01-01", "outside the years"),
    ("since:0001-01-01T00:00+01:00", "outside the years"),  # overflows when moved to UTC
    ("before:9999-12-31T23:59:59-23:59", "outside the years"),
    ("before:0999-12-31", "outside the years"),  # a 3-digit year would sort after 2020
]


@pytest.mark.parametrize(("text", "message"), HOSTILE_DATES, ids=[t[:30] for t, _ in HOSTILE_DATES])
def test_out_of_range_dates_are_query_errors_with_a_next_step(text: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(f"chips {text}", now=NOW)
    assert message in caught.value.message
    assert len(caught.value.message) < 120  # a long value is shortened
    name = text.split(":")[0]
    assert f"{name}:" in caught.value.hint and "2020-11-01" in caught.value.hint


def test_dates_at_the_edges_of_the_searchable_range_still_work() -> None:
    query = parse_query("chips since:36525d before:2020-01-01T00:00+05:00", now=NOW)
    assert query.since == NOW - timedelta(days=36525)
    assert query.before == datetime(2019, 12, 31, 19, tzinfo=UTC)


@pytest.mark.parametrize("text", ["tag:\x00\r<!channel>", "chips\x00", "\x1b[31mchips", "a\x07b"])
def test_control_characters_never_reach_the_search_engine(store, text: str) -> None:
    query = parse_query(text)
    assert not any(ord(ch) < 32 for term in [*query.words, *query.tags] for ch in term)
    store.search(query)  # never "unterminated string"
