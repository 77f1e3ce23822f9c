"""parse_query: what users type after /hubnews becomes a Query, or a QueryError with an example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import QueryError
from bot.query import MAX_TERMS, parse_query
from bot.store.search import fts_expression

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
