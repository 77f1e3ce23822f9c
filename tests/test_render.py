"""Rendering: feed text stays inert in mrkdwn, Slack's limits hold, the alert has its parts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.render import (
    batch_capacity,
    escape,
    render_alert,
    render_batch,
    render_thread_reply,
    safe_url,
)
from bot.story import Source, Story, Tag

SEED = Story(
    key="https://scmp.com/tech/article/3105729",
    url="https://www.scmp.com/tech/article/3105729",
    title="Beijing E-Town sets up US$7.5 billion chip fund",
    source=Source(feed="scmp-tech", title="South China Morning Post", domain="scmp.com"),
    published=datetime(2020, 10, 15, 11, 0, tzinfo=UTC),
    description="Beijing's Yizhuang district launched a fund. " * 40,
    summary="Beijing E-Town launched a US$7.5 billion fund for chip makers.",
    tags=(Tag("ai", 0.8), Tag("industrial-policy", 0.9)),
)

# Our own tokens: a link to an http(s) URL with a label free of < and >, and the date token.
_OWN_TOKENS = re.compile(
    r"<https?://[^\s<>|]+\|[^<>|]*>|<!date\^\d+\^\{date_short_pretty\} "
    r"\{time\}\|[^<>|]*>"
)
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c]")

INJECTIONS = [
    "<!channel> everyone look",
    "<!here|here> and <!everyone>",
    "<!subteam^S0123|@policy>",
    "<@U123> and <@W999|boss>",
    "<#C0123ABCD|general>",
    "<https://evil.example|https://bank.example>",
    "<mailto:a@evil.example|support> <tel:+1555|call us>",
    "&lt;!channel&gt; pre-escaped",
    "*bold* _italic_ ~strike~ `code` ```block```",
    "> a quote\n>>> a long quote",
    "<\u200b!channel\u200b> split by zero-width spaces",
    "\u202egnp.exe\u202c right-to-left override",
    "\u2066<!here>\u2069 isolates \ufeff\u2060 joiners",
    "https://bare.evil.example/login and #general and @channel",
    "a|b>c<d&e",
]


def texts(value: Any) -> list[str]:
    """Every string under a "text" key in the blocks (mrkdwn and plain_text alike)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                found.append(item)
            else:
                found += texts(item)
    elif isinstance(value, list):
        for item in value:
            found += texts(item)
    return found


def rich_elements(blocks: list[dict]) -> list[dict]:
    """Every element of every rich_text section in the blocks, in order."""
    return [
        element
        for block in blocks
        if block["type"] == "rich_text"
        for section in block["elements"]
        for element in section["elements"]
    ]


def rich_lines(block: dict) -> list[list[dict]]:
    """The lines of a rich_text block (its elements split at newline text elements)."""
    lines: list[list[dict]] = [[]]
    for element in block["elements"][0]["elements"]:
        if element == {"type": "text", "text": "\n"}:
            lines.append([])
        else:
            lines[-1].append(element)
    return lines


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    """Texts Slack parses as mrkdwn: section and context text objects (not rich text)."""
    return texts([b for b in blocks if b["type"] != "rich_text"])


def assert_inert(blocks: list[dict], fallback: str) -> None:
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert not _INVISIBLE.search(dumped + fallback)
    for element in rich_elements(blocks):  # literal text: only text, our links and the date
        assert element["type"] in ("text", "link", "date"), element
        assert set(element.get("style", {})) <= {"bold"}, element
        if element["type"] == "link":
            assert re.fullmatch(r"https?://[^\s<>|]+", element["url"]), element
    assert "<" not in fallback and ">" not in fallback, fallback
    for text in mrkdwn_texts(blocks):
        leftover = _OWN_TOKENS.sub("", text)
        assert not re.search(r"(^|\n)\s*&gt;", text), text  # no block quotes
        assert "<" not in leftover and ">" not in leftover, text
        for ch in "_~`":
            assert ch not in leftover, text


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    "field", ["title", "summary", "description", "source_title", "domain", "feed", "tag"]
)
def test_feed_text_stays_inert_everywhere(field, payload):
    story = SEED
    if field in ("title", "summary", "description"):
        story = story.with_(
            **{field: payload}, **({"summary": ""} if field == "description" else {})
        )
    elif field == "tag":
        story = story.with_(tags=(Tag(payload, 0.9),))
    else:
        source = {"source_title": "title", "domain": "domain", "feed": "feed"}[field]
        values = {"feed": "f", "title": "", "domain": "d.example"} | {source: payload}
        story = story.with_(source=Source(**values))
    for blocks, fallback in (
        render_alert(story),
        render_thread_reply(story, update=False),
        render_thread_reply(story, update=True),
        render_batch([story] * 3),
    ):
        assert_inert(blocks, fallback)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.scmp.com/a?b=1&c=2", "https://www.scmp.com/a?b=1&amp;c=2"),
        ("https://ok.example/a|<!channel>", "https://ok.example/a%7C%3C!channel%3E"),
        ("https://ok.example/x>y", "https://ok.example/x%3Ey"),
        ("HTTP://OK.EXAMPLE/", "HTTP://OK.EXAMPLE/"),
        ("javascript:alert(1)", None),
        ("ftp://files.example/a", None),
        ("//evil.example/a", None),
        ("https://ok.example/a b", None),
        ("https://ok.example/\u202ea", None),
        ("https://ok.example/" + "a" * 5000, None),
        ("", None),
    ],
)
def test_only_plain_http_urls_become_links(url, expected):
    assert safe_url(url) == expected


