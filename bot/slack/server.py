"""Serving the Bolt app: HTTP mode through Bolt's Starlette adapter on uvicorn, or Socket Mode.

HTTP mode answers POST /slack/events (slash commands, interactivity, events; Bolt verifies the
signature and refuses requests older than 5 minutes) and GET /healthz (JSON, no secrets; 503
when unhealthy). Bolt's own `app.start()` is a development server and is not used.

The edge guards itself before Bolt reads anything: a body is read only up to `MAX_BODY` bytes
(a Content-Length above it gets 413 unread; a chunked body is counted while it streams in and
cut at the cap, 413), and a request whose `X-Slack-Request-Timestamp` is not a number of
seconds gets 401 (Bolt would fail on it, or on a 400-digit one, with a 500). The signature
covers the whole body, so it cannot be checked earlier; the cap is what keeps an unsigned
300 MB POST out of memory. `/healthz` runs
its check in a worker thread: the check may touch SQLite, which must never block the loop
that acks slash commands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette import SlackRequestHandler
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message

Health = Callable[[], tuple[bool, dict[str, Any]]]
MAX_BODY = 1024 * 1024  # bytes; Slack's payloads are a few KB (a modal submission tens of KB)
log = logging.getLogger("hubnews.slack.server")


class _TooLarge(Exception):
    pass


def http_app(bolt_app: App, health: Health, *, max_body: int = MAX_BODY) -> Starlette:
    handler = SlackRequestHandler(bolt_app)

    async def events(request: Request) -> Response:
        stamp = request.headers.get("x-slack-request-timestamp")
        if stamp is not None and not _epoch_seconds(stamp):
            return PlainTextResponse("invalid request timestamp", status_code=401)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body):
            return _refused(request, declared)
        try:
            body = await _read_capped(request, max_body)
        except _TooLarge:
            return _refused(request, "chunked")
        except ClientDisconnect:  # gone before the body was in: nobody to answer
            return Response(status_code=400)
        return await handler.handle(_replay(request, body))

    async def healthz(_request: Request) -> Response:
        ok, report = await run_in_threadpool(health)
        return JSONResponse(report, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _epoch_seconds(stamp: str) -> bool:
    """Unix seconds as Bolt reads them (`int()`): ASCII digits, not so long they overflow."""
    stamp = stamp.strip()
    return stamp.isascii() and stamp.isdigit() and len(stamp) <= 12


async def _read_capped(request: Request, cap: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _TooLarge
    return bytes(body)


def _replay(request: Request, body: bytes) -> Request:
    """The request again, its body already read (Bolt's adapter reads it once more)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def _refused(request: Request, length: str) -> Response:
    client = request.client.host if request.client else "-"
    log.warning(f"event=slack_body_too_large length={length} client={client}")
    return PlainTextResponse("request body too large", status_code=413)


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
