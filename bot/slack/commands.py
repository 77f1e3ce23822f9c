"""`/hubnews`: ack at once, then answer ephemerally through the response_url.

    /hubnews [help]                         how to use it
    /hubnews why <story link or key>        tags with evidence, copy decisions, hold reasons
    /hubnews feeds                          feeds and their health
    /hubnews feeds add <url> [name]         admin: a feed from Slack (public addresses only)
    /hubnews feeds remove|enable <name>     admin
    /hubnews follow tag:ai [tag:…]          admin: route these tags to this channel
    /hubnews unfollow                       admin: stop routing to this channel
    /hubnews <query>                        search (anything else)

`answer(ctx, text, user, channel)` is the whole decision and returns (blocks, text); the
listener only acks and responds. Expected problems (a bad query, a refused feed) come back as
answers with the next step; anything else reaches the app's error handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels import ChannelDirectory
from bot.classify import Taxonomy
from bot.config import Config, Feed
from bot.errors import HubnewsError, QueryError
from bot.feeds_import import import_opml
from bot.fetch import Fetched, FetchState, fetch
from bot.health import metrics
from bot.opml import read_opml
from bot.parse import parse
from bot.query import parse_query
from bot.route import known_id
from bot.slack import copies, feedback, views, watches
from bot.slack.directory import Directory
from bot.store import StoreAPI
from bot.urls import canonical_url, domain
from bot.watch import Percolator, compile_watch

Answer = tuple[views.Blocks, str]
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
log = logging.getLogger("hubnews.slack")


@dataclass
class Context:
    config: Config
    store: StoreAPI
    taxonomy: Taxonomy
    http: httpx.Client  # for checking feeds added from Slack
    client: WebClient | None = None  # for users.info (admin check)
    directory: Directory | None = None  # channel names, members, DMs (watches)
    expand: Callable[[str], Iterable[str]] | None = None  # aliases for watch words


def register(app: App, ctx: Context) -> None:
    @app.command("/hubnews")
    def hubnews(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        blocks, text = answer(
            ctx, command.get("text", ""), command.get("user_id", ""), command.get("channel_id", "")
        )
        respond(response_type="ephemeral", blocks=blocks, text=text, replace_original=False)


_MARKUP = re.compile(r"<([^<>]*)>")


def unslack(text: str) -> str:
    """Command text as the user typed it, decoded once at the edge.

    Slack sends `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` and wraps what it recognised in markup:
    `<https://x?a=1&amp;b=2|label>` (a link: its URL, unescaped), `<@U1|ann>` (`@ann`),
    `<#C1|general>` (`#general`), `<!here>` (`@here`). Entities are decoded after the markup
    is read, so a typed `&lt;b&gt;` stays the text `<b>` and never becomes markup.
    """
    out, last = [], 0
    for found in _MARKUP.finditer(text):
        out.append(_entities(text[last : found.start()]))
        target, _, label = found.group(1).partition("|")
        if target.startswith(("@", "#")):
            out.append(target[0] + _entities(label) if label else target)
        elif target.startswith("!"):
            out.append("@" + _entities(label or target[1:].split("^")[0]).lstrip("@"))
        else:
            out.append(_entities(target))  # a link: keep the URL itself
        last = found.end()
    out.append(_entities(text[last:]))
    return "".join(out)


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def answer(ctx: Context, text: str, user: str, channel: str) -> Answer:
    """The answer to `/hubnews <text>`, `text` as Slack sent it (escaped, with markup)."""
    text = unslack(text)
    words = text.strip().split()
    verb = words[0].lower() if words else "help"
    rest = words[1:]
    if verb == "help" and not rest:
        return views.help_view()
    if verb == "why":
        return why(ctx, " ".join(rest))
    if verb == "feeds":
        return feeds(ctx, rest, user, channel)
    if verb in {"follow", "unfollow"}:
        return follow(ctx, verb, rest, user, channel)
    if verb == "split" and len(rest) == 1:
        return copies.answer(ctx, _story_key(ctx, rest[0]), user)
    if verb in WATCH_VERBS:
        return _watches(ctx, verb, rest, user, channel)
    if verb == "feedback" and len(rest) <= 1:
        admin = bool(rest) and is_admin(ctx, user)
        return feedback.command(ctx, rest, user, channel, admin=admin)
    return search(ctx, text)


WATCH_VERBS = {"watch", "watches", "unwatch", "mute", "unmute", "mutes", "snooze"}


def _watches(ctx: Context, verb: str, rest: list[str], user: str, channel: str) -> Answer:
    if verb == "watch":
        return watches.watch(
            ctx,
            " ".join(rest),
            user,
            lambda text: validate_watch(ctx, text),
            ChannelDirectory(ctx.client, ctx.store) if ctx.client else lambda _ref: None,
            lambda c: ctx.directory.members(c) if ctx.directory else None,
        )
    if verb == "watches":
        return watches.watches(ctx, user)
    if verb == "unwatch":
        return watches.unwatch(ctx, rest[0] if rest else "", user, is_admin(ctx, user))
    if verb in {"mute", "unmute"}:
        return watches.mute(ctx, rest, user, undo=verb == "unmute")
    if verb == "mutes":
        return watches.mutes(ctx, user)
    members_may = any(
        route.snooze == "members" and channel == known_id(route.channel, ctx.store.channel_id)
        for route in ctx.config.routes
    )
    return watches.snooze(ctx, rest, channel, user, members_may or is_admin(ctx, user))


def validate_watch(ctx: Context, text: str) -> object:
    """A watch query the percolator can index (aliases expanded), else QueryError."""
    return Percolator().compile(compile_watch(text, expand=ctx.expand))


def search(ctx: Context, text: str, offset: int = 0) -> Answer:
    try:
        query = parse_query(text)
    except QueryError as exc:
        return views.message(f"{views.escape(exc.message)}. {views.escape(exc.hint)}.")
    unknown = [tag for tag in query.tags if tag not in ctx.taxonomy.tags]
    if unknown:
        return views.message(
            f"No tag `{views.inert(unknown[0], 60)}`. Tags: "
            + ", ".join(f"`{t}`" for t in ctx.taxonomy.tags)
        )
    with metrics.search_seconds.time():
        hits = ctx.store.search(query, limit=views.PAGE + 1, offset=offset)
    if not hits:
        if offset:
            return views.message("No more stories.")
        suggestions = [s for w in query.words if (s := ctx.store.suggest(w))]
        return views.no_hits_view(text, suggestions)
    shown = hits[: views.PAGE]
    posts = {hit.story.key: link for hit in shown if (link := _post_link(ctx, hit.story.key))}
    return views.search_view(
        text, shown, offset=offset, posts=posts, notes=query.notes, more=len(hits) > views.PAGE
    )


def _post_link(ctx: Context, key: str) -> str | None:
    """The permalink of the story's first alert, from chat.getPermalink (cached per post)."""
    for post in ctx.store.posts_of(key):
        if post.permalink:
            return post.permalink
        channel = post.channel
        if channel.startswith("#"):
            channel = ctx.store.channel_id(channel) or ""
        if ctx.client is None or not _CHANNEL_ID.match(channel):
            continue
        try:
            link = str(
                ctx.client.chat_getPermalink(channel=channel, message_ts=post.ts)["permalink"]
            )
        except (SlackApiError, KeyError):
            continue
        ctx.store.set_permalink(channel, post.ts, link)
        return link
    return None


