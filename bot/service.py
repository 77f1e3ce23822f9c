"""`hubnews run`: the long-running process.

    tokens (DESIGN "Tokens present")      mode
    none                                  terminal sink: alerts and digests printed to `out`
    SLACK_BOT_TOKEN + SLACK_APP_TOKEN     Socket Mode; /healthz on --port by `health.serve_health`
    SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET HTTP mode: /slack/events and /healthz on --port
    anything else                         refused (ConfigError naming the variable to set)

With Slack, `auth.test` runs first and a refusal is fatal; later it runs every `AUTH_EVERY`
seconds and a failure marks /healthz unhealthy while alerts stay queued (deliver holds them).
One `run` per SQLite database (`bot.instance`): a second one exits with code 2 naming the
process that holds `<database>.lock`. SIGTERM/SIGINT set `stop`: the scheduler starts nothing
new, jobs in flight get `GRACE` seconds (a post in flight is either finished or left in
`posting`, which the next start reconciles from Slack's history), servers close, the database
closes, and `run` returns 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import digest, logs
from bot.config import Config, Secrets
from bot.deliver import make_client
from bot.errors import ConfigError, HubnewsError
from bot.health import Health, metrics, serve_health, serve_metrics
from bot.instance import single_instance
from bot.leader import Leadership
from bot.pipeline import Outcome, Pipeline
from bot.poller import kv
from bot.schedule import Scheduler, Timing, start
from bot.sinks import SlackSink, TerminalSink
from bot.slack.directory import Directory
from bot.slack_failures import NETWORK_ERRORS, TOKEN_FIXES
from bot.store import StoreAPI, open_store
from bot.store.sqlite.base import now_utc
from bot.watching import Watching

log = logging.getLogger("hubnews.service")
SIGNAL_CHECK = 0.25  # seconds between the main thread's looks at pending signals
GRACE = 5.0  # seconds jobs in flight get at shutdown (+1 s after closing: under 10 s)
AUTH_EVERY = 300.0
TERMINAL, HTTP, SOCKET = "terminal", "http", "socket"


def slack_mode(secrets: Secrets) -> str:
    """Which way hubnews talks to Slack, or a ConfigError naming the variable to set."""
    bot, signing, app = secrets.bot_token, secrets.signing_secret, secrets.app_token
    if not (bot or signing or app):
        return TERMINAL
    if not bot:
        raise ConfigError(
            "SLACK_SIGNING_SECRET / SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not",
            hint="set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…)",
        )
    if app:
        return SOCKET
    if signing:
        return HTTP
    raise ConfigError(
        "SLACK_BOT_TOKEN is set but hubnews could not receive /hubnews commands",
        hint="set SLACK_SIGNING_SECRET (HTTP mode: Request URL https://<host>/slack/events) "
        "or SLACK_APP_TOKEN (Socket Mode, an xapp- token with connections:write)",
    )


def check_auth(client: WebClient) -> str:
    """'ok', or the error auth.test answered (network trouble included)."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        return str(exc.response.get("error") or f"http_{exc.response.status_code}")
    except (SlackClientError, *NETWORK_ERRORS) as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def run(
    config: Config,
    *,
    port: int = 3000,
    metrics_port: int | None = None,
    stop: threading.Event | None = None,
    out: TextIO = sys.stdout,
    host: str = "0.0.0.0",
    metrics_host: str = "127.0.0.1",
    timing: Timing | None = None,
    log_level: str | None = "info",
) -> int:
    """Run until `stop` is set (or SIGTERM/SIGINT in the main thread); 0 after a clean stop.

    `log_level=None` leaves logging as the caller set it up (tests).
    """
    if log_level:
        logs.setup(log_level, config.log_format)
    mode = slack_mode(config.secrets)
    stop = stop or threading.Event()
    with single_instance(config.database):
        store = open_store(config.database)
        service = _Service(config, store, mode, out, timing or Timing())
        try:
            finished = service.run(stop, port, metrics_port, host, metrics_host)
        finally:
            store.close()
    log.info(kv(event="stopped", clean=finished))
    if not finished and service.own_signals:
        logging.shutdown()
        os._exit(0)  # a fetch stuck past the grace period must not hold the exit (10 s budget)
    return 0


