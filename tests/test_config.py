"""config.load: a good file becomes a frozen Config; every bad one becomes one clear message."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import config, config_sections, config_values
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
        ("[feedback]\nmin_votes = 0\n", ["`feedback.min_votes`", "sane range"]),
        ("[feedback]\nmax_raise = 2.5\n", ["`feedback.max_raise`", "sane range"]),
        ("[feedback]\nmin_vote = 5\n", ["`feedback.min_vote`", "min_votes"]),
        ("[dedup]\nswapped_facts = 0\n", ["`dedup.swapped_facts`", "sane range"]),
        ("[dedup]\nshared = 1.5\n", ["`dedup.shared`", "sane range"]),
        (
            "[[routes]]\nchannel = '#a'\nsnooze = 'everyone'\n",
            ["`routes[0].snooze`", '"admins"'],
        ),
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
        ("[limits]\nconcurrency = 0\n", ["`limits.concurrency`", "outside the sane range"]),
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
        # hardening-2 row 15: values that gave tracebacks ...
        ("alert_max_age = '99999999999d'\n", ["`alert_max_age`", "longer than 36525 days"]),
        ("[limits]\ndeadline = '99999999999d'\n", ["`limits.deadline`", "longer than"]),
        ("[limits]\nmax_bytes = '" + "9" * 400 + "B'\n", ["`limits.max_bytes`", "too large"]),
        ("feeds = ['https://a.example/feed']\n", ["`feeds[0]`", "expected a table", "[[feeds]]"]),
        ("routes = [1]\n", ["`routes[0]`", "expected a table, got int 1", "[[routes]]"]),
        (
            "[[routes]]\nchannel = '#x'\ntags = [1, 2]\n",
            ["`routes[0].tags`", "1 is not a non-empty string", "line 3"],
        ),
        (
            "[[routes]]\nchannel = '#x'\ntimezone = 'America'\n",
            ["`routes[0].timezone`", "not a time zone", "Europe/London", "line 3"],
        ),
        ("[limits]\nallow_private = [{}]\n", ["`limits.allow_private`", "not a non-empty"]),
        # ... and values that were accepted though they break the service
        (
            "[[routes]]\nchannel = '#x'\ntags = ['ai', 'A1']\n",
            ["`routes[0].tags`", '"A1" is not a tag in the taxonomy', "industrial-policy"],
        ),
        ("[limits]\ndeadline = nan\n", ["`limits.deadline`", "not a finite number", "line 2"]),
        ("[limits]\nread_timeout = inf\n", ["`limits.read_timeout`", "not a finite number"]),
        ("[limits]\nconnect_timeout = -1\n", ["`limits.connect_timeout`", "outside the sane"]),
        ("[limits]\nflood = -3\n", ["`limits.flood`", "-3 is outside the sane range 1 to"]),
        ("[limits]\nmax_bytes = '0B'\n", ["`limits.max_bytes`", "0B is outside", "1KiB"]),
        ("retention = '0s'\n", ["`retention`", "0s is outside the sane range 1d", "line 1"]),
        ("[dedup]\ncontainment = 5.0\n", ["`dedup.containment`", "5 is outside", "0 to 1"]),
        ("[dedup]\nnew_facts = 0\n", ["`dedup.new_facts`", "outside the sane range 1"]),
        ("[dedup]\nwindow = '1s'\n", ["`dedup.window`", "outside the sane range 1h"]),
        ("[tag_thresholds]\nA1 = 0.5\n", ["`tag_thresholds.A1`", "not a tag in the taxonomy"]),
        ("[tag_thresholds]\nai = nan\n", ["`tag_thresholds.ai`", "not a number in 0..1"]),
        ("[[feeds]]\nurl = 'https://a.example'\ninterval = '60d'\n", ["outside", "30d"]),
        ("[[feeds]]\nurl = ''\n", ["`feeds[0].url`", "is empty"]),
        ("database = ''\n", ["`database`", "is empty"]),
        ("admins = ['U1', 2]\n", ["`admins`", "2 is not a non-empty string"]),
        ("slack_api_url = 'ftp://x'\n", ["`slack_api_url`", "not an http(s) URL"]),
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


# ---------------------------------------------------------------- no value gives a traceback

_KEYS: dict[str | None, list[str]] = {
    None: sorted(config.TOP_KEYS),  # a whole table may be replaced by any value too
    "limits": sorted(config_sections.LIMITS_KEYS),
    "dedup": ["window", *config_sections.DEFAULT_THRESHOLDS],
    "tag_thresholds": ["ai", "semiconductors", "A1"],
    "feeds": sorted(config_sections.FEED_KEYS),
    "routes": sorted(config_sections.ROUTE_KEYS),
}
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.from_regex(r"\A-?[0-9]{1,20}(\.[0-9]{1,3})?(ms|s|m|h|d|w|B|KiB|MB|GiB)?\Z"),
    st.sampled_from(["", "America", "ai", "A1", "#x", "C0123ABCD", "22:00-07:00", "digest"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _toml(value: object) -> str:
    """A TOML value (inline form); enough of a writer for the fuzz test."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if value != value
            else ("inf" if value > 0 else "-inf")
            if abs(value) == float("inf")
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@st.composite
def _documents(draw: st.DrawFn) -> str:
    entries: dict[str | None, dict[str, object]] = {
        "feeds": {"url": "https://a.example/feed"},
        "routes": {"channel": "#x"},
    }
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(list(_KEYS)))
        key = draw(st.sampled_from(_KEYS[table]))
        entries.setdefault(table, {})[key] = draw(_VALUES)
    top = entries.pop(None, {})
    lines = [f"{k} = {_toml(v)}" for k, v in top.items()]
    for table, values in entries.items():
        if table in top:
            continue  # replaced by a plain value above
        header = f"[[{table}]]" if table in {"feeds", "routes"} else f"[{table}]"
        lines += [header, *(f"{json.dumps(k)} = {_toml(v)}" for k, v in values.items())]
    return "\n".join(lines) + "\n"