def _story_key(ctx: Context, reference: str) -> str:
    """A story key from what a user pasted: a key, a link (Slack wraps it in <…|…>)."""
    reference = reference.strip().strip("<>").split("|", 1)[0]
    story = ctx.store.get_story(reference) or ctx.store.get_story(canonical_url(reference))
    return story.key if story else reference


def why(ctx: Context, reference: str) -> Answer:
    reference = reference.strip().strip("<>")
    if not reference:
        return views.message(
            "Which story? `/hubnews why <story link or key>` — the *Why?* "
            "button on an alert does the same."
        )
    canonical = canonical_url(reference)
    story = ctx.store.get_story(reference) or (
        ctx.store.story_by_url(canonical) if canonical else None
    )
    if story is None:
        return views.message(
            f"No stored story has the link or key `{views.inert(reference, 200)}`."
        )
    blocks, text = views.why_view(
        story, ctx.store.hold_reason(story.key), ctx.store.cluster(story.key)
    )
    channels = sorted({row.channel for row in ctx.store.outbox_rows(story_key=story.key)})
    tuning = feedback.why_lines(ctx, story.tag_ids, channels)
    if tuning:
        blocks.append(views.context("Thresholds tuned by votes: " + " · ".join(tuning)))
    return blocks, text


def feeds(ctx: Context, args: list[str], user: str, channel: str = "") -> Answer:
    if not args or args[0].isdigit():  # `/hubnews feeds 21`: from the 21st feed
        start = max(int(args[0]) - 1, 0) if args else 0
        return feeds_page(ctx, user, start)
    action, rest = args[0].lower(), args[1:]
    if action not in {"add", "remove", "enable", "import"}:
        return views.message(
            "Try `/hubnews feeds`, `feeds add <url> [name]`, `feeds import <OPML url>`, "
            "`feeds remove <name>` or `feeds enable <name>`."
        )
    if not is_admin(ctx, user):
        return views.message(
            "Only hubnews admins can change feeds. Ask one of them "
            "(workspace admins, or the `admins` list in the config)."
        )
    if not rest:
        return views.message(
            f"`/hubnews feeds {action}` needs a {'URL' if action == 'add' else 'feed name'}."
        )
    if action == "add":
        return add_feed(ctx, rest[0].strip("<>"), rest[1] if len(rest) > 1 else None, user, channel)
    if action == "import":
        return import_feeds(ctx, rest[0].strip("<>"), user)
    name = rest[0]
    known = ctx.store.feed(name)
    if known is None:
        return views.message(f"No feed named `{views.inert(name, 80)}`; see `/hubnews feeds`.")
    if action == "enable":
        ctx.store.set_enabled(name, True)
        return announce(
            ctx,
            channel,
            user,
            f"enabled the feed `{views.inert(name, 80)}` again; it is polled on its next turn.",
        )
    if known.origin != "slack":
        return views.message(
            f"`{views.inert(name, 80)}` comes from the config file, which is "
            "authoritative for it: remove it there."
        )
    ctx.store.remove_feed(name)
    return announce(
        ctx,
        channel,
        user,
        f"removed the feed `{views.inert(name, 80)}`; its stories stay searchable.",
    )