def test_unsafe_story_url_renders_the_title_without_a_link():
    blocks, _ = render_alert(SEED.with_(url="javascript:alert(1)", canonical_url=""))
    assert rich_elements(blocks)[0] == _bold("Beijing E-Town sets up US$7.5 billion chip fund")


def _bold(text: str) -> dict:
    return {"type": "text", "text": text, "style": {"bold": True}}


def test_escape_replaces_the_three_characters_and_drops_invisible_ones():
    assert escape("a & b < c > d\u200b\u202e") == "a &amp; b &lt; c &gt; d"


def test_alert_has_linked_title_source_date_tags_summary_and_buttons():
    blocks, fallback = render_alert(SEED)
    assert len(blocks[0]["elements"]) == 1
    title, details, ai, industrial_policy, summary = rich_lines(blocks[0])
    assert title == [
        {
            "type": "link",
            "url": "https://www.scmp.com/tech/article/3105729",
            "text": "Beijing E-Town sets up US$7.5 billion chip fund",
            "style": {"bold": True},
        }
    ]
    assert details == [
        {"type": "text", "text": "South China Morning Post (scmp.com) · "},
        {
            "type": "date",
            "timestamp": 1602759600,
            "format": "{date_short_pretty} {time}",
            "fallback": "15 Oct 2020 11:00 UTC",
        },
    ]
    # one line per tag, its strongest evidence (none recorded here: the score)
    assert ai == [
        {"type": "text", "text": "ai", "style": {"bold": True}},
        {"type": "text", "text": " — score 0.80"},
    ]
    assert industrial_policy[1] == {"type": "text", "text": " — score 0.90"}
    assert summary == [{"type": "text", "text": SEED.summary}]
    buttons = blocks[1]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("👍 Relevant", "feedback_relevant", SEED.key),
        ("👎 Not relevant", "feedback_not_relevant", SEED.key),
        ("Why?", "why", SEED.key),
    ]
    assert fallback == "Beijing E-Town sets up US$7.5 billion chip fund — South China Morning Post"


def test_alert_shows_each_tags_strongest_evidence_once_and_inert():
    from bot.story import Evidence

    story = SEED.with_(
        tags=(
            Tag(
                "ai",
                0.9,
                (
                    Evidence("AI hub", "ai hub", "lede", 1.0),
                    Evidence("artificial intelligence", "artificial intelligence", "title", 2.0),
                    Evidence("ai hub", "ai hub", "body", 0.5),  # the same words: shown once
                    Evidence("<!channel> MOST", "most", "body", 0.7),
                    Evidence("weakest", "w", "body", 0.1),  # beyond the three strongest
                ),
            ),
        )
    )
    blocks, _ = render_alert(story)
    ai_line = rich_lines(blocks[0])[2]
    assert ai_line == [
        {"type": "text", "text": "ai", "style": {"bold": True}},
        {
            "type": "text",
            "text": " — artificial intelligence (title) · AI hub (lede) · <!channel> MOST (body)",
        },
    ]  # rich text is literal: `<!channel>` is shown, never a mention


@pytest.mark.parametrize(
    "title",
    ["*AI* rules", "_Chips_ act ~draft~", "`code` and ```blocks```", "R&D <b> 5 > 3", "> quote"],
)
def test_feed_text_keeps_its_own_characters_and_cannot_format(title):
    """Rich text shows `*AI*` as typed (no look-alikes); the notification text keeps it too."""
    blocks, fallback = render_alert(SEED.with_(title=title))
    assert rich_elements(blocks)[0]["text"] == title
    assert "style" not in rich_elements(blocks)[-1]  # only the title is bold, by our choice
    expected = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert fallback == f"{expected} — South China Morning Post"
    reply, reply_text = render_thread_reply(SEED.with_(title=title), update=True)
    assert rich_elements(reply)[1]["text"] == title and reply_text == f"Updated: {expected}"
    batch, _ = render_batch([SEED.with_(title=title)] * 2)
    assert [e["text"] for e in rich_elements(batch) if e["type"] == "link"] == [title] * 2
    for ch in "∗ˍ∼ˋ＞":
        assert ch not in json.dumps(blocks + reply + batch, ensure_ascii=False) + fallback


def test_alert_without_summary_uses_a_trimmed_description():
    blocks, _ = render_alert(SEED.with_(summary=""))
    text = rich_elements(blocks)[-1]["text"]
    assert text.startswith("Beijing's Yizhuang district launched a fund.")
    assert len(text) <= 600 and text.endswith("…")


