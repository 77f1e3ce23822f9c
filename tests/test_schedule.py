"""The scheduler against a loopback feed server whose content changes, and a loopback Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot import config
from bot.deliver import deliver
from bot.pipeline import Pipeline
from bot.schedule import Scheduler, Timing, start
from bot.store import Store

from fakes import wait_for
from fakes.feed_server import FeedServer
from fakes.slack_api import FakeSlack

FAST = Timing(deliver_every=0.2, sync_every=0.3, prune_every=3600, jitter=0.0)


def write_config(
    tmp_path: Path, feeds: dict[str, str], extra: str = "", interval: str = "1s"
) -> config.Config:
    text = "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{url}"\ninterval = "{interval}"\n\n'
        for name, url in feeds.items()
    )
    text += '[[routes]]\nchannel = "C0ALERTS1"\ntags = ["ai", "industrial-policy"]\n' + extra
    path = tmp_path / "hubnews.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path, environ={})


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_new_items_reach_slack_and_unchanged_feeds_get_304(
    tmp_path: Path, feeds: FeedServer, slack_api: FakeSlack
) -> None:
    cfg = write_config(tmp_path, {"alpha": feeds.add("/alpha.xml", items=2)})
    store = Store(tmp_path / "db.sqlite")
    pipeline = Pipeline(cfg, store)
    client = WebClient(token="xoxb-test", base_url=slack_api.url)
    sched = start(
        cfg,
        store,
        pipeline,
        lambda: deliver(store, client, store.get_story, per_channel_interval=0.0, max_wait=0.5),
        timing=FAST,
    )
    try:
        assert wait_for(lambda: len(slack_api.posted("C0ALERTS1")) == 2)
        assert wait_for(
            lambda: any(r.headers.get("if-none-match") for r in feeds.requests("/alpha.xml"))
        )
        conditional = [r for r in feeds.requests("/alpha.xml") if "if-none-match" in r.headers]
        assert conditional[0].headers["if-none-match"] == '"alpha-v1"'
        (fresh,) = feeds.publish("/alpha.xml")
        assert wait_for(lambda: len(slack_api.posted("C0ALERTS1")) == 3)
        newest = slack_api.posted("C0ALERTS1")[-1]
        assert f"(alpha{fresh})" in newest["text"]
        assert newest["metadata"]["event_payload"]["key"].endswith(f"alpha-{fresh}")
        assert wait_for(
            lambda: any(
                r.headers.get("if-none-match") == '"alpha-v2"' for r in feeds.requests("/alpha.xml")
            )
        )
        assert len(slack_api.posted("C0ALERTS1")) == 3  # the 304s posted nothing again
        assert sched.stats.last_ok is not None and sched.alive()
    finally:
        assert sched.shutdown(5.0)
        pipeline.close()
        store.close()


def make(
    tmp_path: Path, feeds: dict[str, str], extra: str = ""
) -> tuple[Scheduler, list[str], Clock]:
    cfg = write_config(tmp_path, feeds, extra, interval="1m")
    store = Store(":memory:")
    notices: list[str] = []
    clock = Clock()
    sched = Scheduler(
        cfg,
        store,
        Pipeline(cfg, store),
        lambda: None,
        notify=notices.append,
        timing=FAST,
        now=clock,
    )
    sched.sync()
    return sched, notices, clock


def test_failures_back_off_then_disable_with_one_notice(tmp_path: Path, feeds: FeedServer) -> None:
    url = feeds.add("/flaky.xml", items=1)
    sched, notices, clock = make(tmp_path, {"flaky": url}, "[limits]\nmax_failures = 3\n")
    feeds.fail("/flaky.xml", 503, times=10)
    outcome = sched.poll("flaky")
    assert outcome is not None and outcome.error is not None
    assert sched.stats.not_before["flaky"] == clock.now + timedelta(minutes=2)
    assert sched.poll("flaky") is None  # still backing off: no request made
    assert len(feeds.requests("/flaky.xml")) == 1
    clock.now += timedelta(minutes=2)
    assert sched.poll("flaky") is not None
    assert sched.stats.not_before["flaky"] == clock.now + timedelta(minutes=4)
    clock.now += timedelta(minutes=4)
    sched.poll("flaky")
    status = sched.store.feed("flaky")
    assert status is not None and not status.enabled
    assert "3 consecutive failures" in (status.disabled_reason or "")
    assert len(notices) == 1 and "flaky" in notices[0]
    clock.now += timedelta(days=2)
    assert sched.poll("flaky") is None  # disabled: never polled again
    assert len(feeds.requests("/flaky.xml")) == 3 and len(notices) == 1
    sched.store.set_enabled("flaky", True)  # /hubnews feeds enable flaky
    feeds.faults["/flaky.xml"].clear()
    outcome = sched.poll("flaky")
    assert outcome is not None and outcome.error is None and len(outcome.new) == 1


def test_410_disables_immediately(tmp_path: Path, feeds: FeedServer) -> None:
    sched, notices, _ = make(tmp_path, {"gone": feeds.add("/gone.xml")})
    feeds.fail("/gone.xml", 410)
    sched.poll("gone")
    status = sched.store.feed("gone")
    assert status is not None and not status.enabled and "410" in (status.disabled_reason or "")
    assert len(notices) == 1


def test_retry_after_and_max_age_push_the_next_poll(tmp_path: Path, feeds: FeedServer) -> None:
    sched, _, clock = make(tmp_path, {"busy": feeds.add("/busy.xml")})
    feeds.fail("/busy.xml", 429, headers={"Retry-After": "3600"})
    sched.poll("busy")
    assert sched.stats.not_before["busy"] == clock.now + timedelta(hours=1)
    clock.now += timedelta(hours=1)
    feeds.feeds["/busy.xml"].headers["Cache-Control"] = "max-age=7200"
    outcome = sched.poll("busy")
    assert outcome is not None and outcome.error is None
    assert sched.stats.not_before["busy"] == clock.now + timedelta(hours=2)


def test_feeds_added_from_slack_are_scheduled_and_guarded(
    tmp_path: Path, feeds: FeedServer
) -> None:
    sched, _, _ = make(tmp_path, {"alpha": feeds.add("/alpha.xml")})
    sched.store.ensure_feed("added", feeds.add("/added.xml"), origin="slack", added_by="U1")
    sched.sync()
    assert sched.scheduler.get_job("feed:added") is not None
    outcome = sched.poll("added")
    assert outcome is not None and outcome.error is not None
    assert "non-public" in outcome.error.message  # loopback refused for Slack-added feeds
    assert feeds.requests("/added.xml") == []
    sched.store.remove_feed("added")
    sched.sync()
    assert sched.scheduler.get_job("feed:added") is None
    assert sched.scheduler.get_job("feed:alpha") is not None


def test_digest_jobs_fire_at_the_route_time_in_its_timezone(
    tmp_path: Path, feeds: FeedServer
) -> None:
    extra = (
        '[[routes]]\nchannel = "C0DIGEST1"\nmode = "digest"\nat = "08:30"\n'
        'timezone = "Asia/Shanghai"\n'
    )
    cfg = write_config(tmp_path, {"alpha": feeds.add("/alpha.xml")}, extra)
    store = Store(":memory:")
    sched = Scheduler(
        cfg, store, Pipeline(cfg, store), lambda: None, digest=lambda r: None, timing=FAST
    )
    sched.start()
    try:
        job = sched.scheduler.get_job("digest:1")
        assert job is not None
        fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 24, 1, 0, tzinfo=UTC))
        assert fire.astimezone(UTC) == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
        for job_id in ("deliver", "prune", "sync", "feed:alpha"):
            found = sched.scheduler.get_job(job_id)
            assert found is not None and found.coalesce and found.max_instances == 1
    finally:
        sched.shutdown(5.0)