def feeds_page(ctx: Context, user: str, start: int = 0) -> Answer:
    return views.feeds_view(ctx.store.feeds(), start=start, admin=is_admin(ctx, user))


SLACK_IMPORT_MAX = 200  # feeds one Slack import may validate (each costs a fetch now)


def import_feeds(ctx: Context, url: str, user: str) -> Answer:
    """`/hubnews feeds import <OPML url>`: the file and each feed fetched through the guard."""
    if not url.startswith(("http://", "https://")):
        return views.message("Give the OPML file's full address, starting with https://.")

    def fetch_guarded(address: str) -> Fetched:
        return fetch(address, FetchState(), ctx.config.limits, ctx.http, guard=True)

    try:
        data = fetch_guarded(url).body
        if len(read_opml(data, source=url)) > SLACK_IMPORT_MAX:
            return views.message(
                f"That file lists more than {SLACK_IMPORT_MAX} feeds: import it from the "
                "server instead (`hubnews feeds import FILE.opml`), which shows progress."
            )
        report = import_opml(
            data, ctx.store, fetch_guarded, configured=ctx.config.feeds, source=url, added_by=user
        )
    except HubnewsError as exc:
        return views.message(
            f"Not imported: {views.escape(exc.message)}. {views.escape(exc.hint)}."
        )
    lines = [
        f"*Imported from* `{views.inert(url, 200)}`: {len(report.added)} added, "
        f"{len(report.skipped)} skipped, {len(report.failed)} failed their check."
    ]
    lines += [f"• added `{views.inert(a.name, 80)}` ({a.items} items)" for a in report.added[:20]]
    lines += [
        f"• skipped {views.inert(s.title or s.url, 80)}: {views.inert(s.reason, 120)}"
        for s in report.skipped[:10]
    ]
    lines += [
        f"• failed {views.inert(f.title or f.url, 80)}: {views.inert(f.error, 160)}"
        for f in report.failed[:10]
    ]
    if report.failed:
        lines.append("Fix or drop the failed feeds, then import again: known feeds are skipped.")
    return views.message("\n".join(lines))


