"""A loopback Slack Web API for tests: records every call, answers like Slack, injects faults.

    fake = FakeSlack().start()
    client = WebClient(token="xoxb-test", base_url=fake.url)
    fake.fail("chat.postMessage", status=429, retry_after=1)       # next call answers 429
    fake.fail("chat.postMessage", error="channel_not_found", times=3)
    fake.fail("chat.postMessage", reset=True, after=True)           # post, then drop the line
    client.chat_postMessage(channel="C1", text="hi")
    fake.calls_to("chat.postMessage")[0].params["channel"] == "C1"

Like Slack: chat.postMessage takes a channel id or a name of a channel in `fake.channels` (and
stores the message under the id); reading methods (conversations.history/.replies,
chat.getPermalink) take ids only, a name gets `channel_not_found`. History and
conversations.list page with `limit` and `cursor` (`has_more`, `response_metadata.next_cursor`).

The pytest fixture `slack_api` yields a started FakeSlack and stops it afterwards.
Slash-command `response_url`s point at `fake.response_url(id)`; payloads land in
`fake.responses[id]`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

_ID = re.compile(r"^[CGD][A-Z0-9]+$")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int = 200
    error: str | None = None  # {"ok": false, "error": ...}
    retry_after: int | None = None
    reset: bool = False  # drop the connection without an answer
    after: bool = False  # do the work first, then fail (the caller cannot know it happened)
    delay: float = 0.0  # seconds to wait before answering


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> msgs
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.admins: set[str] = set()
        self.channels: list[dict[str, Any]] = [{"id": "C0GENERAL", "name": "general"}]
        self.members: dict[str, list[str]] = defaultdict(list)  # channel id -> user ids
        self.views: list[dict[str, Any]] = []  # views.publish / views.open payloads, in order
        self.host = "https://fake-team.slack-gov.com"  # permalinks: never slack.com
        self.auth_ok = True
        self.tokens: set[str] | None = None  # when set, other bearer tokens get invalid_auth
        self.ephemeral: list[dict[str, Any]] = []  # chat.postEphemeral payloads, in order
        self.clock: Callable[[], float] = time.monotonic  # stamps Call.at (tests may fake time)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._last_ts = 0.0
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ control
    def start(self) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base(self) -> str:
        assert self._server is not None, "FakeSlack not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """The Web API base URL for `WebClient(base_url=...)`."""
        return self.base + "/api/"

    def response_url(self, response_id: str) -> str:
        return f"{self.base}/response/{response_id}"

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        reset: bool = False,
        after: bool = False,
        delay: float = 0.0,
    ) -> None:
        """The next `times` calls to `method` misbehave as described."""
        if status == 200 and error is None and not reset and not delay:
            raise ValueError("describe the fault: status, error, reset or delay")
        with self._lock:
            for _ in range(times):
                self._faults[method].append(Fault(status, error, retry_after, reset, after, delay))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages actually stored by chat.postMessage (in order), optionally for one channel."""
        with self._lock:
            if channel is not None:
                return list(self.messages.get(channel, []))
            return [m for msgs in self.messages.values() for m in msgs]

    # ------------------------------------------------------------ dispatch
    def _next_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None

    def _record(self, call: Call) -> None:
        call.at = self.clock()
        with self._lock:
            self.calls.append(call)

    def _ts(self) -> str:
        """A message ts like Slack's: epoch seconds with 6 decimals, unique and increasing."""
        with self._lock:
            self._last_ts = max(self._last_ts + 0.000001, time.time())
            return f"{self._last_ts:.6f}"

    def handle(self, method: str, p: dict[str, Any], token: str = "") -> dict[str, Any]:
        if self.tokens is not None and token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(p)
        return result

    def _api_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        if not self.auth_ok:
            return {"ok": False, "error": "invalid_auth"}
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "team_id": "T0FAKE",
            "user": "hubnews",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    def channel_named(self, name: str) -> str | None:
        """The id of a channel by id or name (`#general`, `general`), as chat.postMessage does."""
        if _ID.match(name) or re.match(r"^[UW][A-Z0-9]+$", name):  # a user id: the app's DM
            return name
        bare = name.removeprefix("#")
        return next((str(c["id"]) for c in self.channels if c["name"] == bare), None)

    def _api_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel_named(str(p.get("channel", "")))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        message = {
            "type": "message",
            "ts": self._ts(),
            "text": p.get("text", ""),
            "blocks": _json_field(p.get("blocks")),
            "bot_id": "B0BOT",
        }
        if p.get("metadata"):
            message["metadata"] = _json_field(p["metadata"])
        if p.get("thread_ts"):
            message["thread_ts"] = str(p["thread_ts"])
        with self._lock:
            self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _api_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        message = {**p, "blocks": _json_field(p.get("blocks"))}
        with self._lock:
            self.ephemeral.append(message)
        return {"ok": True, "message_ts": self._ts()}

    def _api_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for message in self.messages.get(str(p.get("channel")), []):
                if message["ts"] == p.get("ts"):
                    message.update(text=p.get("text", ""), blocks=_json_field(p.get("blocks")))
                    return {"ok": True, "channel": p["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel", "")), str(p.get("message_ts", ""))
        if not _ID.match(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not any(m["ts"] == ts for m in self.posted(channel)):
            return {"ok": False, "error": "message_not_found"}
        link = f"{self.host}/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _history(self, p: dict[str, Any], parent: str | None) -> dict[str, Any]:
        if not _ID.match(str(p.get("channel", ""))):
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(p.get("oldest") or 0)
        with_meta = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for message in self.posted(str(p.get("channel"))):
            if message.get("thread_ts") != parent or float(message["ts"]) < oldest:
                continue
            shown = {k: v for k, v in message.items() if with_meta or k != "metadata"}
            found.append(shown)
        found.reverse()  # newest first, as Slack answers
        return _page(found, p, "messages")

    def _api_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._history(p, None)

    def _api_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._history(p, str(p.get("ts")))

    def _api_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("user", ""))
        return {
            "ok": True,
            "user": {
                "id": user,
                "name": user.lower(),
                "is_admin": user in self.admins,
                "is_owner": False,
            },
        }

    def _api_conversations_list(self, p: dict[str, Any]) -> dict[str, Any]:
        return _page(list(self.channels), p, "channels")

    def _api_conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        return _page(list(self.members.get(str(p.get("channel")), [])), p, "members")

    def _api_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        """The app's DM with a user: a "D…" channel id derived from the user id."""
        user = str(p.get("users", ""))
        if not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user[1:]}}

    def _api_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = _json_field(p.get("view"))
        with self._lock:
            self.views.append(
                {"method": "views.publish", "user_id": p.get("user_id"), "view": view}
            )
        return {"ok": True, "view": {"id": "V1", **(view or {})}}

    def _api_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = _json_field(p.get("view"))
        with self._lock:
            self.views.append(
                {"method": "views.open", "trigger_id": p.get("trigger_id"), "view": view}
            )
        return {"ok": True, "view": {"id": "V2", **(view or {})}}


