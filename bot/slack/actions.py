"""The alert buttons, "More" and "More feeds": ack at once, record or explain, answer
ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import commands, views
from bot.slack.commands import Context

VERDICTS = {"feedback_relevant": "relevant", "feedback_not_relevant": "not_relevant"}


def register(app: App, ctx: Context) -> None:
    for action_id, verdict in VERDICTS.items():
        app.action(action_id)(_feedback(ctx, verdict))

    @app.action("why")
    def why(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        blocks, text = commands.why(ctx, action.get("value", ""))
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)

    @app.action("more")
    def more(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        offset, _, query = action.get("value", "").partition("|")
        start = int(offset) if offset.isdigit() else 0
        blocks, text = commands.search(ctx, query, offset=start)
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)

    @app.action("feeds_more")
    def feeds_more(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        value = action.get("value", "")
        user = body.get("user", {}).get("id", "")
        blocks, text = commands.feeds_page(ctx, user, int(value) if value.isdigit() else 0)
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)


def _feedback(ctx: Context, verdict: str) -> Any:
    def record(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        key = action.get("value", "")
        story = ctx.store.get_story(key)
        if story is None:
            blocks, text = views.message("That story is no longer stored (past retention).")
        else:
            user = body.get("user", {}).get("id", "")
            channel = body.get("channel", {}).get("id")
            ctx.store.record_verdict(key, verdict, user, tags=tuple(story.tag_ids), channel=channel)
            word = "relevant" if verdict == "relevant" else "not relevant"
            blocks, text = views.message(
                f"Thanks — recorded as *{word}*. The team's verdicts "
                "tune the tags (`hubnews eval --feedback`)."
            )
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)

    return record
