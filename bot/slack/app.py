"""The Bolt app: its listeners grouped by feature, one error handler, a thin edge.

`build_app(config, store)` wires `/hubnews` (commands.py) and the alert buttons (actions.py)
to the store; `server.py` serves it over HTTP or Socket Mode.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.classify import Taxonomy, load_taxonomy
from bot.config import Config
from bot.fetch import make_client
from bot.logs import redact
from bot.slack import actions, commands, home, views
from bot.slack.directory import Directory
from bot.store import StoreAPI

log = logging.getLogger(__name__)


def build_app(
    config: Config,
    store: StoreAPI,
    *,
    client: WebClient | None = None,
    taxonomy: Taxonomy | None = None,
) -> App:
    token = config.secrets.bot_token
    client = client or WebClient(token=token, base_url=config.slack_api_url)
    app = App(
        client=client,  # carries the token
        signing_secret=config.secrets.signing_secret or "",
        token_verification_enabled=False,
        process_before_response=False,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    ctx = commands.Context(
        config=config,
        store=store,
        taxonomy=taxonomy or load_taxonomy(config.taxonomy),
        http=make_client(config.limits),
        client=client,
        directory=Directory(client),
    )
    commands.register(app, ctx)
    actions.register(app, ctx)
    home.register(app, ctx, lambda text: commands.validate_watch(ctx, text), ctx.directory)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> None:
        kind = body.get("command") or body.get("type") or "event"
        log.error(
            redact(
                f"event=slack_error kind={kind} user={_user(body)} "
                f"error={type(error).__name__}: {error}"
            ),
            exc_info=error,
        )
        if respond is not None and body.get("response_url"):
            blocks, text = views.message(
                "Sorry, that went wrong on our side; it has been "
                "logged for the operator. Try again in a minute."
            )
            respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=text)

    return app


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user_id") or body.get("user", {}).get("id", "-"))
