"""Serving the Bolt app: HTTP mode through Bolt's Starlette adapter on uvicorn, or Socket Mode.

HTTP mode answers POST /slack/events (slash commands, interactivity, events; Bolt verifies the
signature and refuses requests older than 5 minutes) and GET /healthz (JSON, no secrets; 503
when unhealthy). Bolt's own `app.start()` is a development server and is not used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette import SlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Health = Callable[[], tuple[bool, dict[str, Any]]]


def http_app(bolt_app: App, health: Health) -> Starlette:
    handler = SlackRequestHandler(bolt_app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_request: Request) -> Response:
        ok, report = health()
        return JSONResponse(report, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def serve_http(
    asgi_app: Starlette,
    port: int,
    stop: threading.Event,
    host: str = "0.0.0.0",
    *,
    started: threading.Event | None = None,
) -> None:
    """Serve until `stop` is set (blocks; run it in a thread). `started` is set once listening."""
    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
        )
    )

    def watch() -> None:
        while not stop.wait(0.2):
            if started is not None and server.started and not started.is_set():
                started.set()
        server.should_exit = True

    threading.Thread(target=watch, name="http-stop", daemon=True).start()
    server.run()


def start_socket_mode(bolt_app: App, app_token: str) -> SocketModeHandler:
    """Connect over Socket Mode (no public URL needed); returns the handler (`.close()`)."""
    handler = SocketModeHandler(bolt_app, app_token)
    handler.connect()
    return handler
