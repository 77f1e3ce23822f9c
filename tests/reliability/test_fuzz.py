"""Property-based fuzzing (hypothesis) of the feed adapter, the query parser + search, and the
renderer, 150 examples each (hypothesis keeps the failures it finds in its database)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError, QueryError
from bot.fetch import Fetched
from bot.parse import parse
from bot.query import parse_query
from bot.render import render_alert
from bot.store import Store
from bot.story import Source, Story, Tag

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
SNIPPETS = st.sampled_from(
    [
        "<!channel>",
        "<@U1>",
        "<https://evil.example|ok>",
        "&",
        "<",
        ">",
        "\u202e",
        "\u200b",
        "*",
        "_",
        "~",
        "`",
        "]]>",
        "<![CDATA[",
        "&amp;",
        '"',
        "'",
        "\\",
        "OR",
        "NEAR(",
        "(",
        ")",
        "*",
        "tag:",
        "since:",
        "亦庄",
        "🚀",
        "\x00",
        "\n",
    ]
)
MIXED = st.lists(st.one_of(SNIPPETS, TEXT), max_size=12).map("".join)


def _rss(title: str, description: str) -> bytes:
    def cdata(text: str) -> str:
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    body = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F'
        f"</title><item><title>{cdata(title)}</title><link>https://x.example/1</link>"
        f"<description>{cdata(description)}</description></item></channel></rss>"
    )
    return body.encode("utf-8", "surrogatepass")


@FAST
@given(st.binary(max_size=2000))
def test_parse_never_fails_on_arbitrary_bytes(body: bytes) -> None:
    try:
        parsed = parse(Fetched(url="https://x.example/f", status=200, body=body), "f", "f")
    except ParseError as exc:
        assert exc.hint
        return
    assert all(isinstance(s.title, str) and s.key for s in parsed.stories)


@FAST
@given(MIXED, MIXED)
def test_parse_keeps_any_text_of_a_wellformed_feed(title: str, description: str) -> None:
    try:
        parsed = parse(
            Fetched(url="https://x.example/f", status=200, body=_rss(title, description)), "f", "f"
        )
    except ParseError:
        return  # e.g. NUL characters make the XML itself invalid
    for story in parsed.stories:
        assert "<script" not in story.body.lower() or "<script" in description.lower()


@FAST
@given(MIXED)
def test_queries_give_hits_or_a_query_error(text: str) -> None:
    with _OneStoryStore() as store:
        try:
            query = parse_query(text, now=datetime(2026, 1, 1, tzinfo=UTC))
        except QueryError as exc:
            assert exc.hint
            return
        store.search(query)


@FAST
@given(MIXED, MIXED, MIXED)
def test_rendered_alerts_stay_inert_and_within_limits(
    title: str, summary: str, source: str
) -> None:
    story = Story(
        key="k",
        url="https://news.example/a",
        title=title,
        source=Source(source, source, "news.example"),
        published=None,
        summary=summary,
        tags=(Tag("ai", 0.9),),
    )
    blocks, fallback = render_alert(story)
    mrkdwn = [block for block in blocks if block["type"] != "rich_text"]  # rich text is literal
    dumped = json.dumps(mrkdwn, ensure_ascii=False)
    assert not re.search(r"<[!@#]", dumped.replace("<!date^", ""))
    rich = [e for b in blocks if b["type"] == "rich_text" for e in b["elements"][0]["elements"]]
    assert {e["type"] for e in rich} <= {"text", "link", "date"}
    assert "<" not in fallback and ">" not in fallback
    assert len(blocks) <= 50 and len(fallback) <= 3000
    for block in blocks:
        text = block.get("text", {}).get("text", "") if isinstance(block.get("text"), dict) else ""
        assert len(text) <= 3000


class _OneStoryStore:
    """A store holding one story, for search fuzzing."""

    def __enter__(self) -> Store:
        self.store = Store(":memory:")
        self.store.save(
            Story(
                key="a",
                url="https://x.example/a",
                title="Beijing AI hub 亦庄",
                source=Source("f", "F", "x.example"),
                published=None,
                content="tag: since: OR NEAR( * quotes \" and ' here",
            )
        )
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
