"""Stories as Slack Block Kit messages: pure functions returning `(blocks, fallback_text)`.

All feed text goes through `escape` before it reaches a message: `&`, `<`, `>` become entities
(so `<!channel>`, `<@U123>` and `<https://evil.example|https://bank.example>` stay inert text),
zero-width, bidi-override and control characters are removed, and in mrkdwn the formatting
characters `* _ ~ \\`` (and a `>` opening a line) are swapped for look-alikes so a title cannot
bold, strike, quote or code-format itself. Links are built only from http(s) URLs without
whitespace, with `<`, `>`, `|` percent-encoded and `&` as an entity; a `|` in a label becomes `∣`.
Every block is built with slack_sdk's block models, whose `to_dict()` checks Slack's limits;
lengths are fitted first (3,000 chars per section, 150 per header, 50 blocks, 2,000 per button
value), so a 5 MB summary or 1,000 tags still render.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.story import Story

SECTION_MAX = 3000
FALLBACK_MAX = 300
TITLE_MAX = 250  # characters of the title shown (before escaping)
SUMMARY_MAX = 600
BUTTON_VALUE_MAX = 2000
URL_MAX = 1500  # after encoding; with a 250-char title a link always fits one section
MAX_BLOCKS = 50
TAGS_SHOWN = 12
BATCH_BUDGET = 12_000  # characters of story lines in one batched message
BATCH_URL_MAX = 500  # longer URLs are left out of batch lines

_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_FORMATTING = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Feed text made inert for mrkdwn: entities for `& < >`, invisible characters removed."""
    text = _INVISIBLE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str, limit: int) -> str:
    """One line of feed text, shortened to `limit` characters, escaped, formatting defused."""
    line = _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()
    if line.startswith(">"):
        line = "＞" + line[1:]  # "&gt;" opening a line would still make a block quote
    return escape(_shorten(line, limit)).translate(_FORMATTING)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _fit(escaped: str, limit: int) -> str:
    """Cut already-escaped text to `limit` characters without splitting an entity."""
    if len(escaped) <= limit:
        return escaped
    return _PARTIAL_ENTITY.sub("", escaped[: limit - 1]) + "…"


def safe_url(url: str) -> str | None:
    """The URL ready for `<url|label>`, or None when it is not a plain http(s) URL."""
    url = url.strip()
    if not re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE):
        return None
    if _INVISIBLE.search(url) or any(ch.isspace() for ch in url):
        return None
    url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace("&", "&amp;")
    return url if len(url) <= URL_MAX else None


def link(url: str, label: str) -> str:
    """`<url|label>` when the URL is safe, else just the (already escaped) label.

    A `|` inside the label becomes a look-alike: Slack would read it as a separator.
    """
    target = safe_url(url)
    return f"<{target}|{label.replace('|', '∣')}>" if target else label


def story_url(story: Story) -> str:
    return story.url if safe_url(story.url) else story.canonical_url


def _when(story: Story) -> str:
    if story.published is None:
        return "date unknown"
    moment = story.published.astimezone(UTC)
    fallback = moment.strftime("%d %b %Y %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def source_line(story: Story) -> str:
    source = inert(story.source.title or story.source.feed, 150)
    domain = inert(story.source.domain, 100)
    if domain and domain.lower() != source.lower():
        source = f"{source} ({domain})"
    return f"{source} · {_when(story)}"


def tags_line(story: Story) -> str:
    ids = story.tag_ids
    shown = ", ".join(inert(tag, 60) for tag in ids[:TAGS_SHOWN])
    more = f" +{len(ids) - TAGS_SHOWN} more" if len(ids) > TAGS_SHOWN else ""
    return f"Tags: {shown}{more}"


def summary_text(story: Story) -> str:
    """The story's summary, else its description trimmed to SUMMARY_MAX characters."""
    text = story.summary or story.description
    return _shorten(
        _SPACE.sub(" ", _INVISIBLE.sub("", text[: SUMMARY_MAX * 8])).strip(), SUMMARY_MAX
    )


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=_fit(text, SECTION_MAX), verbatim=True)


