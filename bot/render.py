"""Stories as Slack Block Kit messages: pure functions returning `(blocks, fallback_text)`.

Channel messages (alerts, thread replies, batches) carry feed text in `rich_text` blocks: a
rich text `text` element is shown exactly as given and cannot format, quote or mention (Block
Kit's guidance for text you do not control), so `*AI*` stays `*AI*` and `<!channel>` is text.
Zero-width, bidi-override and control characters are removed first. Links are `link` elements
built only from http(s) URLs without whitespace (`<`, `>`, `|` percent-encoded).

Where feed text must sit in mrkdwn (the `/hubnews` answers in bot.slack.views, digests),
`escape`/`inert`/`link` make it inert: `&`, `<`, `>` as entities, and the formatting characters
swapped for look-alikes. Every message's `text` (the notification and screen-reader text) goes
through `fallback`: entities for `& < >`, invisible characters removed, original characters
kept. Lengths are fitted first (3,000 chars per section, 50 blocks, 2,000 per button value), so
a 5 MB summary or 1,000 tags still render.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from slack_sdk.models.blocks import (
    ActionsBlock,
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
EVIDENCE_SHOWN = 3  # strongest pieces of evidence shown per tag in an alert
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


def fallback(text: str, limit: int = FALLBACK_MAX) -> str:
    """A message's `text` (notification and screen-reader text): one line, `& < >` as entities,
    invisible characters removed, cut to `limit` without splitting an entity. Every message and
    ephemeral reply hubnews sends puts its `text` through this, the same defusing as blocks.
    """
    line = _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()
    return fit(escape(_shorten(line, limit)), limit)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def fit(escaped: str, limit: int) -> str:
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


def evidence_lines(story: Story, per_tag: int = EVIDENCE_SHOWN) -> list[list[dict]]:
    """One compact rich-text line per tag with its strongest evidence, each piece once:
    "ai — Yizhuang (title) · artificial intelligence (lede)"."""
    lines = []
    for tag in story.tags[:TAGS_SHOWN]:
        seen: set[str] = set()
        shown = []
        for item in sorted(tag.evidence, key=lambda e: -e.weight):
            text = plain(item.text, 60)
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                shown.append(f"{text} ({plain(item.where, 10)})")
            if len(shown) == per_tag:
                break
        reasons = " · ".join(shown) or f"score {tag.score:.2f}"
        lines.append([text_el(plain(tag.id, 60), bold=True), text_el(f" — {reasons}")])
    if len(story.tags) > TAGS_SHOWN:
        lines.append([text_el(f"+{len(story.tags) - TAGS_SHOWN} more tags")])
    return lines


def summary_text(story: Story) -> str:
    """The story's summary, else its description trimmed to SUMMARY_MAX characters."""
    text = story.summary or story.description
    return _shorten(
        _SPACE.sub(" ", _INVISIBLE.sub("", text[: SUMMARY_MAX * 8])).strip(), SUMMARY_MAX
    )


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=fit(text, SECTION_MAX), verbatim=True)


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


def plain(text: str, limit: int) -> str:
    """One line of feed text for a rich_text element: its own characters (`*AI*` stays `*AI*`),
    invisible ones removed, shortened to `limit`. Rich text elements are literal: no mrkdwn, no
    `<!channel>` or `<@U…>` parsing (mentions are separate element types hubnews never makes)."""
    return _shorten(_SPACE.sub(" ", _INVISIBLE.sub("", text[: limit * 8])).strip(), limit)


def rich_url(url: str) -> str | None:
    """The URL for a rich_text link element (raw `&`), or None when it is not plain http(s)."""
    target = safe_url(url)
    return target.replace("&amp;", "&") if target else None


def text_el(text: str, **style: bool) -> dict:
    return {"type": "text", "text": text} | ({"style": style} if style else {})


def link_el(url: str, text: str, **style: bool) -> dict:
    target = rich_url(url)
    if target is None:
        return text_el(text, **style)
    return {"type": "link", "url": target, "text": text} | ({"style": style} if style else {})


NEWLINE = {"type": "text", "text": "\n"}


def rich(*lines: list[dict]) -> dict:
    """A rich_text block: one section, its lines separated by newline text elements."""
    elements = [element for line in lines for element in (NEWLINE, *line)][1:]
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


def date_el(story: Story) -> dict:
    if story.published is None:
        return text_el("date unknown")
    moment = story.published.astimezone(UTC)
    return {
        "type": "date",
        "timestamp": int(moment.timestamp()),
        "format": "{date_short_pretty} {time}",
        "fallback": moment.strftime("%d %b %Y %H:%M UTC"),
    }


def source_text(story: Story) -> str:
    source = plain(story.source.title or story.source.feed, 150)
    domain = plain(story.source.domain, 100)
    return f"{source} ({domain})" if domain and domain.lower() != source.lower() else source


