"""The alert buttons, "More" and "More feeds": ack at once, record or explain, answer
ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import commands, copies, feedback
from bot.slack.commands import Context


def register(app: App, ctx: Context) -> None:
    feedback.register(app, ctx)
    copies.register(app, ctx)

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