def _buttons(key: str) -> ActionsBlock | None:
    if not key or len(key) > BUTTON_VALUE_MAX:
        return None  # a value Slack would refuse; the alert goes out without buttons
    specs = (
        ("👍 Relevant", "feedback_relevant"),
        ("👎 Not relevant", "feedback_not_relevant"),
        ("Why?", "why"),
    )
    return ActionsBlock(
        block_id="hubnews_feedback",
        elements=[
            ButtonElement(text=PlainTextObject(text=label, emoji=True), action_id=action, value=key)
            for label, action in specs
        ],
    )


def _title(story: Story) -> str:
    return inert(story.title, TITLE_MAX) or "(untitled)"


def render_alert(story: Story, *, posted_link: str | None = None) -> tuple[list[dict], str]:
    """A story's channel alert: linked title, source and time, tags, summary, buttons."""
    title = _title(story)
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(f"*{link(story_url(story), title)}*"))]
    context = [_mrkdwn(source_line(story))]
    if story.tags:
        context.append(_mrkdwn(tags_line(story)))
    if posted_link and safe_url(posted_link):
        context.append(_mrkdwn(link(posted_link, "View in Slack")))
    blocks.append(ContextBlock(elements=context))
    summary = summary_text(story)
    if summary:
        blocks.append(SectionBlock(text=_mrkdwn(inert(summary, SUMMARY_MAX))))
    buttons = _buttons(story.key)
    if buttons is not None:
        blocks.append(buttons)
    fallback = _fit(
        f"{title} — {inert(story.source.title or story.source.feed, 100)}", FALLBACK_MAX
    )
    return [block.to_dict() for block in blocks], fallback


def render_thread_reply(copy: Story, *, update: bool) -> tuple[list[dict], str]:
    """The reply under the original's alert: "+1 source: <title> — <domain>", or "Updated"."""
    title = link(story_url(copy), _title(copy))
    domain = inert(copy.source.domain or copy.source.title or copy.source.feed, 100)
    fuller = copy.duplicate is not None and copy.duplicate.kind == "fuller"
    label = "+1 source (full text)" if fuller else "+1 source"  # a full article after its teaser
    text = f"Updated: {title}" if update else f"{label}: {title} — {domain}"
    plain = f"Updated: {_title(copy)}" if update else f"{label}: {_title(copy)} — {domain}"
    return [SectionBlock(text=_mrkdwn(text)).to_dict()], _fit(plain, FALLBACK_MAX)


def _batch_line(story: Story) -> str:
    url = story_url(story)
    title = inert(story.title, 200) or "(untitled)"
    shown = link(url, title) if len(url) <= BATCH_URL_MAX else title
    return _fit(f"• {shown} — {inert(story.source.title or story.source.feed, 80)}", SECTION_MAX)


def _pack(stories: Sequence[Story]) -> list[str]:
    """Section texts holding as many story lines as fit in one message, in order."""
    sections: list[str] = []
    current, total = "", 0
    for story in stories:
        line = _batch_line(story)
        total += len(line) + 1
        if total > BATCH_BUDGET or (
            len(sections) == MAX_BLOCKS - 3
            and current
            and len(current) + 1 + len(line) > SECTION_MAX
        ):
            break
        if current and len(current) + 1 + len(line) > SECTION_MAX:
            sections.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*sections, current] if current else sections


def batch_capacity(stories: Sequence[Story]) -> int:
    """How many of `stories`, from the first, one batched message shows (at least 1)."""
    return max(1, sum(text.count("\n") + 1 for text in _pack(stories)))


def render_batch(stories: Sequence[Story]) -> tuple[list[dict], str]:
    """Many alerts as one message (flood control): one line per story.

    Stories beyond what one message holds (`batch_capacity`) are counted, not listed.
    """
    sections = _pack(stories)
    blocks: list[Block] = [SectionBlock(text=_mrkdwn(f"*{len(stories)} new stories*"))]
    blocks += [SectionBlock(text=_mrkdwn(text)) for text in sections]
    hidden = len(stories) - sum(text.count("\n") + 1 for text in sections)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[_mrkdwn(f"…and {hidden} more")]))
    return [block.to_dict() for block in blocks], f"{len(stories)} new stories"
