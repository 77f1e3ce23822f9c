"""`/hubnews watch|watches|unwatch|mute|unmute|mutes|snooze`: each user's own alerts.

    /hubnews watch QUERY [in #channel] [--always-dm]   a watch (DMs, or posts in #channel)
    /hubnews watches                                   yours, with ids and last hit
    /hubnews unwatch ID
    /hubnews mute source:DOMAIN|tag:TAG [for 2h]       in your watch DMs; for good without `for`
    /hubnews unmute source:DOMAIN|tag:TAG
    /hubnews snooze 2h | off                           this channel's real-time alerts

The decisions are `answer(...)`; listeners only ack and respond (bot.slack.commands).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.config import parse_duration
from bot.errors import QueryError
from bot.slack import views
from bot.store import Watch
from bot.store.sqlite.base import now_utc

if TYPE_CHECKING:
    from bot.slack.commands import Context

log = logging.getLogger(__name__)
Answer = tuple[views.Blocks, str]
Validate = Callable[[str], object]  # raises QueryError for a query a watch cannot use
MAX_WATCHES = 50  # per user: a watch list people can still read
MAX_SNOOZE = timedelta(days=7)
_CHANNEL = re.compile(r"^(?:<#([CG][A-Z0-9]+)(?:\|[^>]*)?>|#([a-z0-9][a-z0-9_-]{0,79}))$", re.I)
_MUTE = re.compile(r"^(source|tag):(\S+)$", re.I)


def watch(
    ctx: Context,
    text: str,
    user: str,
    validate: Validate,
    resolve: Callable[[str], str | None],
    members: Callable[[str], set[str] | None],
) -> Answer:
    words = text.split()
    always = "--always-dm" in words
    words = [w for w in words if w != "--always-dm"]
    channel = None
    if len(words) >= 2 and words[-2].lower() == "in" and _CHANNEL.match(words[-1]):
        channel = resolve(words[-1])
        if channel is None:
            return views.message(
                f"No channel `{views.inert(words[-1], 80)}` that hubnews can see: "
                "invite the bot to it, or give its id."
            )
        words = words[:-2]
    query = " ".join(words).strip()
    if not query:
        return views.message(
            "What should it watch? `/hubnews watch Yizhuang`, "
            '`/hubnews watch "chip subsidy" tag:industrial-policy in #policy`.'
        )
    try:
        validate(query)
    except QueryError as exc:
        return views.message(f"Not a watch: {views.escape(exc.message)}. {views.escape(exc.hint)}.")
    if channel is not None:
        in_channel = members(channel)
        if in_channel is not None and user not in in_channel:
            return views.message("Only members of that channel can add a watch to it.")
    if len(ctx.store.watches(user)) >= MAX_WATCHES:
        return views.message(
            f"You have {MAX_WATCHES} watches: remove one first (`/hubnews watches`)."
        )
    made = ctx.store.add_watch(user, query, channel=channel, dm_on_channel_hits=always)
    log.info("event=watch_added watch=%s user=%s channel=%s", made.id, user, channel or "dm")
    if channel is not None:
        _announce(
            ctx,
            channel,
            f"<@{user}> added a watch here: `{views.inert(query, 200)}` "
            f"(#{made.id}). New stories matching it are posted in this channel.",
        )
        where = f"in <#{channel}>"
    else:
        where = "by DM"
    also = " (also when it is alerted in a channel you are in)" if always else ""
    return views.message(
        f"Watch #{made.id} `{views.inert(query, 200)}` is on: new matching stories come {where}"
        f"{also}. `/hubnews watches` lists yours; `/hubnews unwatch {made.id}` stops it."
    )


def watches(ctx: Context, user: str) -> Answer:
    mine = ctx.store.watches(user)
    if not mine:
        return views.message("You have no watches. Try `/hubnews watch Yizhuang`.")
    return views.message("*Your watches*\n" + "\n".join(describe(w) for w in mine))


def describe(watch: Watch) -> str:
    where = f"in <#{watch.channel}>" if watch.channel else "by DM"
    last = watch.last_hit_at.strftime("%Y-%m-%d %H:%M UTC") if watch.last_hit_at else "never"
    also = ", also on channel hits" if watch.dm_on_channel_hits else ""
    return (
        f"• #{watch.id} `{views.inert(watch.query, 200)}` {where}{also} — "
        f"{watch.hits} hit(s), last {last}"
    )


def unwatch(ctx: Context, arg: str, user: str, admin: bool) -> Answer:
    number = arg.lstrip("#")
    found = ctx.store.watch(int(number)) if number.isdigit() and len(number) < 12 else None
    if found is None:
        return views.message(f"No watch `{views.inert(arg, 40)}`; `/hubnews watches` lists yours.")
    if found.owner != user and not admin:
        return views.message("That watch is someone else's: only they or an admin can remove it.")
    ctx.store.remove_watch(found.id)
    if found.channel:
        _announce(
            ctx,
            found.channel,
            f"<@{user}> removed watch #{found.id} "
            f"`{views.inert(found.query, 200)}` from this channel.",
        )
    return views.message(f"Watch #{found.id} `{views.inert(found.query, 200)}` removed.")


def mute(ctx: Context, args: list[str], user: str, undo: bool = False) -> Answer:
    usage = "Try `/hubnews mute source:scmp.com for 8h`, `/hubnews mute tag:ai` or `unmute …`."
    match = _MUTE.match(args[0]) if args else None
    if match is None:
        return views.message(usage)
    kind, value = match.group(1).lower(), match.group(2).lower().removeprefix("www.")
    if kind == "tag" and value not in ctx.taxonomy.tags:
        return views.message(
            f"No tag `{views.inert(value, 60)}`. Tags: "
            + ", ".join(f"`{t}`" for t in ctx.taxonomy.tags)
        )
    if undo:
        gone = ctx.store.unmute(user, kind, value)
        return views.message(
            f"Unmuted {kind} `{views.inert(value, 100)}`." if gone else "That was not muted."
        )
    until = None
    if len(args) == 3 and args[1].lower() == "for":
        try:
            until = now_utc() + parse_duration(args[2])
        except (ValueError, OverflowError) as exc:
            return views.message(f"{views.escape(str(exc))}. {usage}")
    elif len(args) != 1:
        return views.message(usage)
    ctx.store.mute(user, kind, value, until)
    span = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "until you unmute it"
    return views.message(
        f"Muted {kind} `{views.inert(value, 100)}` in your watch DMs {span}. "
        "Channel alerts are not affected."
    )


def mutes(ctx: Context, user: str) -> Answer:
    found = ctx.store.mutes(user)
    if not found:
        return views.message("Nothing muted.")
    lines = [
        f"• {m.kind} `{views.inert(m.value, 100)}` "
        + (f"until {m.until:%Y-%m-%d %H:%M} UTC" if m.until else "for good")
        for m in found
    ]
    return views.message("*Muted in your watch DMs*\n" + "\n".join(lines))


def snooze(ctx: Context, args: list[str], channel: str, user: str, allowed: bool) -> Answer:
    if not allowed:
        return views.message(
            "Only hubnews admins can snooze a channel (or any member, where the channel's "
            'route says `snooze = "members"` in the config).'
        )
    if not args:
        until = ctx.store.snoozed_until(channel)
        return views.message(
            f"Snoozed until {until:%Y-%m-%d %H:%M} UTC."
            if until
            else "Not snoozed. `/hubnews snooze 2h` pauses this channel's real-time alerts."
        )
    if args[0].lower() in {"off", "end", "stop"}:
        ended = ctx.store.unsnooze(channel)
        return views.message(
            "Snooze ended: alerts held meanwhile come as one catch-up message."
            if ended
            else "This channel was not snoozed."
        )
    try:
        span = parse_duration(args[0])
    except (ValueError, OverflowError):
        return views.message(
            "Say for how long: `/hubnews snooze 2h` (at most 7d), or `snooze off`."
        )
    if not timedelta(minutes=1) <= span <= MAX_SNOOZE:
        return views.message("A snooze lasts between 1 minute and 7 days.")
    until = now_utc() + span
    ctx.store.snooze(channel, until, user)
    log.info("event=channel_snoozed channel=%s user=%s until=%s", channel, user, until)
    return views.message(
        f"This channel's real-time alerts are paused until {until:%Y-%m-%d %H:%M} UTC. Nothing "
        "is dropped: what arrives meanwhile comes as one catch-up message when the snooze ends "
        "(digests are not affected). `/hubnews snooze off` ends it early."
    )


def _announce(ctx: Context, channel: str, text: str) -> None:
    if ctx.client is None:
        return
    try:
        ctx.client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
    except SlackApiError as exc:
        log.warning("event=announce_failed channel=%s error=%s", channel, exc.response.get("error"))