class _Service:
    def __init__(
        self, config: Config, store: StoreAPI, mode: str, out: TextIO, timing: Timing
    ) -> None:
        self.config, self.store, self.mode, self.out, self.timing = config, store, mode, out, timing
        self.own_signals = False
        self.closers: list[Callable[[], object]] = []

    def run(
        self,
        stop: threading.Event,
        port: int,
        metrics_port: int | None,
        host: str,
        metrics_host: str,
    ) -> bool:
        client = self._client()
        people = Directory(client) if client is not None else None
        watching = Watching(self.store, members=people.members if people else None)
        pipeline = Pipeline(self.config, self.store, watching=watching)
        self.closers.append(pipeline.close)
        holder: dict[str, Scheduler] = {}

        def elected() -> None:  # rebuild the dedup window, then poll what the old leader would
            pipeline.reload_window()
            if "s" in holder:
                holder["s"].elected()

        leadership = Leadership(self.config.database, on_elected=elected)
        health = Health(
            self.store,
            lambda: holder["s"].alive() if "s" in holder else False,
            lambda: holder["s"].stats.last_ok if "s" in holder else None,
            role=lambda: leadership.role,
        )
        sink = self._sink(client, health)
        try:
            self._listen(client, health, stop, port, host, metrics_port, metrics_host)
            self.closers.insert(0, leadership.start().close)
            holder["s"] = scheduler = start(
                self.config,
                self.store,
                pipeline,
                sink.deliver_once,
                digest=lambda route: digest.post_digest(self.store, route, sink.send, now_utc()),
                notify=sink.notify,
                on_poll=_count_poll,
                timing=self.timing,
                leader=lambda: leadership.is_leader,
            )
        except BaseException:
            self.close()
            raise
        metrics.watch_queue(self.store)
        metrics.watch_role(lambda: leadership.role)
        self._signals(stop)
        self._announce(port, metrics_port)
        if client is not None:
            threading.Thread(
                target=self._watch_auth, args=(client, health, stop), daemon=True
            ).start()
        # Timed waits: a signal taken by a worker thread runs its handler only when the main
        # thread next runs bytecode, which an untimed wait never lets it do.
        while not stop.wait(SIGNAL_CHECK):
            pass
        log.info(kv(event="stopping", reason="signal or stop event"))
        finished = scheduler.shutdown(GRACE)
        self.close()
        return finished or scheduler.shutdown(1.0)

    def close(self) -> None:
        for close in self.closers:
            close()
        self.closers.clear()

    def _listen(
        self,
        client: WebClient | None,
        health: Health,
        stop: threading.Event,
        port: int,
        host: str,
        metrics_port: int | None,
        metrics_host: str,
    ) -> None:
        try:
            self._serve(client, health, stop, port, host)
            if metrics_port is not None:
                self.closers.insert(0, serve_metrics(metrics_port, metrics_host).close)
        except OSError as exc:
            raise HubnewsError(
                f"cannot listen on port {port} (or metrics port {metrics_port}): {exc.strerror}",
                hint="choose another --port / --metrics-port, or stop the process using it",
            ) from None

    def _client(self) -> WebClient | None:
        if self.mode == TERMINAL:
            return None
        assert self.config.secrets.bot_token
        client = make_client(self.config.secrets.bot_token, base_url=self.config.slack_api_url)
        state = check_auth(client)
        if state != "ok":
            raise HubnewsError(
                f"Slack refused SLACK_BOT_TOKEN at start (auth.test: {state})",
                hint=TOKEN_FIXES.get(
                    state,
                    f"check SLACK_BOT_TOKEN and that {self.config.slack_api_url} is reachable",
                ),
            )
        return client

    def _sink(self, client: WebClient | None, health: Health) -> TerminalSink | SlackSink:
        if client is None:
            return TerminalSink(self.store, self.config.routes, self.out)
        health.set_slack("ok")
        return SlackSink(self.config, self.store, client, health)

    def _serve(
        self, client: WebClient | None, health: Health, stop: threading.Event, port: int, host: str
    ) -> None:
        if self.mode == TERMINAL:
            self.closers.insert(0, serve_health(health, port, host).close)
            return
        try:
            from bot.slack.app import build_app  # the Slack edge (issue [slack])
            from bot.slack.server import http_app, serve_http, start_socket_mode
        except ImportError as exc:
            raise HubnewsError(
                f"this build cannot serve Slack ({exc})",
                hint="unset the SLACK_* variables to run with the terminal sink, or install a "
                "hubnews that includes bot.slack.app and bot.slack.server",
            ) from None

        bolt = build_app(self.config, self.store, client=client)
        if self.mode == SOCKET:
            assert self.config.secrets.app_token
            handler = start_socket_mode(bolt, self.config.secrets.app_token)
            self.closers.insert(0, handler.close)
            self.closers.insert(0, serve_health(health, port, host).close)
            return
        asgi = http_app(bolt, health)
        threading.Thread(target=serve_http, args=(asgi, port, stop, host), daemon=True).start()

    def _signals(self, stop: threading.Event) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        self.own_signals = True

    def _announce(self, port: int, metrics_port: int | None) -> None:
        feeds = sum(1 for f in self.config.feeds if f.enabled)
        where = {
            TERMINAL: "no Slack tokens set: alerts are printed here (terminal sink)",
            HTTP: f"Slack HTTP mode: /slack/events and /healthz on port {port}",
            SOCKET: f"Slack Socket Mode; /healthz on port {port}",
        }[self.mode]
        metrics_line = f"; /metrics on 127.0.0.1:{metrics_port}" if metrics_port else ""
        self.out.write(f"hubnews running: {feeds} feeds; {where}{metrics_line}\n")
        self.out.flush()
        log.info(kv(event="started", mode=self.mode, feeds=feeds, port=port))

    def _watch_auth(self, client: WebClient, health: Health, stop: threading.Event) -> None:
        while not stop.wait(AUTH_EVERY):
            state = check_auth(client)
            if state != health.slack:
                log.warning(kv(event="slack_auth", state=state, fix=TOKEN_FIXES.get(state, "")))
            health.set_slack(state)


def _count_poll(outcome: Outcome) -> None:
    result = "failed" if outcome.error else "not_modified" if outcome.not_modified else "ok"
    new = outcome.new
    metrics.polled(result, len(new), sum(1 for p in new if p.story.duplicate))
