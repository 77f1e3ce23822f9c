"""Out-of-range date filters typed into /hubnews, sent as Slack sends them (signed HTTP)."""

from __future__ import annotations

import json

import pytest
from test_slack_app import Running, running  # noqa: F401  (the running app fixture)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chips since:99999999999d", "reaches too far back"),
        ("chips since:0001-01-01T00:00+01:00", "outside the years"),
        ("chips before:9999-12-31T23:59:59-23:59", "outside the years"),
        ("chips since:99999-01-01", "neither a duration nor a date"),
    ],
)
def test_out_of_range_dates_get_the_next_step_not_an_error(
    running: Running,  # noqa: F811
    text: str,
    message: str,
) -> None:
    response, rid = running.command(text)
    assert response.status_code == 200
    answer = json.dumps(running.reply(rid), ensure_ascii=False)
    assert message in answer and "2020-11-01" in answer
    assert "went wrong" not in answer
