"""The App Home tab: `app_home_opened` → `views.publish`, and what its buttons and modal do.

What a user sees (at most 100 blocks, Slack's limit for a Home view):
    your watches (edit, delete, add through a modal), your mutes, snoozed channels,
    the last 20 stories your watches matched, the routes (remove buttons for admins),
    feed health (admins), the latest copies folded in your channels ("Not a copy").
Every change re-publishes the tab. Feed text goes through `views.inert`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import QueryError
from bot.render import link, story_url
from bot.slack import views
from bot.slack.watches import MAX_WATCHES, describe
from bot.split import split

if TYPE_CHECKING:
    from bot.slack.commands import Context
    from bot.slack.directory import Directory
    from bot.slack.watches import Validate

log = logging.getLogger(__name__)
Blocks = list[dict[str, Any]]
MAX_BLOCKS = 100
MODAL = "hubnews_watch_modal"


def register(app: App, ctx: Context, validate: Validate, directory: Directory | None) -> None:
    def publish(client: WebClient, user: str) -> None:
        admin = _is_admin(ctx, user)
        try:
            client.views_publish(user_id=user, view=home_view(ctx, user, admin, directory))
        except SlackApiError as exc:
            log.warning(
                "event=home_not_published user=%s error=%s", user, exc.response.get("error")
            )

    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish(client, event.get("user", ""))

    def open_modal(body: dict[str, Any], value: str, client: WebClient) -> None:
        found = ctx.store.watch(int(value)) if value.isdigit() else None
        user = body.get("user", {}).get("id", "")
        if found is not None and found.owner != user:
            found = None
        client.views_open(trigger_id=body["trigger_id"], view=watch_modal(found))

    def delete_watch(body: dict[str, Any], value: str, client: WebClient) -> None:
        user = body.get("user", {}).get("id", "")
        found = ctx.store.watch(int(value)) if value.isdigit() else None
        if found is not None and (found.owner == user or _is_admin(ctx, user)):
            ctx.store.remove_watch(found.id)
        publish(client, user)

    @app.action("home_add_watch")
    def add(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_modal(body, "", client)

    @app.action("home_overflow")  # a watch's Edit / Delete menu
    def overflow(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        chosen, _, value = (action.get("selected_option") or {}).get("value", "").partition("|")
        if chosen == "home_edit_watch":
            open_modal(body, value, client)
        elif chosen == "home_delete_watch":
            delete_watch(body, value, client)

    @app.view(MODAL)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body.get("user", {}).get("id", "")
        values = view.get("state", {}).get("values", {})
        query = (values.get("query", {}).get("query", {}).get("value") or "").strip()
        always = bool(values.get("options", {}).get("options", {}).get("selected_options"))
        try:
            validate(query)
        except QueryError as exc:
            ack(response_action="errors", errors={"query": f"{exc.message}. {exc.hint}"[:150]})
            return
        watch_id = view.get("private_metadata", "")
        if watch_id.isdigit() and (known := ctx.store.watch(int(watch_id))) and known.owner == user:
            ctx.store.update_watch(known.id, query=query, dm_on_channel_hits=always)
        elif len(ctx.store.watches(user)) >= MAX_WATCHES:
            ack(response_action="errors", errors={"query": f"You have {MAX_WATCHES} watches."})
            return
        else:
            ctx.store.add_watch(user, query, dm_on_channel_hits=always)
        ack()
        publish(client, user)

    @app.action("home_unmute")
    def unmute(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        kind, _, value = action.get("value", "").partition(":")
        ctx.store.unmute(user, kind, value)
        publish(client, user)

    @app.action("home_unsnooze")
    @app.action("home_remove_route")
    def admin_change(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        if _is_admin(ctx, user):
            if action["action_id"] == "home_unsnooze":
                ctx.store.unsnooze(action.get("value", ""))
            else:
                ctx.store.remove_routes(action.get("value", ""))
        publish(client, user)

    @app.action("home_not_a_copy")
    def not_a_copy(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        user = body.get("user", {}).get("id", "")
        from bot.slack import feedback

        routes = (*ctx.config.routes, *ctx.store.slack_routes())
        split(ctx.store, action.get("value", ""), user, routes, feedback.thresholds(ctx))
        publish(client, user)


def home_view(ctx: Context, user: str, admin: bool, directory: Directory | None) -> dict:
    blocks: Blocks = [_header("Your watches")]
    mine = ctx.store.watches(user)
    for watch in mine[:MAX_WATCHES]:
        blocks.append(
            _with_buttons(
                describe(watch),
                [
                    ("Edit", "home_edit_watch", str(watch.id)),
                    ("Delete", "home_delete_watch", str(watch.id)),
                ],
            )
        )
    if not mine:
        blocks.append(views.context("No watches yet: add one, or type `/hubnews watch Yizhuang`."))
    blocks.append(_actions([("Add a watch", "home_add_watch", "new")]))
    mutes = ctx.store.mutes(user)
    if mutes:
        blocks.append(_header("Muted in your DMs"))
        for m in mutes:
            ends = f"until {m.until:%Y-%m-%d %H:%M} UTC" if m.until else "for good"
            blocks.append(
                _with_buttons(
                    f"{m.kind} `{views.inert(m.value, 100)}` {ends}",
                    [("Unmute", "home_unmute", f"{m.kind}:{m.value}")],
                )
            )
    snoozes = ctx.store.snoozes()
    if snoozes:
        blocks.append(_header("Snoozed channels"))
        for channel, snoozed_to in sorted(snoozes.items()):
            text = f"<#{channel}> until {snoozed_to:%Y-%m-%d %H:%M} UTC"
            buttons = [("End snooze", "home_unsnooze", channel)] if admin else []
            blocks.append(_with_buttons(text, buttons))
    hits = ctx.store.recent_hits(user, 20)
    if hits:
        blocks.append(_header("Matched your watches lately"))
        lines = []
        for watch, key, _when in hits:
            story = ctx.store.get_story(key)
            if story is not None:
                lines.append(
                    f"• {link(story_url(story), views.inert(story.title, 150))}"
                    f" — #{watch.id} `{views.inert(watch.query, 60)}`"
                )
        blocks.extend(views.section(chunk) for chunk in _chunks(lines))
    blocks.extend(_routes(ctx, admin))
    if admin:
        blocks.extend(_feeds(ctx))
    blocks.extend(_copies(ctx, user, directory))
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def watch_modal(existing: Any = None) -> dict:
    query = {"type": "plain_text_input", "action_id": "query", "max_length": 500}
    if existing is not None:
        query["initial_value"] = existing.query
    option = {
        "text": {
            "type": "plain_text",
            "text": "Also DM me when it is alerted in a channel I am in",
        },
        "value": "always",
    }
    options: dict[str, Any] = {"type": "checkboxes", "action_id": "options", "options": [option]}
    if existing is not None and existing.dm_on_channel_hits:
        options["initial_options"] = [option]
    return {
        "type": "modal",
        "callback_id": MODAL,
        "private_metadata": str(existing.id) if existing is not None else "",
        "title": {"type": "plain_text", "text": "Edit watch" if existing else "New watch"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "query",
                "element": query,
                "label": {"type": "plain_text", "text": "Watch for"},
                "hint": {
                    "type": "plain_text",
                    "text": 'Words, "phrases", OR, tag:ai, source:scmp.com — as in /hubnews search',
                },
            },
            {
                "type": "input",
                "block_id": "options",
                "optional": True,
                "element": options,
                "label": {"type": "plain_text", "text": "Options"},
            },
        ],
    }


def _routes(ctx: Context, admin: bool) -> Blocks:
    blocks: Blocks = [_header("Channels and their routes")]
    for route in ctx.config.routes:
        tags = ", ".join(route.tags) or "any tag"
        blocks.append(
            views.context(
                f"{views.inert(route.channel, 80)}: {views.inert(tags, 200)} (config file)"
            )
        )
    for route in ctx.store.slack_routes():
        tags = ", ".join(route.tags) or "any tag"
        text = f"<#{route.channel}>: {views.inert(tags, 200)} (made in Slack)"
        buttons = [("Remove", "home_remove_route", route.channel)] if admin else []
        blocks.append(_with_buttons(text, buttons))
    return blocks if len(blocks) > 1 else []


def _feeds(ctx: Context) -> Blocks:
    feeds = ctx.store.feeds()
    if not feeds:
        return []
    lines = []
    for feed in feeds:
        state = (
            "disabled"
            if not feed.enabled
            else (f"failing ({feed.consecutive_failures})" if feed.consecutive_failures else "ok")
        )
        lines.append(f"• `{views.inert(feed.name, 60)}` {state}")
    return [_header("Feed health (admins)"), *(views.section(c) for c in _chunks(lines))]


def _copies(ctx: Context, user: str, directory: Directory | None) -> Blocks:
    channels = sorted({r.channel for r in (*ctx.config.routes, *ctx.store.slack_routes())})
    if directory is not None:
        channels = [c for c in channels if user in (directory.members(c) or set())]
    blocks: Blocks = []
    for copy_key, _original, channel in ctx.store.recent_copies(channels, 10):
        story = ctx.store.get_story(copy_key)
        if story is None:
            continue
        text = (
            f"{link(story_url(story), views.inert(story.title, 150))} — folded "
            f"as a copy in {views.inert(channel, 80)}"
        )
        blocks.append(_with_buttons(text, [("Not a copy", "home_not_a_copy", copy_key)]))
    return [_header("Copies folded lately in your channels"), *blocks] if blocks else []


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _button(label: str, action: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action,
        "value": value[:2000],
    }


def _actions(buttons: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {"type": "actions", "elements": [_button(*b) for b in buttons]}


def _with_buttons(text: str, buttons: list[tuple[str, str, str]]) -> dict[str, Any]:
    block = views.section(text)
    if len(buttons) == 1:
        block["accessory"] = _button(*buttons[0])
    elif buttons:
        block["accessory"] = {
            "type": "overflow",
            "action_id": "home_overflow",
            "options": [
                {"text": {"type": "plain_text", "text": label}, "value": f"{a}|{v}"}
                for label, a, v in buttons
            ],
        }
    return block


def _chunks(lines: list[str], limit: int = 2900) -> list[str]:
    out, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    return [*out, current] if current else out


def _is_admin(ctx: Context, user: str) -> bool:
    from bot.slack.commands import is_admin

    return is_admin(ctx, user)