def add_feed(ctx: Context, url: str, name: str | None, user: str, channel: str = "") -> Answer:
    if not url.startswith(("http://", "https://")):
        return views.message("Give the feed's full address, starting with https://.")
    name = name or _feed_name(url)
    if ctx.store.feed(name) is not None:
        return views.message(
            f"A feed named `{views.inert(name, 80)}` exists already; "
            "give another name: `/hubnews feeds add <url> <name>`."
        )
    try:
        fetched = fetch(url, FetchState(), ctx.config.limits, ctx.http, guard=True)
        parsed = parse(fetched, name, name)
    except HubnewsError as exc:
        return views.message(f"Not added: {views.escape(exc.message)}. {views.escape(exc.hint)}.")
    ctx.store.ensure_feed(name, url, origin="slack", added_by=user)
    return announce(
        ctx,
        channel,
        user,
        f"added the feed `{views.inert(name, 80)}` ({views.inert(parsed.title, 120)}, "
        f"{len(parsed.stories)} items now). It is polled every "
        f"{int(Feed(name, url).interval.total_seconds() // 60)} minutes.",
    )


def _feed_name(url: str) -> str:
    path = re.sub(r"[^a-z0-9]+", "-", url.split("//", 1)[-1].split("/", 1)[-1].lower())
    return (domain(url) + ("-" + path.strip("-") if path.strip("-") else ""))[:60]


def follow(ctx: Context, verb: str, args: list[str], user: str, channel: str) -> Answer:
    if not is_admin(ctx, user):
        return views.message("Only hubnews admins can route alerts. Ask one of them.")
    if verb == "unfollow":
        removed = ctx.store.remove_routes(channel)
        return announce(
            ctx,
            channel,
            user,
            f"stopped {removed} Slack-made route(s): this channel no longer gets their alerts. "
            "Routes in the config file stay as they are.",
        )
    tags = tuple(dict.fromkeys(a.lower().removeprefix("tag:") for a in args))
    unknown = [t for t in tags if t not in ctx.taxonomy.tags]
    if not tags or unknown:
        return views.message(
            "Say which tags: `/hubnews follow tag:ai tag:industrial-policy`. "
            "Tags: " + ", ".join(f"`{t}`" for t in ctx.taxonomy.tags)
        )
    ctx.store.add_route(channel, tags, user)
    return announce(
        ctx,
        channel,
        user,
        "routed new stories tagged "
        + " or ".join(f"`{t}`" for t in tags)
        + " to this channel: it now gets them.",
    )


def announce(ctx: Context, channel: str, user: str, change: str) -> Answer:
    """Say in the channel (to everyone in it) what an admin changed, and answer the admin.

    `change` is the bot's own mrkdwn (feed text in it already made inert)."""
    who = f"<@{user}>" if _USER_ID.match(user) else "An admin"
    blocks, text = views.message(f"{who} {change}")
    if ctx.client is not None and _CHANNEL_ID.match(channel):
        try:
            ctx.client.chat_postMessage(
                channel=channel, blocks=blocks, text=text, unfurl_links=False, unfurl_media=False
            )
            return views.message(f"Done, and said so in the channel: you {change}")
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log.warning(f"event=announce_failed channel={channel} error={error}")
    return views.message(
        f"Done: you {change} I could not say so in the channel: invite the bot "
        "(`/invite @hubnews`) so changes are announced there."
    )


def is_admin(ctx: Context, user: str) -> bool:
    if user in ctx.config.admins:
        return True
    if ctx.client is None or not user:
        return False
    try:
        info = ctx.client.users_info(user=user)["user"]
    except SlackApiError:
        return False
    return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
