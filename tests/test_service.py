"""`hubnews run` (bot.service): token handling, the terminal sink, health, metrics, shutdown."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import config, service
from bot.config import Secrets
from bot.errors import ConfigError, HubnewsError
from bot.schedule import Timing

from fakes import free_port, wait_for
from fakes.feed_server import FeedServer
from fakes.slack_api import FakeSlack, signed_headers

FAST = Timing(deliver_every=0.2, sync_every=0.5, jitter=0.0)
ROOT = Path(__file__).resolve().parents[1]


def write_config(tmp_path: Path, feeds: dict[str, str]) -> Path:
    text = f'database = "{tmp_path / "hubnews.db"}"\n\n'
    text += "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{url}"\ninterval = "1s"\n\n'
        for name, url in feeds.items()
    )
    text += '[[routes]]\nchannel = "C0ALERTS1"\ntags = ["ai", "industrial-policy"]\n'
    path = tmp_path / "hubnews.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("bot", "signing", "app", "mode"),
    [
        (None, None, None, "terminal"),
        ("xoxb-1", "secret", None, "http"),
        ("xoxb-1", None, "xapp-1", "socket"),
        ("xoxb-1", "secret", "xapp-1", "socket"),
    ],
)
def test_slack_mode(bot: str | None, signing: str | None, app: str | None, mode: str) -> None:
    assert service.slack_mode(Secrets(bot, signing, app)) == mode


@pytest.mark.parametrize(
    ("secrets", "names"),
    [
        (Secrets("xoxb-1"), ["SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"]),
        (Secrets(None, "secret"), ["SLACK_BOT_TOKEN"]),
        (Secrets(None, None, "xapp-1"), ["SLACK_BOT_TOKEN"]),
    ],
)
def test_unusable_tokens_are_refused_naming_the_variable(
    secrets: Secrets, names: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        service.slack_mode(secrets)
    for name in names:
        assert name in str(caught.value)


def test_auth_test_failing_at_start_is_fatal(tmp_path: Path, slack_api: FakeSlack) -> None:
    slack_api.auth_ok = False
    env = {
        "SLACK_BOT_TOKEN": "xoxb-revoked",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": slack_api.url,
    }
    cfg = config.load(write_config(tmp_path, {}), environ=env)
    with pytest.raises(HubnewsError) as caught:
        service.run(cfg, port=free_port(), stop=threading.Event(), log_level=None)
    assert "auth.test: invalid_auth" in caught.value.message
    assert "SLACK_BOT_TOKEN" in caught.value.hint


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def alerts(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if line.startswith("ALERT ")]


def start_run(
    cfg: config.Config, out: io.StringIO, port: int, metrics_port: int | None = None
) -> tuple[threading.Thread, threading.Event, list[int]]:
    stop, result = threading.Event(), []
    thread = threading.Thread(
        target=lambda: result.append(
            service.run(
                cfg,
                port=port,
                metrics_port=metrics_port,
                stop=stop,
                out=out,
                host="127.0.0.1",
                timing=FAST,
                log_level=None,
            )
        )
    )
    thread.start()
    return thread, stop, result


def test_terminal_sink_health_metrics_and_restart(tmp_path: Path, feeds: FeedServer) -> None:
    cfg = config.load(
        write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=2)}), environ={}
    )
    out, port, metrics_port = io.StringIO(), free_port(), free_port()
    thread, stop, result = start_run(cfg, out, port, metrics_port)
    try:
        assert wait_for(lambda: len(alerts(out)) == 2)
        assert "no Slack tokens set" in out.getvalue().splitlines()[0]
        (fresh,) = feeds.publish("/alpha.xml")
        assert wait_for(lambda: len(alerts(out)) == 3)
        assert f"(alpha{fresh})" in alerts(out)[-1]
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok"
        assert health["checks"] == {
            "scheduler": True,
            "database": True,
            "slack": True,
            "polls": True,
        }
        assert health["last_poll_ok"] is not None
        status, text = get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200 and b"hubnews_polls_total" in text
        assert b"hubnews_queue_length" in text
        assert b"hubnews_leader 1.0" in text  # one process on SQLite: it leads
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive() and result == [0]
    # A restart with the same database repeats nothing, and still delivers what is new.
    feeds.publish("/alpha.xml")
    again = io.StringIO()
    thread, stop, result = start_run(cfg, again, free_port())
    try:
        assert wait_for(lambda: len(alerts(again)) == 1)
        assert wait_for(
            lambda: (
                sum(
                    1
                    for r in feeds.requests("/alpha.xml")
                    if r.headers.get("if-none-match") == '"alpha-v3"'
                )
                >= 2
            )
        )
        assert len(alerts(again)) == 1
    finally:
        stop.set()
        thread.join(15)
    assert result == [0]


def spawn(config_path: Path, port: int, before: str = "") -> subprocess.Popen[str]:
    """`hubnews run` in a subprocess with fast delivery; `before` runs first (test code)."""
    code = before + (
        "import sys; from bot import config, service; from bot.schedule import Timing; "
        f"sys.exit(service.run(config.load({str(config_path)!r}), port={port}, "
        "timing=Timing(deliver_every=0.2, jitter=0.0)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HUBNEWS_"))}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def read_until(proc: subprocess.Popen[str], marker: str, limit: int = 200) -> list[str]:
    lines: list[str] = []
    assert proc.stdout is not None
    for _ in range(limit):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} never printed; got {lines}")


def test_sigterm_exits_cleanly_in_a_subprocess(tmp_path: Path, feeds: FeedServer) -> None:
    path = write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=1)})
    proc = spawn(path, free_port())
    try:
        read_until(proc, "hubnews running")
        read_until(proc, "ALERT ")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    _, err = proc.communicate()
    assert "event=stopped clean=True" in err
    assert "Traceback" not in err


def test_sigterm_delivered_to_another_thread_still_stops_the_service(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """The kernel hands a process-directed SIGTERM to any thread. When a worker thread takes
    it, Python runs the handler only once the main thread runs bytecode again: a main thread
    blocked in an untimed wait never did, and the service ignored SIGTERM (seen as a rare
    hang under load). Here a worker thread receives the signal on purpose."""
    path = write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=1)})
    kick = (
        "import signal, threading, time\n"
        "def kick():\n"
        "    while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:\n"
        "        time.sleep(0.05)\n"
        "    time.sleep(1.0)  # the main thread is in its wait by now\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)\n"
        "threading.Thread(target=kick, daemon=True).start()\n"
    )
    proc = spawn(path, free_port(), before=kick)
    try:
        _, err = proc.communicate(timeout=30)  # a hang, not a speed check
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "event=stopped clean=True" in err


@pytest.mark.slow
def test_sigterm_with_a_fetch_stuck_in_flight(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.add("/stuck.xml")
    path = write_config(
        tmp_path, {"alpha": feeds.add("/alpha.xml", items=1), "stuck": feeds.url("/stuck.xml")}
    )
    proc = spawn(path, free_port())
    try:
        read_until(proc, "ALERT ")
        feeds.delays["/stuck.xml"] = 30.0
        time.sleep(2.5)  # the 1 s interval puts a request to the stalled feed in flight
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    _, err = proc.communicate()
    print([line for line in err.splitlines() if "event=stop" in line])
    assert "event=stopped" in err and "Traceback" not in err


def test_admin_notice_goes_to_each_admin_escaped(tmp_path: Path, slack_api: FakeSlack) -> None:
    from dataclasses import replace

    from slack_sdk import WebClient

    from bot.health import Health
    from bot.sinks import SlackSink
    from bot.store import Store

    cfg = replace(config.load(write_config(tmp_path, {}), environ={}), admins=("U0ADMIN1",))
    store = Store(":memory:")
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    sink = SlackSink(cfg, store, client, Health(store, lambda: True, lambda: None))
    sink.notify("Feed `x` (<!channel>) is disabled")
    (message,) = slack_api.posted("U0ADMIN1")
    assert message["text"] == "Feed `x` (&lt;!channel&gt;) is disabled"


def test_health_fails_when_the_database_or_slack_is_broken(tmp_path: Path) -> None:
    from bot.health import Health
    from bot.store import Store

    store = Store(tmp_path / "h.db")
    health = Health(store, lambda: True, lambda: None, cache_for=0)
    ok, details = health()
    assert ok and details["last_poll_ok"] is None
    health.set_slack("token_revoked")
    ok, details = health()
    assert not ok and details["slack_auth"] == "token_revoked"
    health.set_slack("ok")
    store.close()
    ok, details = health()
    assert not ok and details["checks"]["database"] is False and details["database"] == "error"


def rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_over_many_polls(tmp_path: Path, feeds: FeedServer) -> None:
    names = {f"f{i}": feeds.add(f"/f{i}.xml", items=3) for i in range(20)}
    cfg = config.load(write_config(tmp_path, names), environ={})
    out = io.StringIO()
    thread, stop, result = start_run(cfg, out, free_port())
    try:
        assert wait_for(lambda: len(alerts(out)) == 60, timeout=30)
        time.sleep(10)  # warm up: every feed answers 304 from now on
        before, polls_before = rss_bytes(), len(feeds.log)
        time.sleep(30)
        growth, polls = rss_bytes() - before, len(feeds.log) - polls_before
    finally:
        stop.set()
        thread.join(15)
    assert result == [0]
    print(f"RSS growth {growth / 2**20:.2f} MiB over {polls} polls")
    assert polls >= 200  # the scheduler really kept polling
    assert growth < 8 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB over {polls} polls"


def test_http_mode_polls_posts_and_answers_hubnews(
    tmp_path: Path, feeds: FeedServer, slack_api: FakeSlack
) -> None:
    """The whole service: feeds on loopback, Slack faked at the Web API, commands over HTTP."""
    from urllib.parse import urlencode

    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": slack_api.url,
    }
    cfg = config.load(
        write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=2)}), environ=env
    )
    port = free_port()
    thread, stop, result = start_run(cfg, io.StringIO(), port)
    try:
        assert wait_for(lambda: len(slack_api.posted("C0ALERTS1")) == 2)
        posted = slack_api.posted("C0ALERTS1")
        assert all(m["metadata"]["event_type"] == "hubnews_story_posted" for m in posted)
        body = urlencode(
            {
                "command": "/hubnews",
                "text": "Item",
                "user_id": "U1",
                "channel_id": "C0ALERTS1",
                "response_url": slack_api.response_url("e2e"),
            }
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=signed_headers("s3cret", body),
        )
        assert wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200)
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
        assert wait_for(lambda: slack_api.responses.get("e2e"))
        answer = json.dumps(slack_api.responses["e2e"][0], ensure_ascii=False)
        assert "Stories matching" in answer
        # links to the alerts it posted, as chat.getPermalink gives them (not hand-built)
        assert f"{slack_api.host}/archives/C0ALERTS1/p" in answer
    finally:
        stop.set()
        thread.join(15)
    assert result == [0]


def hubnews(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HUBNEWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env | {"COLUMNS": "500"},
        timeout=120,
    )


def test_a_second_run_on_the_same_database_exits_2_naming_the_first(
    tmp_path: Path, feeds: FeedServer
) -> None:
    path = write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=1)})
    first = spawn(path, free_port())
    try:
        read_until(first, "hubnews running")
        second = hubnews("run", "--config", str(path), "--port", str(free_port()))
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid} " in second.stderr and "hubnews.db.lock" in second.stderr
        assert "hubnews running" not in second.stdout
        # The one-shot commands still work beside the running service.
        assert hubnews("poll", "--once", "--config", str(path)).returncode == 0
        found = hubnews("search", "--config", str(path), "--json", "Item")
        assert found.returncode == 0 and json.loads(found.stdout.splitlines()[0])["title"]
        first.send_signal(signal.SIGTERM)
        # generous: this test is about the lock; the shutdown deadline has its own test
        assert first.wait(timeout=30) == 0
    finally:
        first.kill()
        first.communicate()
    # Once the first has stopped, the database is free again (the lock file does not linger).
    restarted = spawn(path, free_port())
    try:
        read_until(restarted, "hubnews running")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0  # generous, as above
    finally:
        restarted.kill()  # never leave a service running after a failed assertion
        restarted.communicate()


def test_the_instance_lock_is_per_database_and_released_on_exit(tmp_path: Path) -> None:
    from bot.instance import AlreadyRunning, single_instance

    with single_instance(tmp_path / "a.db") as lock:
        assert lock == tmp_path / "a.db.lock" and f"pid {os.getpid()} " in lock.read_text()
        with (
            pytest.raises(AlreadyRunning, match=r"pid \d+ on .*/a\.db\.lock"),
            single_instance(tmp_path / "a.db"),
        ):
            pass
        with single_instance(tmp_path / "b.db"):  # another database: no conflict
            pass
    with single_instance(tmp_path / "a.db"):  # released
        pass
    with single_instance(":memory:") as none:
        assert none is None
