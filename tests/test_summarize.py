"""summarize: 1-3 extracted sentences, at most 600 characters, boilerplate stripped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.story import Source, Story
from bot.summarize import summarize

from conftest import seed

LEDE = (
    "A Beijing tech park better known for JD.com’s new headquarters and where Baidu tests "
    "its self-driving cars has pledged to reinvent itself as an artificial intelligence "
    "powerhouse"
)
# Sentence ends: punctuation then space and a capital, not inside "JD.com" or "US$7.5".
_END = re.compile(r"[.!?…][\"”’)]*(?=\s+[\"“‘(]?[A-Z0-9]|$)")


def make_story(body: str, title: str = "Headline", description: str = "") -> Story:
    return Story(
        key="k",
        url="",
        title=title,
        source=Source("t", "Test", "example.com"),
        published=None,
        description=description,
        content=body,
    )


def sentence_count(text: str) -> int:
    return len(_END.findall(text))


def in_text(summary: str, body: str) -> bool:
    """Every word of the summary occurs in the body (extractive, light cuts allowed)."""
    words = set(re.findall(r"\w+", body))
    return all(w in words for w in re.findall(r"\w+", summary))


@pytest.mark.parametrize("name", ["original", "copy"])
def test_seed_summary_is_the_lede_plus_the_key_figure(name: str) -> None:
    title, body = seed(name)
    summary = summarize(make_story(body, title))
    assert summary.startswith(LEDE)
    assert "US$7.5 billion" in summary and "50 billion yuan" in summary
    assert len(summary) <= 600 and 1 <= sentence_count(summary) <= 3
    assert "Published" not in summary and "scmp.com" not in summary
    assert in_text(summary, body)


@pytest.mark.parametrize(
    ("junk", "body"),
    [
        ("By Jane Doe", "By Jane Doe\nThe ministry approved the plan on Monday. It costs $2bn."),
        (
            "Published",
            "Published: 7:00pm, 15 Oct, 2020\nThe ministry approved the plan. It costs $2bn.",
        ),
        ("Getty", "Photo: Getty Images\nThe ministry approved the plan. It costs $2bn."),
        ("Read more", "The ministry approved the plan. It costs $2bn. Read more…"),
        (
            "Subscribe",
            "The ministry approved the plan Subscribe or log in to read the rest of this content.",
        ),
        (
            "appeared first",
            "The ministry approved the plan.\nThe post Plan approved appeared first "
            "on Example News.",
        ),
        ("Continue reading", "The ministry approved the plan. Continue reading..."),
        ("www.", "The ministry approved the plan.\nwww.example.com"),
    ],
)
def test_boilerplate_is_stripped(junk: str, body: str) -> None:
    summary = summarize(make_story(body, "Ministry approves plan"))
    assert junk not in summary
    assert summary.startswith("The ministry approved the plan")


def test_bullet_standfirst_is_kept_when_it_is_the_best_summary() -> None:
    body = (
        "- Japan will subsidise chip plants with ¥3.9 trillion over seven years\n"
        "- The trade ministry says Rapidus and TSMC will be the first to benefit\n"
        "“We have waited a long time for this,” said one executive in Tokyo.\n"
        "Officials gave few other details on Friday."
    )
    summary = summarize(make_story(body, "Japan to subsidise chip plants with ¥3.9 trillion"))
    assert summary == (
        "Japan will subsidise chip plants with ¥3.9 trillion over seven years. "
        "The trade ministry says Rapidus and TSMC will be the first to benefit."
    )


def test_lede_beats_a_standfirst_that_covers_the_headline_less() -> None:
    title, body = seed("copy")  # starts with two bullets about other points
    summary = summarize(make_story(body, title))
    assert summary.startswith(LEDE) and "While Yizhuang" not in summary


def test_lines_broken_mid_sentence_are_joined() -> None:
    body = "The economy is making all out efforts, a move that is\ncreating friction\nwith the US."
    assert summarize(make_story(body)) == (
        "The economy is making all out efforts, a move that is creating friction with the US."
    )


def test_without_a_figure_two_short_sentences_are_kept() -> None:
    body = "The ministry named a new AI hub. Local firms welcomed it. A third sentence follows."
    expected = "The ministry named a new AI hub. Local firms welcomed it."
    assert summarize(make_story(body)) == expected


def test_abbreviations_do_not_end_a_sentence() -> None:
    body = "Mr. Smith of Acme Co. Ltd said the U.S. plan works. Sales rose 5% to $3bn."
    assert summarize(make_story(body)) == body


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("empty", ""),
        ("only whitespace", " \n\t "),
        ("5 MB", "Words without an end " * 250_000),
        ("one endless sentence", "word " * 400),
        (
            "html leftovers",
            "<p>The <b>ministry</b> approved&nbsp;the plan.</p><script>x()</script>",
        ),
        ("emoji", "🚀 The ministry approved the plan 🎉. It costs 💰 $2bn."),
        ("non-English", "北京亦庄获科技部批准。目标市值500亿元。"),
    ],
)
def test_bad_input_gives_a_short_summary(case: str, body: str) -> None:
    summary = summarize(make_story(body))
    assert len(summary) <= 600
    assert "<" not in summary and "script" not in summary


def test_summary_prefers_content_over_description() -> None:
    story = make_story("The full article starts here. It has details.", description="Short teaser.")
    assert summarize(story).startswith("The full article starts here.")


def test_description_only_story_is_summarised() -> None:
    story = Story(
        key="k",
        url="",
        title="T",
        source=Source("t", "T", "x"),
        published=None,
        description="The teaser says what happened. And why.",
    )
    assert summarize(story) == "The teaser says what happened. And why."


def test_real_articles_get_extractive_summaries_within_limits(corpus: Path) -> None:
    lines = (corpus / "articles" / "bbc.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[::25]:  # 89 articles across all five categories
        article = json.loads(line)
        summary = summarize(make_story(article["body"], article["title"]))
        assert summary, article["id"]
        assert len(summary) <= 600 and 1 <= sentence_count(summary) <= 3, article["id"]
        assert in_text(summary, article["body"]), article["id"]
