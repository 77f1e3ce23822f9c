""" "Not a copy" on a thread reply and `/hubnews split <link>`: undo a copy decision.

The story becomes its own alert in the channels its tags route it to (`bot.split`); the
clicker hears what happened. Anyone in the channel may split: a repeated alert costs a glance,
a hidden one costs the news (DESIGN). Each split is recorded with who asked, for
`hubnews eval --copies`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.slack import feedback, views
from bot.split import split

if TYPE_CHECKING:  # commands imports this module for `/hubnews split`
    from bot.slack.commands import Context


def register(app: App, ctx: Context) -> None:
    @app.action("not_a_copy")
    def not_a_copy(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        blocks, text = answer(ctx, action.get("value", ""), user)
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)


def answer(ctx: Context, key: str, user: str) -> tuple[views.Blocks, str]:
    story = ctx.store.get_story(key)
    if story is None:
        return views.message(f"No stored story has the link or key `{views.inert(key, 200)}`.")
    routes = (*ctx.config.routes, *ctx.store.slack_routes())
    done = split(ctx.store, story.key, user, routes, feedback.thresholds(ctx))
    title = views.inert(story.title, 200)
    if done is None:
        return views.message(f"“{title}” is not folded as a copy: it already has its own alert.")
    where = ", ".join(f"<#{c}>" if c[:1] in "CG" else views.inert(c, 80) for c in done.channels)
    then = (
        f"It is queued as its own alert in {where}."
        if done.channels
        else "Its tags route it to no channel, so it is stored as its own story and not alerted."
    )
    return views.message(
        f"Split: “{title}” is no longer folded into the earlier story. {then} "
        "Thanks — the verdict is recorded for `hubnews eval --copies`."
    )