def tags_text(story: Story) -> str:
    ids = story.tag_ids
    shown = ", ".join(plain(tag, 60) for tag in ids[:TAGS_SHOWN])
    more = f" +{len(ids) - TAGS_SHOWN} more" if len(ids) > TAGS_SHOWN else ""
    return f"Tags: {shown}{more}"


def _title(story: Story) -> str:
    return plain(story.title, TITLE_MAX) or "(untitled)"


def render_alert(
    story: Story, *, posted_link: str | None = None, watched: str | None = None
) -> tuple[list[dict], str]:
    """A story's channel alert: linked title, source and time, one line per tag with its
    strongest evidence, summary, buttons.

    Feed text goes into rich_text elements, which show it exactly (`*`, `_`, `~`, `` ` ``,
    `<`, `&` included) and cannot format, quote or mention anything."""
    details = [text_el(source_text(story) + " · "), date_el(story)]
    if posted_link and rich_url(posted_link):
        details += [text_el(" · "), link_el(posted_link, "View in Slack")]
    lines = [[link_el(story_url(story), _title(story), bold=True)], details]
    if watched:  # a watch's DM or channel post: which watch matched comes first
        lines.insert(0, [text_el(plain(watched, 300), italic=True)])
    lines += evidence_lines(story)
    summary = summary_text(story)
    if summary:
        lines.append([text_el(summary)])
    blocks: list[dict] = [rich(*lines)]
    buttons = _buttons(story.key)
    if buttons is not None:
        blocks.append(buttons.to_dict())
    text = fallback(
        (f"{watched}: " if watched else "")
        + f"{story.title or '(untitled)'} — {story.source.title or story.source.feed}"
    )
    return blocks, text


def render_thread_reply(copy: Story, *, update: bool) -> tuple[list[dict], str]:
    """The reply under the original's alert: "+1 source: <title> — <domain>", or "Updated"."""
    title = link_el(story_url(copy), _title(copy))
    where = plain(copy.source.domain or copy.source.title or copy.source.feed, 100)
    fuller = copy.duplicate is not None and copy.duplicate.kind == "fuller"
    label = "+1 source (full text)" if fuller else "+1 source"  # a full article after its teaser
    line = (
        [text_el("Updated: "), title]
        if update
        else [text_el(f"{label}: "), title, text_el(f" — {where}")]
    )
    raw_title = copy.title or "(untitled)"
    plain_text = f"Updated: {raw_title}" if update else f"{label}: {raw_title} — {where}"
    blocks = [rich(line)]
    if copy.key and len(copy.key) <= BUTTON_VALUE_MAX:  # "Not a copy" splits it back out
        button = ButtonElement(
            text=PlainTextObject(text="Not a copy", emoji=True),
            action_id="not_a_copy",
            value=copy.key,
        )
        blocks.append(ActionsBlock(block_id="hubnews_copy", elements=[button]).to_dict())
    return blocks, fallback(plain_text)


def _batch_line(story: Story) -> tuple[list[dict], int]:
    """One story of a batch as rich text elements, and its length in characters."""
    url = story_url(story)
    title = plain(story.title, 200) or "(untitled)"
    shown = link_el(url, title) if len(url) <= BATCH_URL_MAX else text_el(title)
    source = plain(story.source.title or story.source.feed, 80)
    return [text_el("• "), shown, text_el(f" — {source}")], len(title) + len(source) + len(url) + 6


def _pack(stories: Sequence[Story]) -> list[list[list[dict]]]:
    """Rich text blocks (lists of lines) holding as many stories as fit one message, in order."""
    blocks: list[list[list[dict]]] = []
    current: list[list[dict]] = []
    size = total = 0
    for story in stories:
        line, length = _batch_line(story)
        total += length
        if total > BATCH_BUDGET or (
            len(blocks) == MAX_BLOCKS - 3 and current and size + length > SECTION_MAX
        ):
            break
        if current and size + length > SECTION_MAX:
            blocks.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    return [*blocks, current] if current else blocks


def batch_capacity(stories: Sequence[Story]) -> int:
    """How many of `stories`, from the first, one batched message shows (at least 1)."""
    return max(1, sum(len(lines) for lines in _pack(stories)))


def render_batch(stories: Sequence[Story]) -> tuple[list[dict], str]:
    """Many alerts as one message (flood control): one line per story.

    Stories beyond what one message holds (`batch_capacity`) are counted, not listed.
    """
    packed = _pack(stories)
    blocks: list[dict] = [SectionBlock(text=_mrkdwn(f"*{len(stories)} new stories*")).to_dict()]
    blocks += [rich(*lines) for lines in packed]
    hidden = len(stories) - sum(len(lines) for lines in packed)
    if hidden > 0:
        blocks.append(ContextBlock(elements=[_mrkdwn(f"…and {hidden} more")]).to_dict())
    return blocks, f"{len(stories)} new stories"
