"""Block Kit for what /hubnews answers: search results, help, why, feeds. Pure functions.

Every piece of feed text goes through bot.render's `inert`/`escape`/`link`; matched words in
search snippets (between the store's MARK_START and MARK_END) are bolded after escaping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.render import escape, fallback, inert, link, source_line, story_url, tags_line
from bot.store import FeedStatus, Hit
from bot.store.search import MARK_END, MARK_START
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
        "Admins: `/hubnews feeds add <url> [name]`, `/hubnews feeds remove <name>`, "
        "`/hubnews feeds enable <name>`, `/hubnews follow tag:ai` / `/hubnews unfollow` "
        "(in the channel to route to)",
    ]
)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000], "verbatim": True}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def message(text: str) -> tuple[Blocks, str]:
    """A plain answer (text the bot wrote itself; callers escape any user text in it)."""
    return [section(text)], text[:300]


def help_view() -> tuple[Blocks, str]:
    return [section(HELP)], "How to use /hubnews"


def snippet(text: str) -> str:
    """A search snippet with matched words in bold; everything else inert."""
    out = []
    for n, part in enumerate(text.replace(MARK_END, MARK_START).split(MARK_START)):
        piece = inert(part, SNIPPET_MAX)
        out.append(f"*{piece.strip()}*" if n % 2 and piece.strip() else piece)
    return " ".join(p for p in out if p)[: SNIPPET_MAX * 2]


def search_view(
    query: str,
    hits: Sequence[Hit],
    *,
    offset: int,
    posts: dict[str, str],
    notes: Sequence[str] = (),
    more: bool = False,
) -> tuple[Blocks, str]:
    """Results `offset+1…`; `posts` maps story keys to the Slack link of their alert."""
    head = f"*Stories matching* `{inert(query, 200)}`"
    if offset:
        head += f" (from {offset + 1})"
    blocks: Blocks = [section(head)]
    for number, hit in enumerate(hits, offset + 1):
        blocks.append(section(_hit_text(number, hit, posts.get(hit.story.key))))
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


def _hit_text(number: int, hit: Hit, post: str | None) -> str:
    story = hit.story
    title = link(story_url(story), f"*{inert(story.title, 200) or '(untitled)'}*")
    lines = [f"{number}. {title}", source_line(story)]
    extra = [tags_line(story)] if story.tags else []
    if hit.sources > 1:
        extra.append(f"{hit.sources} sources")
    if post:
        extra.append(link(post, "alert in Slack"))
    if extra:
        lines.append(" · ".join(extra))
    lines.append(f"> {snippet(hit.snippet)}")
    return "\n".join(lines)


def no_hits_view(query: str, suggestions: Sequence[str]) -> tuple[Blocks, str]:
    text = f"No stories match `{inert(query, 200)}`."
    if suggestions:
        text += f" Did you mean *{inert(' '.join(suggestions), 200)}*?"
    else:
        text += " Try fewer words, or drop a filter."
    return message(text)


def why_view(story: Story, hold_reason: str | None, cluster: Sequence[Story]) -> tuple[Blocks, str]:
    blocks: Blocks = [
        section(link(story_url(story), f"*{inert(story.title, 200)}*") + "\n" + source_line(story))
    ]
    if story.tags:
        for tag in story.tags[:10]:
            evidence = "; ".join(f"{inert(e.text, 60)} ({e.where})" for e in tag.evidence[:6])
            blocks.append(section(f"*{inert(tag.id, 60)}* {tag.score:.2f} — {evidence}"))
    else:
        blocks.append(section("No topic tags: nothing in it matched the taxonomy strongly."))
    if story.duplicate:
        match = story.duplicate
        scores = ", ".join(f"{k} {v:g}" for k, v in list(match.scores.items())[:8])
        blocks.append(
            section(
                f"*Folded as a copy* ({escape(match.kind)}) of "
                f"`{inert(match.original_key, 300)}`: {inert(match.reason, 600)}"
                f"\nScores: {escape(scores)}"
            )
        )
    elif len(cluster) > 1:
        others = ", ".join(inert(s.source.domain or s.source.title, 60) for s in cluster[1:6])
        blocks.append(section(f"*{len(cluster) - 1} copies folded into it* from {others}"))
    if hold_reason:
        blocks.append(context(f"Not alerted: {inert(hold_reason, 300)}"))
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
