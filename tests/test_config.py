"""config.load: a good file becomes a frozen Config; every bad one becomes one clear message."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot import config
from bot.errors import ConfigError

GOOD = """
database = "data/hubnews.db"
alert_max_age = "36h"

[limits]
max_bytes = "2MiB"
deadline = "20s"

[[feeds]]
name = "scmp-tech"
url = "https://www.scmp.com/rss/36/feed"
interval = "15m"

[[feeds]]
name = "local"
url = "feeds/sample.xml"

[[routes]]
channel = "C0123ABCD"
tags = ["ai", "industrial-policy"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hubnews.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_into_frozen_config(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, GOOD), environ={})
    assert [f.name for f in cfg.feeds] == ["scmp-tech", "local"]
    assert cfg.feeds[0].interval == timedelta(minutes=15)
    assert cfg.feeds[1].url == str(tmp_path / "feeds/sample.xml")  # relative to the file
    assert cfg.database == tmp_path / "data/hubnews.db"
    assert cfg.routes[0].tags == ("ai", "industrial-policy")
    assert cfg.limits.max_bytes == 2 * 2**20 and cfg.limits.deadline == 20.0
    assert cfg.alert_max_age == timedelta(hours=36)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.database = Path("elsewhere")  # type: ignore[misc]


def test_bundled_default_loads() -> None:
    cfg = config.load(None, environ={})
    assert cfg.path is None and cfg.feeds and cfg.routes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[feeds]]\nname = 'a'\n", ["`feeds[0].url`", "is missing", "line 1"]),
        (
            "[[feeds]]\nurl = 'https://x.example/feed'\ninterval = 'soon'\n",
            ["`feeds[0].interval`", '"soon" is not a duration', "line 3"],
        ),
        (
            "[[feeds]]\nurl = 'https://x.example/feed'\nintreval = '5m'\n",
            ["`feeds[0].intreval`", "unknown key", 'did you mean "interval"', "line 3"],
        ),
        ("[[feeds]]\nurl = 'ftp://x.example/feed'\n", ["neither http(s) nor a local path"]),
        (
            "[[feeds]]\nname='a'\nurl='https://a.example'\n[[feeds]]\nname='a'\nurl='https://b.example'\n",
            ["`feeds[1].name`", "used twice", "line 5"],
        ),
        ("[[routes]]\ntags = ['ai']\n", ["`routes[0].channel`", "is missing"]),
        ("[[routes]]\nchannel = 'tech policy'\n", ["is not a channel id or #name", "line 2"]),
        ("[[routes]]\nchannel = '#x'\nmode = 'hourly'\n", ['"hourly" is not a mode']),
        ("[[routes]]\nchannel = '#x'\ntimezone = 'Mars/Olympus'\n", ["`routes[0].timezone`"]),
        ("[[routes]]\nchannel = '#x'\nmin_score = 3\n", ["outside 0..1"]),
        ("[limits]\nmax_bytes = 'lots'\n", ["`limits.max_bytes`", "is not a size"]),
        ("[limits]\nconcurrency = 0\n", ["`limits.concurrency`", "less than 1"]),
        ("databse = 'x.db'\n", ["`databse`", 'did you mean "database"']),
        ("[dedup]\ncontainmnet = 0.8\n", ["`dedup.containmnet`", 'did you mean "containment"']),
        ("database = 5\n", ["`database`", "expected str, got int"]),
        ("feeds = [\n", ["not valid TOML", "line"]),
        (
            "slack_token = 'xoxb-123-456'\n",
            ["secret is written into the config file", "SLACK_BOT_TOKEN"],
        ),
        (
            "[[feeds]]\nurl = 'https://a.example'\nname = 'xoxb-1234-abcd'\n",
            ["secret is written into the config file", "line 3"],
        ),
    ],
)
def test_bad_file_names_file_key_line_and_fix(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.load(path, environ={})
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message
    assert caught.value.hint  # always a next step


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "nope.toml", environ={})


def test_secrets_come_from_environment_and_are_redacted(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, GOOD), environ={"SLACK_BOT_TOKEN": "xoxb-1-2-secretvalue"})
    assert cfg.secrets.bot_token == "xoxb-1-2-secretvalue"
    assert "secretvalue" not in repr(cfg.secrets) and "secretvalue" not in repr(cfg)


def test_secrets_file_is_read_and_loose_permissions_warn(tmp_path: Path) -> None:
    secret = tmp_path / "signing_secret"
    secret.write_text("abc123\n")
    os.chmod(secret, 0o644)
    cfg = config.load(write(tmp_path, GOOD), environ={"SLACK_SIGNING_SECRET_FILE": str(secret)})
    assert cfg.secrets.signing_secret == "abc123"
    assert any("readable by other users" in w and "chmod 600" in w for w in cfg.warnings)
    os.chmod(secret, 0o600)
    cfg = config.load(write(tmp_path, GOOD), environ={"SLACK_SIGNING_SECRET_FILE": str(secret)})
    assert cfg.warnings == ()


def test_unreadable_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN_FILE=.*cannot read"):
        config.load(
            write(tmp_path, GOOD), environ={"SLACK_BOT_TOKEN_FILE": str(tmp_path / "missing")}
        )


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("2d", 172800), ("1.5h", 5400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert config.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(
    ("value", "size"), [("15MiB", 15 * 2**20), ("512KiB", 512 * 1024), (1000, 1000), ("2MB", 2e6)]
)
def test_sizes(value: object, size: int) -> None:
    assert config.parse_size(value) == size


def test_delivery_limits_are_configurable(tmp_path: Path) -> None:
    text = "[limits]\npost_interval = '2s'\nmax_attempts = 3\nhold_retry = '10m'\n"
    cfg = config.load(write(tmp_path, text), environ={})
    assert (cfg.limits.post_interval, cfg.limits.max_attempts, cfg.limits.hold_retry) == (
        2.0,
        3,
        600.0,
    )