def test_alert_without_date_says_so():
    blocks, _ = render_alert(SEED.with_(published=None))
    details = rich_lines(blocks[0])[1]
    assert [e["text"] for e in details[:2]] == [
        "South China Morning Post (scmp.com) · ",
        "date unknown",
    ]


def test_posted_link_is_shown():
    blocks, _ = render_alert(SEED, posted_link="https://team.slack.com/archives/C1/p1")
    assert rich_lines(blocks[0])[1][-1] == {
        "type": "link",
        "url": "https://team.slack.com/archives/C1/p1",
        "text": "View in Slack",
    }


def huge_story() -> Story:
    five_mb = ("<!channel> & " + "word " * 20) * (5 * 2**20 // 113)
    return SEED.with_(
        title="&" * 100_000,
        summary=five_mb,
        description=five_mb,
        key="k" * 5000,
        url="https://ok.example/" + "&" * 3000,
        source=Source(feed="f" * 10_000, title="<" * 10_000, domain="d" * 10_000),
        tags=tuple(Tag(f"tag-{i}" * 20, 0.5) for i in range(1000)),
    )


def assert_within_limits(blocks: list[dict], fallback: str) -> None:
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            assert all(len(e["value"]) <= 2000 for e in block["elements"])
    assert len(fallback) <= 300
    assert len(json.dumps(blocks)) < 40_000


def test_huge_story_respects_slack_limits():
    story = huge_story()
    blocks, fallback = render_alert(story)
    assert_within_limits(blocks, fallback)
    assert_inert(blocks, fallback)
    assert "+988 more" in json.dumps(blocks)
    assert all(block["type"] != "actions" for block in blocks)  # a 5,000-char key fits no button
    assert_within_limits(*render_thread_reply(story, update=False))


def test_thread_reply_names_the_new_source_with_its_link():
    copy = SEED.with_(
        key="c",
        url="https://news.example/x",
        title="E-Town chip fund <b>",
        source=Source("other", "Other News", "news.example"),
    )
    blocks, fallback = render_thread_reply(copy, update=False)
    assert rich_elements(blocks) == [
        {"type": "text", "text": "+1 source: "},
        {"type": "link", "url": "https://news.example/x", "text": "E-Town chip fund <b>"},
        {"type": "text", "text": " — news.example"},
    ]
    assert fallback == "+1 source: E-Town chip fund &lt;b&gt; — news.example"
    blocks, fallback = render_thread_reply(copy, update=True)
    assert [e["text"] for e in rich_elements(blocks)] == ["Updated: ", "E-Town chip fund <b>"]


def test_thread_reply_offers_not_a_copy_for_its_own_key():
    copy = SEED.with_(key="c-1", source=Source("other", "Other News", "news.example"))
    blocks, _ = render_thread_reply(copy, update=False)
    [button] = blocks[-1]["elements"]
    assert (button["action_id"], button["value"], button["text"]["text"]) == (
        "not_a_copy",
        "c-1",
        "Not a copy",
    )


def test_batch_lists_every_story_within_the_limits():
    stories = [
        SEED.with_(
            key=f"k{i}",
            title=f"Story {i} " + "x" * 180,
            url=f"https://ok.example/{i}?" + "a=1&" * 300,
        )
        for i in range(500)
    ]
    blocks, fallback = render_batch(stories)
    assert_within_limits(blocks, fallback)
    assert blocks[0]["text"]["text"] == "*500 new stories*"
    lines = sum(len(rich_lines(b)) for b in blocks if b["type"] == "rich_text")
    assert lines == sum(e.get("text") == "• " for e in rich_elements(blocks))
    more = re.search(r"…and (\d+) more", json.dumps(blocks, ensure_ascii=False))
    assert more is not None
    assert lines + int(more.group(1)) == 500
    assert lines == batch_capacity(stories) > 10
    assert fallback == "500 new stories"


def test_small_batch_shows_all_stories():
    assert batch_capacity([SEED, SEED]) == 2
    blocks, _ = render_batch([SEED, SEED.with_(title="Second")])
    assert len(blocks) == 2
    assert len(rich_lines(blocks[1])) == 2
    assert "…and" not in json.dumps(blocks)


def test_thread_reply_for_a_fuller_version_says_full_text():
    from bot.story import Match

    full = SEED.with_(
        key="full",
        url="https://news.example/full",
        title="Beijing tech park eyes AI hub",
        source=Source("other", "Other News", "news.example"),
        duplicate=Match("teaser", "fuller", {}, {}, "It opens with the earlier story."),
    )
    blocks, fallback = render_thread_reply(full, update=False)
    assert fallback == "+1 source (full text): Beijing tech park eyes AI hub — news.example"
    assert rich_elements(blocks)[0] == {"type": "text", "text": "+1 source (full text): "}
    assert rich_elements(blocks)[1]["url"] == "https://news.example/full"