def _page(items: list[Any], p: dict[str, Any], name: str) -> dict[str, Any]:
    """One page of `items` as Slack pages: `limit` (default 100), an opaque `cursor`."""
    start = int(str(p.get("cursor") or "off:0").removeprefix("off:"))
    end = start + int(p.get("limit") or 100)
    more = end < len(items)
    return {
        "ok": True,
        name: items[start:end],
        "has_more": more,
        "response_metadata": {"next_cursor": f"off:{end}" if more else ""},
    }


def _json_field(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        if "json" in (self.headers.get("Content-Type") or ""):
            params.update(json.loads(body or b"{}"))
        else:
            params.update(parse_qsl(body.decode("utf-8")))
        headers = dict(self.headers.items())
        if parts.path.startswith("/response/"):
            response_id = parts.path.removeprefix("/response/")
            with self.owner._lock:
                self.owner.responses[response_id].append(params)
            self.owner._record(Call("response_url", params, headers))
            return self._send(200, {"ok": True})
        method = parts.path.removeprefix("/api/")
        self.owner._record(Call(method, params, headers))
        self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> None:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        fault = self.owner._next_fault(method)
        if fault is None:
            return self._send(200, self.owner.handle(method, params, token))
        if fault.delay:
            time.sleep(fault.delay)  # a slow answer; the work is still done (or not: `after`)
        plain = fault.status == 200 and fault.error is None and not fault.reset
        if plain:
            return self._send(200, self.owner.handle(method, params, token))
        if fault.after:
            self.owner.handle(method, params, token)
        if fault.reset:
            self.close_connection = True
            linger = struct.pack("ii", 1, 0)  # close with RST: "connection reset by peer"
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            return None
        if fault.error is not None:
            return self._send(fault.status, {"ok": False, "error": fault.error})
        if fault.status == 429:
            return self._send(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after or 1)},
            )
        return self._send(fault.status, b"upstream trouble")

    def _send(
        self, status: int, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        kind = "text/plain" if isinstance(payload, bytes) else "application/json; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the client gave up (a timeout test): nothing to tell it
            self.close_connection = True


def signed_headers(secret: str, body: str, *, age: float = 0.0) -> dict[str, str]:
    """The headers Slack sends with a request body: timestamp and v0 HMAC-SHA256 signature."""
    stamp = str(int(time.time() - age))
    mac = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + mac.hexdigest(),
    }


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    """A started loopback Slack Web API; use `WebClient(token=..., base_url=slack_api.url)`."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
