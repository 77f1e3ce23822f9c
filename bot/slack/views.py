"""Block Kit for what /hubnews answers: search results, help, why, feeds. Pure functions.

Stories (search hits, why) are rich_text blocks built with bot.render's elements: feed text is
shown exactly and cannot format or mention; matched words in search snippets (between the
store's MARK_START and MARK_END) get the bold style. Answers the bot writes itself are mrkdwn,
any feed or user text in them made inert (`inert`/`escape`); every `text` goes through
`fallback`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.render import (
    date_el,
    escape,
    fallback,
    fit,
    inert,
    link_el,
    plain,
    rich,
    source_text,
    story_url,
    tags_text,
    text_el,
)
from bot.store import FeedStatus, Hit
from bot.store.sqlite.search import MARK_END, MARK_START
from bot.story import Story

PAGE = 5
SECTION_MAX = 3000
SNIPPET_MAX = 400
Blocks = list[dict[str, Any]]

HELP = "\n".join(
    [
        "*`/hubnews` — search the stories hubnews has seen*",
        "• `/hubnews Yizhuang` — best matches first (relevance and recency); copies are folded "
        "into the first story",
        "• Filters: `tag:ai`  `source:scmp.com`  `since:7d`  `before:2020-11-01`  "
        '`"quoted phrase"`  `a OR b`; Chinese works (`亦庄`)',
        "• `/hubnews why <story link or key>` — why it was tagged, or folded as a copy",
        "• `/hubnews feeds` — the feeds and their health",
        "• `/hubnews watch <query> [in #channel]`, `watches`, `unwatch <id>` — your own alerts "
        "(DM or channel); `mute source:<domain>|tag:<tag> [for 8h]`, `unmute`, `mutes`; "
        "admins: `snooze 2h|off`. The Home tab shows them all",
        "• `/hubnews split <story link>` — not a copy after all: give it its own alert "
        "(the *Not a copy* button under a thread reply does the same)",
        "• `/hubnews feedback` — this channel's tag thresholds and the 👍/👎 votes behind them",
        "Admins: `/hubnews feeds add <url> [name]`, `/hubnews feeds remove <name>`, "
        "`/hubnews feeds enable <name>`, `/hubnews feeds import <OPML url>`, "
        "`/hubnews follow tag:ai` / `/hubnews unfollow` "
        "(in the channel to route to), `/hubnews feedback reset` (votes so far stop tuning "
        "this channel)",
    ]
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def message(text: str) -> tuple[Blocks, str]:
    """A plain answer (text the bot wrote itself; callers escape any user text in it)."""
    return [section(text)], fit(text, 300)


def help_view() -> tuple[Blocks, str]:
    return [section(HELP)], "How to use /hubnews"


def snippet(text: str) -> list[dict]:
    """A search snippet as rich text: matched words in bold, every character as in the feed."""
    out: list[dict] = []
    budget = SNIPPET_MAX * 2
    for n, part in enumerate(text.replace(MARK_END, MARK_START).split(MARK_START)):
        piece = plain(part, SNIPPET_MAX)
        if not piece or budget <= 0:
            continue
        piece = piece[:budget]
        budget -= len(piece)
        if out:
            out.append(text_el(" "))
        out.append(text_el(piece, bold=True) if n % 2 else text_el(piece))
    return out


def search_view(
    query: str,
    hits: Sequence[Hit],
    *,
    offset: int,
    posts: dict[str, str],
    notes: Sequence[str] = (),
    more: bool = False,
) -> tuple[Blocks, str]:
    """Results `offset+1…`; `posts` maps story keys to the Slack link of their alert.

    Feed text (and the query) sits in rich_text blocks: shown exactly, never formatted."""
    head = [text_el("Stories matching ", bold=True), text_el(plain(query, 200), code=True)]
    if offset:
        head.append(text_el(f" (from {offset + 1})"))
    blocks: Blocks = [rich(head)]
    for number, hit in enumerate(hits, offset + 1):
        blocks.append(_hit(number, hit, posts.get(hit.story.key)))
    if notes:
        blocks.append(context(" · ".join(escape(n) for n in notes)))
    if more:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "more",
                        "text": {"type": "plain_text", "text": "More"},
                        "value": f"{offset + len(hits)}|{query}"[:2000],
                    }
                ],
            }
        )
    return blocks, fallback(f"{len(hits)} stories match {query}")


def _hit(number: int, hit: Hit, post: str | None) -> dict[str, Any]:
    story = hit.story
    title = plain(story.title, 200) or "(untitled)"
    lines = [
        [text_el(f"{number}. "), link_el(story_url(story), title, bold=True)],
        [text_el(source_text(story) + " · "), date_el(story)],
    ]
    extra = [text_el(tags_text(story))] if story.tags else []
    if hit.sources > 1:
        extra.append(text_el(f"{hit.sources} sources"))
    if post:
        extra.append(link_el(post, "alert in Slack"))
    if extra:
        joined: list[dict] = []
        for item in extra:
            joined += [text_el(" · "), item] if joined else [item]
        lines.append(joined)
    lines.append(snippet(hit.snippet) or [text_el("")])
    return rich(*lines)


def no_hits_view(query: str, suggestions: Sequence[str]) -> tuple[Blocks, str]:
    text = f"No stories match `{inert(query, 200)}`."
    if suggestions:
        text += f" Did you mean *{inert(' '.join(suggestions), 200)}*?"
    else:
        text += " Try fewer words, or drop a filter."
    return message(text)


def why_view(story: Story, hold_reason: str | None, cluster: Sequence[Story]) -> tuple[Blocks, str]:
    """Why a story was tagged (with evidence), folded as a copy, or not alerted; feed text in
    rich_text blocks, shown exactly."""
    title = plain(story.title, 200) or "(untitled)"
    blocks: Blocks = [
        rich(
            [link_el(story_url(story), title, bold=True)],
            [text_el(source_text(story) + " · "), date_el(story)],
        )
    ]
    if story.tags:
        for tag in story.tags[:10]:
            evidence = "; ".join(f"{plain(e.text, 60)} ({e.where})" for e in tag.evidence[:6])
            blocks.append(
                rich(
                    [
                        text_el(plain(tag.id, 60), bold=True),
                        text_el(f" {tag.score:.2f} — {evidence}"),
                    ]
                )
            )
    else:
        blocks.append(section("No topic tags: nothing in it matched the taxonomy strongly."))
    if story.duplicate:
        match = story.duplicate
        scores = ", ".join(f"{k} {v:g}" for k, v in list(match.scores.items())[:8])
        blocks.append(
            rich(
                [
                    text_el("Folded as a copy", bold=True),
                    text_el(f" ({plain(match.kind, 40)}) of "),
                    text_el(plain(match.original_key, 300), code=True),
                    text_el(f": {plain(match.reason, 600)}"),
                ],
                [text_el(f"Scores: {plain(scores, 400)}")],
            )
        )
    elif len(cluster) > 1:
        others = ", ".join(plain(s.source.domain or s.source.title, 60) for s in cluster[1:6])
        blocks.append(
            rich(
                [
                    text_el(f"{len(cluster) - 1} copies folded into it", bold=True),
                    text_el(f" from {others}"),
                ]
            )
        )
    if hold_reason:
        blocks.append(rich([text_el(f"Not alerted: {plain(hold_reason, 300)}", italic=True)]))
    return blocks, fallback(f"Why: {story.title}")


FEEDS_PAGE = 20  # feeds per answer; the rest behind a "More feeds" button
_LOCAL_PATH = re.compile(r"(?<![\w:/.])(?:file://)?/(?:[^\s/'\"()]+/)*[^\s/'\"()]+")


def feeds_view(
    statuses: Sequence[FeedStatus], *, start: int = 0, admin: bool = False
) -> tuple[Blocks, str]:
    """Feeds `start+1…` with their health, whole lines packed into sections (never cut), a
    "More feeds" button while some are left. Feed addresses are shown to admins only; others
    see no server paths (a local feed's path, a path in an error) either."""
    if not statuses:
        return message("No feeds yet. Admins: `/hubnews feeds add <url>`.")
    shown = statuses[start : start + FEEDS_PAGE]
    if not shown:
        return message(f"There are {len(statuses)} feeds; none after number {start}.")
    lines = [_feed_line(feed, admin) for feed in shown]
    end = start + len(shown)
    head = f"*Feeds {start + 1}–{end} of {len(statuses)}*"
    blocks: Blocks = [section(head)]
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_MAX:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(section(current))
    if end < len(statuses):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "feeds_more",
                        "text": {"type": "plain_text", "text": "More feeds"},
                        "value": str(end),
                    }
                ],
            }
        )
    return blocks, fallback(f"Feeds {start + 1}–{end} of {len(statuses)}")


def _feed_line(feed: FeedStatus, admin: bool) -> str:
    def shown(text: str) -> str:
        if not admin:
            text = text.replace(feed.url, "(the feed's address)") if feed.url else text
            text = _LOCAL_PATH.sub("(a server path)", text)
        return inert(text, 200)

    if not feed.enabled:
        state = f":no_entry: disabled — {shown(feed.disabled_reason or 'by an admin')}"
    elif feed.consecutive_failures:
        state = f":warning: {feed.consecutive_failures} failures — {shown(feed.last_error or '')}"
    elif feed.last_ok:
        state = f":white_check_mark: ok {feed.last_ok:%d %b %H:%M} UTC"
    else:
        state = "not polled yet"
    where = f" `{inert(feed.url, 300)}`" if admin and feed.url else ""
    return f"• *{inert(feed.name, 80)}* ({escape(feed.origin)}){where} {state}"
