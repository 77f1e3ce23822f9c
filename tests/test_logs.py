"""bot.logs: one line per event, whole values in JSON, secrets redacted in both formats."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from bot.logs import kv

SECRET = "s3cr3t-value-42"
TOKEN = "xoxb-1111-2222-abcdefghijkl"


@pytest.fixture(params=["text", "json"])
def logged(request: pytest.FixtureRequest) -> Iterator[tuple[str, logging.Logger, io.StringIO]]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.formatter(request.param))
    logger = logging.getLogger(f"hubnews.test.{request.param}")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield request.param, logger, buffer
    logger.handlers[:] = []


def lines(fmt: str, buffer: io.StringIO) -> list[Any]:
    text = buffer.getvalue().splitlines()
    return [json.loads(line) for line in text] if fmt == "json" else text


@pytest.mark.parametrize(
    ("emit"),
    [
        lambda log: log.info(kv(event="auth", signing_secret=SECRET)),
        lambda log: log.info(kv(event="auth", token=SECRET)),
        lambda log: log.info(kv(event="auth", bot_token=SECRET)),
        lambda log: log.info(kv(event="auth", detail=f"sent token={SECRET} to slack")),
        lambda log: log.info(kv(event="auth", detail=f"bad {TOKEN} here")),
        lambda log: log.info(f"event=auth signing_secret={SECRET}"),
        lambda log: log.info(f'event=auth token="{SECRET} and more"'),
        lambda log: log.info("event=auth token=%s", SECRET),
        lambda log: log.info(f"event=auth error=ValueError: bad signing_secret={SECRET} seen"),
        lambda log: log.info("event=auth", extra={"signing_secret": SECRET}),
        lambda log: log.info("event=auth", extra={"fields": {"token": SECRET}}),
        lambda log: log.info(f"Authorization: Bearer {SECRET}"),
    ],
    ids=[
        "kv-signing_secret",
        "kv-token",
        "kv-bot_token",
        "kv-value-with-token=",
        "kv-value-with-slack-token",
        "message-signing_secret=",
        "message-quoted-token",
        "message-%s-token",
        "message-unparseable",
        "extra-field",
        "extra-fields",
        "bearer",
    ],
)
def test_secrets_are_redacted_in_fields_and_messages(
    logged: tuple[str, logging.Logger, io.StringIO], emit: Any
) -> None:
    fmt, log, buffer = logged
    emit(log)
    output = buffer.getvalue()
    assert SECRET not in output and "abcdefghijkl" not in output
    assert "[redacted]" in output
    assert len(lines(fmt, buffer)) == 1


def test_secrets_in_tracebacks_are_redacted(
    logged: tuple[str, logging.Logger, io.StringIO],
) -> None:
    _, log, buffer = logged
    try:
        raise RuntimeError(f"signing_secret={SECRET} {TOKEN}")
    except RuntimeError:
        log.exception(kv(event="bug"))
    assert SECRET not in buffer.getvalue() and "abcdefghijkl" not in buffer.getvalue()


def test_json_lines_carry_whole_values() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.formatter("json"))
    log = logging.getLogger("hubnews.test.whole")
    log.handlers[:] = [handler]
    log.propagate = False
    log.warning(
        kv(
            event="poll",
            feed="South China Morning Post",
            error='HTTP 503 "Service Unavailable" = try later',
            new=3,
            ok=True,
            gone=None,
        )
    )
    log.warning("event=feed_state_not_saved feed=%s error=%s", "my feed", "database is locked")
    log.warning("event=slack_error kind=/hubnews error=ValueError: query was empty")
    first, second, third = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert first["feed"] == "South China Morning Post"
    assert first["error"] == 'HTTP 503 "Service Unavailable" = try later'
    assert (first["new"], first["ok"], first["gone"], first["event"]) == (3, True, None, "poll")
    # a message that is not a clean key=value line is kept whole, never cut at a space
    assert second["message"].endswith("feed=my feed error=database is locked")
    assert third["message"].endswith("error=ValueError: query was empty")


def test_text_lines_quote_values_and_stay_on_one_line() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.formatter("text"))
    log = logging.getLogger("hubnews.test.oneline")
    log.handlers[:] = [handler]
    log.propagate = False
    log.warning(kv(event="poll", feed="a feed", title="forged\n2020-01-01 error fake line \x1b[2J"))
    log.warning("event=x title=%s", "two\nlines")
    output = buffer.getvalue()
    assert output.count("\n") == 2 and "\x1b" not in output
    assert (
        'feed="a feed"' in output and '"forged\\n2020-01-01 error fake line \\u001b[2J"' in output
    )


def test_kv_is_a_string_for_callers_that_keep_the_line() -> None:
    line = kv(event="deliver_failed", channel="C1", error="channel_not_found", fix="invite it")
    assert line == 'event=deliver_failed channel=C1 error=channel_not_found fix="invite it"'
    assert "error=channel_not_found" in line