def _values(cfg: config.Config, name: str) -> list[float | timedelta]:
    table, _, key = name.rpartition(".")
    if table == "feeds":
        return [feed.interval for feed in cfg.feeds]
    if table == "dedup":
        value = cfg.dedup.window if key == "window" else cfg.dedup.thresholds.get(key)
        return [] if value is None else [value]
    if table == "feedback":
        return [getattr(cfg.feedback, key)]
    return [getattr(cfg.limits if table == "limits" else cfg, key)]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_documents())
def test_any_value_for_any_key_is_a_config_or_a_config_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    try:
        cfg = config.load(path, environ={})
    except ConfigError as exc:
        assert str(path) in exc.message and exc.hint and "\n" not in exc.message
        return
    assert isinstance(cfg, config.Config)  # and everything in it is usable:
    for name, (low, high) in config_values.BOUNDS.items():
        for value in _values(cfg, name):
            number = value.total_seconds() if isinstance(value, timedelta) else value
            assert math.isfinite(number) and low <= number <= high, name
    taxonomy = {"ai", "industrial-policy", "semiconductors", "export-controls"}
    for route in cfg.routes:
        assert {tag.lower() for tag in route.tags} <= taxonomy
        assert all(isinstance(s, str) for s in (*route.sources, *route.exclude_sources))
    assert all(isinstance(admin, str) for admin in cfg.admins)
    assert all(0 <= v <= 1 and k.lower() in taxonomy for k, v in cfg.tag_thresholds.items())


@pytest.mark.parametrize("command", [["check"], ["poll", "--once"]])
@pytest.mark.parametrize(
    "text",
    [
        "alert_max_age = '99999999999d'\n",
        "feeds = ['https://a.example/feed']\n",
        "routes = [1]\n",
        "[[routes]]\nchannel = '#x'\ntags = [1, 2]\n",
        "[[routes]]\nchannel = '#x'\ntimezone = 'America'\n",
        "[[routes]]\nchannel = '#x'\ntags = ['A1']\n",
        "[limits]\ndeadline = nan\n",
        "[limits]\nmax_bytes = '0B'\n",
        "retention = '0s'\n",
        "[dedup]\ncontainment = 5.0\n",
    ],
)
def test_cli_exits_2_with_one_clear_line_per_bad_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, command: list[str]
) -> None:
    from bot.cli import main

    path = write(tmp_path, text)
    assert main([*command, "--config", str(path)]) == 2
    captured = capsys.readouterr()
    error, next_step = captured.err.splitlines()
    assert error.startswith("error: ") and str(path) in error and "`" in error
    assert next_step.startswith("next step: ")
    assert captured.out == ""


def test_default_database_lies_beside_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = config.load(write(folder, "[[feeds]]\nurl = 'https://a.example/feed'\n"), environ={})
    assert cfg.database == folder / "hubnews.db"
    assert config.load(None, environ={}).database == elsewhere / "hubnews.db"  # built-in config
    overridden = config.load(write(folder, ""), environ={"HUBNEWS_DB": "/data/h.db"})
    assert overridden.database == Path("/data/h.db")


def test_feedback_dedup_rules_and_route_snooze_are_config_keys(tmp_path: Path) -> None:
    text = (
        "[feedback]\nmin_votes = 5\nmax_raise = 0.1\nmiss_cost = 3\n"
        "[dedup]\nswapped_facts = 7\nshared = 0.6\n"
        "[[routes]]\nchannel = '#a'\nsnooze = 'members'\n"
    )
    cfg = config.load(write(tmp_path, text), environ={})
    assert (cfg.feedback.min_votes, cfg.feedback.max_raise, cfg.feedback.miss_cost) == (5, 0.1, 3)
    assert cfg.dedup.thresholds == {"swapped_facts": 7, "shared": 0.6}
    assert cfg.routes[0].snooze == "members"
    assert config.load(None, environ={}).feedback.min_votes == 10  # the documented default


@pytest.mark.parametrize(
    ("where", "url"),
    [
        ("file", "postgresql://hubnews:secret@db:5432/hubnews"),
        ("env", "postgresql://hubnews@db/hubnews"),
        ("env", "postgres://db/hubnews"),
    ],
)
def test_database_may_be_a_postgresql_url(tmp_path: Path, where: str, url: str) -> None:
    text = f"database = '{url}'\n" if where == "file" else ""
    environ = {"HUBNEWS_DB": url} if where == "env" else {}
    cfg = config.load(write(tmp_path, text), environ=environ)
    assert cfg.database == url and isinstance(cfg.database, str)  # kept as written, not a Path
