"""The 👍/👎 buttons and `/hubnews feedback`: votes that tune a channel's tag thresholds.

A click toggles the user's vote on that alert (a second click on the same button takes it
back), the alert's buttons show the counts, and the clicker gets an ephemeral note saying what
the vote does now. What the votes change is decided in `bot.tuning`; this module only records,
shows and explains.

    /hubnews feedback            this channel's thresholds and the votes behind them
    /hubnews feedback reset      admin: votes so far stop tuning this channel
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.route import known_id
from bot.slack import views
from bot.store.sqlite.feedback import NOT_RELEVANT, RELEVANT
from bot.tuning import Policy, Tuned, tune_for

if TYPE_CHECKING:  # commands imports this module for `/hubnews feedback`
    from bot.slack.commands import Context

Answer = tuple[views.Blocks, str]

log = logging.getLogger(__name__)
ACTIONS = {"feedback_relevant": RELEVANT, "feedback_not_relevant": NOT_RELEVANT}
LABELS = {"feedback_relevant": "👍 Relevant", "feedback_not_relevant": "👎 Not relevant"}


def register(app: App, ctx: Context) -> None:
    for action_id, verdict in ACTIONS.items():
        app.action(action_id)(_on_click(ctx, verdict))


def _on_click(ctx: Context, verdict: str) -> Any:
    def clicked(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        key = action.get("value", "")
        user = body.get("user", {}).get("id", "")
        channel = body.get("channel", {}).get("id")
        blocks, text, counts = vote(ctx, key, verdict, user, channel)
        message = body.get("message") or {}
        if counts is not None and channel and message.get("ts"):
            _show_counts(client, channel, message, counts)
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)

    return clicked


def vote(
    ctx: Context, key: str, verdict: str, user: str, channel: str | None
) -> tuple[views.Blocks, str, tuple[int, int] | None]:
    """Record the click; the answer for the clicker and the alert's new (👍, 👎) counts."""
    story = ctx.store.get_story(key)
    if story is None:
        blocks, text = views.message("That story is no longer stored (past retention).")
        return blocks, text, None
    result = ctx.store.toggle_vote(key, verdict, user, tags=tuple(story.tag_ids), channel=channel)
    counts = (result.relevant, result.not_relevant)
    if result.verdict is None:
        said = "Your vote is taken back."
    else:
        word = "relevant" if result.verdict == RELEVANT else "not relevant"
        said = f"Recorded: *{word}* (click the same button again to take it back)."
    lines = [f"{said} This alert: 👍 {counts[0]} · 👎 {counts[1]}."]
    if channel:
        tuned = thresholds(ctx)
        lines.extend(_standing(tuned, channel, story.tag_ids, policy(ctx)))
    blocks, text = views.message("\n".join(lines))
    return blocks, text, counts


def command(ctx: Context, args: list[str], user: str, channel: str, *, admin: bool) -> Answer:
    """`/hubnews feedback [reset]` (`admin`: may the user reset?)."""
    if args and args[0].lower() == "reset":
        if not admin:
            return views.message("Only hubnews admins can reset a channel's tuning.")
        dropped = ctx.store.reset_tuning(channel, user)
        log.info("event=tuning_reset channel=%s user=%s votes=%d", channel, user, dropped)
        return views.message(
            f"Done: the {dropped} vote(s) cast here so far no longer tune this channel's "
            "thresholds; tags alert here at their configured thresholds again. New votes count."
        )
    if args:
        return views.message("Try `/hubnews feedback` or `/hubnews feedback reset` (admins).")
    tuned = thresholds(ctx)
    lines = [
        f"• {entry.describe()}" for (where, _), entry in sorted(tuned.items()) if where == channel
    ]
    if not lines:
        return views.message(
            "No votes in this channel yet. 👍/👎 on alerts here raise a tag's threshold for "
            f"this channel once {policy(ctx).min_votes} voted stories with that tag are counted."
        )
    return views.message("*Tag thresholds in this channel*\n" + "\n".join(lines))


def policy(ctx: Context) -> Policy:
    return ctx.config.feedback


def thresholds(ctx: Context) -> dict[tuple[str, str], Tuned]:
    return tune_for(
        ctx.store.tuning_votes(), ctx.taxonomy.thresholds, ctx.config.tag_thresholds, policy(ctx)
    )


def why_lines(ctx: Context, tags: Sequence[str], channels: list[str]) -> list[str]:
    """For `/hubnews why`: each channel's tuned thresholds for the story's tags."""
    tuned = thresholds(ctx)
    lines = []
    for channel in (known_id(c, ctx.store.channel_id) for c in channels):  # votes are by id
        for tag in tags:
            entry = tuned.get((channel, tag))
            if entry is not None:
                lines.append(f"<#{channel}> {entry.describe()}")
    return lines


def _standing(
    tuned: dict[tuple[str, str], Tuned], channel: str, tags: Sequence[str], rule: Policy
) -> list[str]:
    if not tags:
        return ["This story carries no tag, so votes on it tune nothing."]
    out = []
    for tag in tags:
        entry = tuned.get((channel, tag))
        if entry is None:
            out.append(
                f"`{tag}`: no counted votes in this channel yet ({rule.min_votes} voted "
                "stories needed before its threshold here can change)."
            )
        else:
            out.append(entry.describe())
    return out


def with_counts(blocks: list[dict[str, Any]], counts: tuple[int, int]) -> list[dict[str, Any]]:
    """The alert's blocks with the vote counts on its 👍/👎 buttons."""
    updated = copy.deepcopy(blocks)
    for block in updated:
        if block.get("block_id") != "hubnews_feedback":
            continue
        for element in block.get("elements", []):
            label = LABELS.get(element.get("action_id", ""))
            if label:
                count = counts[0] if element["action_id"] == "feedback_relevant" else counts[1]
                element["text"] = {
                    "type": "plain_text",
                    "text": f"{label} · {count}" if count else label,
                    "emoji": True,
                }
    return updated


def _show_counts(
    client: WebClient, channel: str, message: dict[str, Any], counts: tuple[int, int]
) -> None:
    blocks = message.get("blocks") or []
    if not any(block.get("block_id") == "hubnews_feedback" for block in blocks):
        return
    try:
        client.chat_update(
            channel=channel,
            ts=message["ts"],
            blocks=with_counts(blocks, counts),
            text=message.get("text") or "hubnews alert",
        )
    except SlackApiError as exc:  # the vote is recorded; only the counts on the buttons lag
        log.warning(
            "event=vote_counts_not_shown channel=%s ts=%s error=%s",
            channel,
            message.get("ts"),
            exc.response.get("error"),
        )
