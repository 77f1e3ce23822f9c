"""The `hubnews` CLI: the poll --json contract, exit codes, dry runs, search, check, demo."""

from __future__ import annotations

import dataclasses
import http.server
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.query import parse_query

from conftest import CORPUS, seed
from fakes.feed_server import FeedServer

SAMPLES = Path(__file__).resolve().parents[1] / "bot" / "samples"
CONTRACT = {
    "key",
    "url",
    "title",
    "source",
    "published",
    "duplicate_of",
    "tags",
    "summary",
    "channels",
}


def poll_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["poll", "--once", "--json", *args])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    return code, lines, captured.err


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "hubnews.toml"
    path.write_text(f"""
database = "hubnews.db"
alert_max_age = "36500d"
[[feeds]]
name = "scmp-tech"
url = "{SAMPLES / "scmp-tech.xml"}"
[[feeds]]
name = "scmp-china-policy"
url = "{SAMPLES / "scmp-china-policy.xml"}"
[[routes]]
channel = "#tech-policy"
tags = ["ai", "industrial-policy"]
""")
    return path


def _rss(site: str, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>https://{site}/{n}</link>"
        f"<guid>https://{site}/{n}</guid><description>{body}</description>"
        f"<pubDate>Tue, 01 Dec 2026 0{n}:00:00 GMT</pubDate></item>"
        for n, (title, body) in enumerate(items)
    )
    channel = f"<channel><title>{site}</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


_LINE = "The Dutch government will spend 2.5 billion euros to keep ASML, officials said."
_HANS = (  # one sentence, as a mainland outlet writes it, and as Hong Kong re-runs it
    "北京经济技术开发区周三表示，未来三到五年将建设人工智能重大应用示范基地，"
    "目标市场规模不低于五百亿元。"
)
_HANT = (
    "北京經濟技術開發區週三表示，未來三到五年將建設人工智能重大應用示範基地，"
    "目標市場規模不低於五百億元。"
)


def test_poll_json_folds_one_line_and_other_script_copies_across_feeds_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """As a new user would see it in `poll --json`: another outlet's feed re-running a
    one-line description under its own headline, or a story in traditional characters, is a
    duplicate; one feed giving two items the same line is not."""
    stock = "Listen to the latest episode of our weekly podcast on technology policy and power."
    feeds = {
        "wire": _rss("wire.example", [("Netherlands keeps chipmaker", _LINE), ("亦庄", _HANS)]),
        "other": _rss("other.example", [("Dutch pledge billions", _LINE), ("亦莊", _HANT)]),
        "stock": _rss("pod.example", [("Episode 1: chips", stock), ("Episode 2: rules", stock)]),
    }
    config = tmp_path / "hubnews.toml"
    text = 'database = "hubnews.db"\nalert_max_age = "36500d"\n'
    for name, rss in feeds.items():
        (tmp_path / f"{name}.xml").write_text(rss, encoding="utf-8")
        text += f'[[feeds]]\nname = "{name}"\nurl = "{tmp_path / (name + ".xml")}"\n'
    config.write_text(text)
    code, lines, _ = poll_json(capsys, "--dry-run", "--config", str(config))
    assert code == 0 and len(lines) == 6
    by_title = {line["title"]: line for line in lines}
    assert by_title["Dutch pledge billions"]["duplicate_of"] == "https://wire.example/0"
    assert by_title["亦莊"]["duplicate_of"] == "https://wire.example/1"
    assert by_title["Episode 2: rules"]["duplicate_of"] is None


def test_poll_json_prints_one_contract_object_per_story_in_feed_order(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    code, lines, _ = poll_json(capsys, "--dry-run", "--config", str(config_file))
    assert code == 0 and len(lines) == 2
    original, copy = lines
    assert set(original) >= CONTRACT and set(copy) >= CONTRACT
    assert original["title"] == seed("original")[0] and copy["title"] == seed("copy")[0]
    assert original["url"].endswith("?utm_source=rss_feed")
    assert original["published"] == "2020-10-15T11:00:00Z"
    assert original["source"] == "SCMP Tech"
    assert original["duplicate_of"] is None and copy["duplicate_of"] == original["key"]
    assert {"ai", "industrial-policy"} <= set(original["tags"])
    assert "US$7.5 billion" in original["summary"] and len(original["summary"]) <= 600
    assert original["channels"] == ["#tech-policy"] and copy["channels"] == []
    assert copy["duplicate"]["kind"] == "near" and copy["duplicate"]["scores"]


def test_dry_run_leaves_the_database_unchanged(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    database = config_file.parent / "hubnews.db"
    assert main(["poll", "--once", "--config", str(config_file)]) == 0
    capsys.readouterr()
    before = database.read_bytes() if not (config_file.parent / "hubnews.db-wal").exists() else None
    rows = sqlite3.connect(database).execute("SELECT COUNT(*) FROM stories").fetchone()[0]
    code, lines, _ = poll_json(
        capsys,
        "--dry-run",
        "--config",
        str(config_file),
        "--feed",
        str(SAMPLES / "reuters-worldnews-2018-01.xml"),
    )
    assert code == 0 and len(lines) == 10
    after = sqlite3.connect(database).execute("SELECT COUNT(*) FROM stories").fetchone()[0]
    assert rows == after == 2
    if before is not None:
        assert database.read_bytes() == before


def test_second_poll_reports_known_stories_as_not_new(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    assert poll_json(capsys, "--config", str(config_file))[0] == 0
    code, lines, _ = poll_json(capsys, "--config", str(config_file))
    assert code == 0 and [line["new"] for line in lines] == [False, False]
    assert lines[1]["duplicate_of"] == lines[0]["key"]  # the stored decision is reported


def test_a_failing_feed_is_reported_and_the_others_still_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<html><body>Gone</body></html>")
    code, lines, err = poll_json(
        capsys,
        "--dry-run",
        "--db",
        str(tmp_path / "x.db"),
        "--feed",
        str(broken),
        "--feed",
        str(SAMPLES / "scmp-tech.xml"),
        "--feed",
        str(tmp_path / "missing.xml"),
    )
    assert code == 1 and len(lines) == 1
    assert "broken.xml failed" in err and "HTML page" in err
    assert "missing.xml failed" in err and "no such file" in err


def test_config_errors_exit_2_with_one_clear_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[feeds]]\nname = 'x'\n")
    assert main(["poll", "--once", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "feeds[0].url" in err and "next step" in err and "Traceback" not in err


def test_search_answers_from_the_store(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    main(["poll", "--once", "--config", str(config_file)])
    capsys.readouterr()
    assert main(["search", "Yizhuang", "--json", "--config", str(config_file)]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(hits) == 1 and hits[0]["sources"] == 2 and "Yizhuang" in hits[0]["snippet"]
    assert main(["search", "Yizuang", "--config", str(config_file)]) == 0
    assert "Did you mean yizhuang?" in capsys.readouterr().out


def test_bad_search_query_is_explained(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    assert main(["search", "since:soon", "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert "neither a duration nor a date" in err and "since:7d" in err


def test_check_redacts_secrets(
    capsys: pytest.CaptureFixture[str], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1111-2222-abcdefghijkl")
    assert main(["check", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "config OK" in out and "scmp-tech" in out and "abcdefghijkl" not in out


def test_check_hides_the_password_of_a_postgresql_url(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    url = "postgresql://hubnews:pa55word@db:5432/hubnews"
    assert main(["check", "--config", str(config_file), "--db", url]) == 0
    out = capsys.readouterr().out
    assert "pa55word" not in out and "hubnews:***@db" in out


def test_demo_prints_the_yizhuang_alert_and_search(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "#tech-policy" in out and "Beijing tech park eyes AI hub" in out
    assert "folded copy" in out and "search: /hubnews Yizhuang" in out
    # one watch fires, printed as its DM reads; the seed's copy does not fire it again
    dms = out.split("watch DMs:", 1)[1].split("search: /hubnews", 1)[0]
    assert dms.count("Your watch #1 “Yizhuang” matched") == 1
    assert "Beijing tech park eyes AI hub" in dms


def test_installed_entry_point_keeps_stdout_clean(tmp_path: Path) -> None:
    exe = shutil.which("hubnews") or f"{sys.executable} -m bot.cli"
    result = subprocess.run(
        [
            *exe.split(),
            "poll",
            "--once",
            "--dry-run",
            "--json",
            "--db",
            str(tmp_path / "x.db"),
            "--feed",
            str(SAMPLES / "techcrunch-2011-11.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 20 and all(json.loads(line)["key"] for line in lines)
    assert "SAXParseException" in result.stderr  # the bozo problem goes to stderr


def _real_feeds() -> list[Path]:
    folder = CORPUS / "feeds-real"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("feed", _real_feeds(), ids=lambda p: p.name)
def test_every_real_feed_polls_with_one_json_line_per_entry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, feed: Path
) -> None:
    from bot.fetch import Fetched
    from bot.parse import parse

    expected = len(
        parse(Fetched(url=str(feed), status=0, body=feed.read_bytes()), "x", "x").stories
    )
    code, lines, _ = poll_json(
        capsys, "--dry-run", "--db", str(tmp_path / "x.db"), "--feed", str(feed)
    )
    assert code == 0 and len(lines) == expected
    for line in lines:
        assert set(line) >= CONTRACT


def test_backup_copies_the_database_and_never_overwrites(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    main(["poll", "--once", "--config", str(config_file)])
    target = config_file.parent / "backups" / "copy.db"
    assert main(["backup", str(target), "--config", str(config_file)]) == 0
    assert "backup written" in capsys.readouterr().out
    copied = sqlite3.connect(target).execute("SELECT COUNT(*) FROM stories").fetchone()[0]
    assert copied == 2
    assert main(["backup", str(target), "--config", str(config_file)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_eval_prints_per_tag_figures_and_confusions(capsys: pytest.CaptureFixture[str]) -> None:
    devset = Path(__file__).parent / "classify_devset"
    assert main(["eval", "--devset", str(devset), "--corpus", str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "industrial-policy" in out and "precision" in out


def test_eval_feedback_reports_agreement_with_verdicts(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    from bot.store import Store

    main(["poll", "--once", "--config", str(config_file)])
    store = Store(config_file.parent / "hubnews.db")
    key = store.search(parse_query("Yizhuang"))[0].story.key
    store.record_verdict(key, "relevant", "U1", channel="C1")
    store.record_verdict(key, "not_relevant", "U2", channel="C1")
    store.close()
    capsys.readouterr()
    assert main(["eval", "--feedback", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    # a vote judges the alert, so it counts for each of the story's two tags
    assert "4 verdicts" in out and "agreement 50%" in out
    # one story with a tied vote counts for no channel threshold yet
    assert "Per-channel thresholds" not in out


def test_eval_feedback_shows_each_channels_thresholds_and_their_state(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    from bot.store import Store

    main(["poll", "--once", "--config", str(config_file)])
    store = Store(config_file.parent / "hubnews.db")
    key = store.search(parse_query("Yizhuang"))[0].story.key
    store.record_verdict(key, "not_relevant", "U2", channel="C1")
    store.close()
    capsys.readouterr()
    assert main(["eval", "--feedback", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "Per-channel thresholds" in out and "too few votes" in out and "C1" in out


def test_eval_copies_reports_the_copies_the_team_split_out(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    from bot.store import Store

    main(["poll", "--once", "--config", str(config_file)])
    capsys.readouterr()
    assert main(["eval", "--copies", "--config", str(config_file)]) == 0
    assert "1 stories folded as copies; 0 split back out" in capsys.readouterr().out
    store = Store(config_file.parent / "hubnews.db")
    [copy] = store.cluster(store.search(parse_query("Yizhuang"))[0].story.key)[1:]
    assert store.split_copy(copy.key, "U7") is not None
    store.close()
    assert main(["eval", "--copies", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "1 split back out" in out and "agreement 0%" in out and "U7" in out


def test_poll_json_shows_why_a_new_feeds_backlog_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from fakes.feed_server import rss

    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("wire", list(range(12)), "https://wire.example"))
    path = tmp_path / "hubnews.toml"
    path.write_text(
        f'database = "h.db"\n[limits]\nfirst_poll_alerts = 2\n'
        f'[[feeds]]\nname = "wire"\nurl = "{feed}"\n'
        '[[routes]]\nchannel = "#tech-policy"\ntags = ["ai", "industrial-policy"]\n'
    )
    code, lines, _ = poll_json(capsys, "--config", str(path))
    assert code == 0 and len(lines) == 12
    alerted = [line for line in lines if line["channels"]]
    held = [line for line in lines if line.get("held")]
    assert len(alerted) == 2 and len(held) >= 8
    assert all("first poll of wire" in line["held"] for line in held)


# ---------------------------------------------------------------- feeds: list, OPML import/export


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def write_opml_file(path: Path, *urls: tuple[str, str]) -> Path:
    outlines = "".join(f'<outline type="rss" text="{t}" xmlUrl="{u}"/>' for t, u in urls)
    path.write_text(
        f'<opml version="1.0"><head/><body><outline text="Imported">{outlines}</outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    return path


def test_feeds_without_a_subcommand_lists_configured_and_stored_feeds(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    from bot.store import Store

    store = Store(config_file.parent / "hubnews.db")
    store.add_feed("from-opml", "https://example.com/rss", origin="opml")
    store.close()
    assert main(["feeds", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "scmp-tech" in out and "scmp-china-policy" in out and "never polled" in out
    assert "from-opml (opml)" in out


def test_feeds_import_adds_valid_feeds_reports_the_rest_and_export_round_trips(
    capsys: pytest.CaptureFixture[str], config_file: Path, feed_server: FeedServer
) -> None:
    from bot.opml import read_opml

    good = feed_server.add("/good.xml", items=2)
    opml = write_opml_file(
        config_file.parent / "subs.opml",
        ("Good", good),
        ("Good again", good + "?utm_source=newsletter"),
        ("Broken", feed_server.url("/gone.xml")),
        ("Configured", str(SAMPLES / "scmp-tech.xml")),
    )
    code = main(["feeds", "import", str(opml), "--config", str(config_file)])
    captured = capsys.readouterr()
    assert code == 1  # one feed failed its check
    assert "4 feeds in the file: 1 added, 2 skipped, 1 failed validation" in captured.out
    assert "already configured as scmp-tech" in captured.out and "HTTP 404" in captured.out
    assert "run `hubnews feeds import" in captured.err and "Traceback" not in captured.err

    assert main(["feeds", "--config", str(config_file), "export"]) == 0
    captured = capsys.readouterr()
    exported = read_opml(captured.out.encode())  # stdout is the OPML document and nothing else
    assert captured.err == ""
    assert {(o.xml_url, o.categories) for o in exported} == {
        (str(SAMPLES / "scmp-tech.xml"), ()),
        (str(SAMPLES / "scmp-china-policy.xml"), ()),
        (good, ("Imported",)),
    }

    again = config_file.parent / "again.opml"
    again.write_text(captured.out, encoding="utf-8")
    assert main(["feeds", "import", str(again), "--config", str(config_file)]) == 0
    assert "3 feeds in the file: 0 added, 3 skipped, 0 failed" in capsys.readouterr().out


def test_feeds_import_dry_run_changes_nothing(
    capsys: pytest.CaptureFixture[str], config_file: Path, feed_server: FeedServer
) -> None:
    from bot.store import Store

    opml = write_opml_file(config_file.parent / "subs.opml", ("A", feed_server.add("/a.xml")))
    assert main(["feeds", "import", "--dry-run", str(opml), "--config", str(config_file)]) == 0
    assert "1 would add" in capsys.readouterr().out
    store = Store(config_file.parent / "hubnews.db")
    assert store.feeds() == []
    store.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("<opml><body><outline", "not well-formed XML"),
        ("<rss version='2.0'><channel/></rss>", "not OPML"),
        (
            '<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body>'
            '<outline text="&a;" xmlUrl="https://example.com/rss"/></body></opml>',
            "DTD",
        ),
    ],
    ids=["missing", "malformed", "not-opml", "entities"],
)
def test_feeds_import_of_an_unusable_file_exits_2_with_the_next_step(
    capsys: pytest.CaptureFixture[str], config_file: Path, content: str | None, message: str
) -> None:
    path = config_file.parent / "subs.opml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["feeds", "import", str(path), "--config", str(config_file)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "next step" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_feeds_import_shows_progress_on_stderr_only_in_a_terminal(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    config_file: Path,
    feed_server: FeedServer,
    terminal: bool,
) -> None:
    import io

    from rich.console import Console

    from bot.cli import feeds

    stderr = io.StringIO()
    monkeypatch.setattr(feeds, "err", Console(file=stderr, force_terminal=terminal))
    urls = [(f"F{n}", feed_server.add(f"/f{n}.xml")) for n in range(3)]
    opml = write_opml_file(config_file.parent / "subs.opml", *urls)
    assert main(["feeds", "import", str(opml), "--config", str(config_file)]) == 0
    assert ("checking feeds" in stderr.getvalue()) is terminal
    assert "checking feeds" not in capsys.readouterr().out


# ---------------------------------------------------------------- hostile feed text (row 14)

HOSTILE_TITLE = (
    "Chips [/x] [bold red]boom :red_circle: \x1b]0;pwned\x07\x1b[2J \u202eevil\u202c \x9b31m end"
)
HOSTILE_SOURCE = "Feed [/x] \x1b[31mred\x1b[0m \u2067iso\u2069"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u2067", "\u2069")


def _hostile_feed(tmp_path: Path) -> Path:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": HOSTILE_SOURCE,
        "home_page_url": "https://hostile.example/",
        "items": [
            {
                "id": "h1",
                "url": "https://hostile.example/a?x=[/x]",
                "title": HOSTILE_TITLE,
                "content_text": "Semiconductor subsidy [/x] \x1b]0;body\x07 for AI chips.",
                "date_published": "2020-10-15T11:00:00Z",
            }
        ],
    }
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def hostile_config(tmp_path: Path) -> Path:
    path = tmp_path / "hubnews.toml"
    path.write_text(
        f'database = "hubnews.db"\nalert_max_age = "36500d"\n'
        f'[[feeds]]\nname = "hostile [/x]"\nurl = "{_hostile_feed(tmp_path)}"\n'
        f'[[routes]]\nchannel = "#tech-policy"\n',
        encoding="utf-8",
    )
    return path


def _assert_clean(text: str) -> None:
    assert "Traceback" not in text
    for char in FORBIDDEN:
        assert char not in text, f"{char!r} reached the terminal"


def test_stored_feed_text_carries_no_control_characters(
    capsys: pytest.CaptureFixture[str], hostile_config: Path
) -> None:
    code, lines, _ = poll_json(capsys, "--config", str(hostile_config))
    assert code == 0 and len(lines) == 1
    story = lines[0]
    assert "[/x]" in story["title"] and "\x1b" not in story["title"]
    assert "\x07" not in story["title"] and "\x9b" not in story["title"]
    assert "\x1b" not in story["source"] and "\x1b" not in story["summary"]


@pytest.mark.parametrize(
    "command",
    [
        ["poll", "--once"],
        ["search", "chips"],
        ["search", "chips", "--json"],
        ["search", "nothing-matches-[/x]-\x1b]0;t\x07"],
        ["feeds"],
        ["check"],
    ],
    ids=["poll", "search", "search-json", "search-miss", "feeds", "check"],
)
def test_every_command_prints_hostile_feed_text_inertly(
    capsys: pytest.CaptureFixture[str], hostile_config: Path, command: list[str]
) -> None:
    assert main(["poll", "--once", "--config", str(hostile_config)]) == 0
    capsys.readouterr()
    assert main([*command, "--config", str(hostile_config)]) == 0
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    if "--json" in command:  # JSON escapes what it carries; the stored text is already clean
        assert "[/x]" in json.loads(captured.out.splitlines()[0])["title"]
        return
    _assert_clean(shown)
    assert "[/x]" in shown  # shown as text, not taken for markup
    if command == ["search", "chips"]:
        assert ":red_circle:" in shown  # nor for an emoji code


def test_demo_alert_and_folded_copy_print_hostile_text_inertly(
    capsys: pytest.CaptureFixture[str], hostile_config: Path
) -> None:
    from bot import config as config_module
    from bot.cli.demo import _demo_alerts, print_alert
    from bot.pipeline import Pipeline
    from bot.store import Store

    cfg = config_module.load(hostile_config, environ={})
    store = Store(cfg.database)
    pipeline = Pipeline(cfg, store, dry_run=True)
    try:
        outcomes = list(pipeline.poll(cfg.feeds))
    finally:
        pipeline.close()
        store.close()
    processed = outcomes[0].stories[0]
    hostile = dataclasses.replace(
        processed.story,
        title=HOSTILE_TITLE,
        source=dataclasses.replace(processed.story.source, title=HOSTILE_SOURCE),
    )
    print_alert(dataclasses.replace(processed, story=hostile))
    _demo_alerts(outcomes)
    shown = capsys.readouterr().out
    _assert_clean(shown)
    assert "[/x]" in shown


class _ReasonHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503, "[/x] [bold]Busy")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_hostile_http_reason_phrase_is_printed_as_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ReasonHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed"
    config_file = tmp_path / "hubnews.toml"
    config_file.write_text(f'database = "h.db"\n[[feeds]]\nname = "busy"\nurl = "{url}"\n')
    try:
        assert main(["poll", "--once", "--config", str(config_file)]) == 1
        assert "[/x] [bold]Busy" in capsys.readouterr().err
        assert main(["feeds", "--config", str(config_file)]) == 0
        shown = capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()
    assert "[/x]" in shown and "Traceback" not in shown


def test_terminal_sink_prints_no_escape_sequences() -> None:
    from bot.sinks import TerminalSink
    from bot.store import Store

    out = io.StringIO()
    store = Store(":memory:")
    try:
        sink = TerminalSink(store, (), out)
        sink.notify(f"feed {HOSTILE_SOURCE} disabled")
        sink.send("#x", [{}, {"text": {"text": HOSTILE_TITLE}}], HOSTILE_TITLE, ["k"])
    finally:
        store.close()
    _assert_clean(out.getvalue())
    assert out.getvalue().count("\n") == 3


@pytest.mark.parametrize(
    "date_filter",
    [
        "since:99999-01-01",
        "before:0000-00-00",
        "since:1e400",
        "since:99999999999d",
        "since:0001-01-01T00:00+01:00",
    ],
)
def test_search_with_an_out_of_range_date_exits_1_with_the_next_step(
    capsys: pytest.CaptureFixture[str], config_file: Path, date_filter: str
) -> None:
    assert main(["search", "chips", date_filter, "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "next step:" in err and "2020-11-01" in err
    assert "Traceback" not in err and "Overflow" not in err


# ---------------------------------------------------------------- database location (row 19)


def _no_database_config(tmp_path: Path) -> tuple[Path, Path]:
    folder, cwd = tmp_path / "conf", tmp_path / "cwd"
    folder.mkdir()
    cwd.mkdir()
    path = folder / "hubnews.toml"
    path.write_text(f'[[feeds]]\nname = "scmp-tech"\nurl = "{SAMPLES / "scmp-tech.xml"}"\n')
    return path, cwd


def test_without_a_database_key_the_file_lands_beside_the_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file, cwd = _no_database_config(tmp_path)
    monkeypatch.chdir(cwd)
    assert main(["poll", "--once", "--config", str(config_file)]) == 0
    assert (config_file.parent / "hubnews.db").is_file()
    assert list(cwd.iterdir()) == []


def test_dry_run_never_creates_a_database_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file, cwd = _no_database_config(tmp_path)
    monkeypatch.chdir(cwd)
    code, lines, _ = poll_json(capsys, "--dry-run", "--config", str(config_file))
    assert code == 0 and len(lines) == 1
    assert sorted(p.name for p in config_file.parent.iterdir()) == ["hubnews.toml"]
    assert list(cwd.iterdir()) == []


def test_dry_run_reads_an_existing_database_without_touching_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file, cwd = _no_database_config(tmp_path)
    monkeypatch.chdir(cwd)
    assert main(["poll", "--once", "--config", str(config_file)]) == 0
    capsys.readouterr()
    database = config_file.parent / "hubnews.db"
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in config_file.parent.iterdir()}
    code, lines, _ = poll_json(
        capsys, "--dry-run", "--config", str(config_file), "--feed", str(SAMPLES / "scmp-tech.xml")
    )
    assert code == 0 and [line["new"] for line in lines] == [False]  # it read what is stored
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in config_file.parent.iterdir()}
    assert after == files and database.name in after


def test_dry_run_on_a_database_from_an_older_hubnews_says_to_upgrade_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "old.db"
    old = sqlite3.connect(database)
    old.execute("PRAGMA user_version = 1")
    old.close()
    before = database.read_bytes()
    code = main(
        [
            "poll",
            "--once",
            "--dry-run",
            "--db",
            str(database),
            "--feed",
            str(SAMPLES / "scmp-tech.xml"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "older hubnews" in err and "without --dry-run" in err
    assert "Traceback" not in err and database.read_bytes() == before


def test_demo_prints_each_copy_under_its_own_original(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A copy arriving after an unrelated alert is printed under its own original; a copy of an
    original that was stored but not alerted goes to its own group, under no alert."""
    from datetime import UTC, datetime

    from bot.cli.demo import _demo_alerts
    from bot.config import Feed
    from bot.pipeline import Outcome, Processed
    from bot.story import Match, Source, Story

    def story(key: str, title: str, copy_of: str | None = None) -> Story:
        return Story(
            key=key,
            url=f"https://example.com/{key}",
            title=title,
            source=Source("f", "Feed", "example.com"),
            published=datetime(2024, 3, 1, tzinfo=UTC),
            content="text",
            duplicate=Match(copy_of, "near", {}, {}, f"Copy of {copy_of}.") if copy_of else None,
        )

    feed = Feed(name="f", url="https://example.com/feed")
    first = Outcome(
        feed,
        [
            Processed(story("a", "Chip fund alert"), True, channels=("#chips",)),
            Processed(story("c", "Stored only, no route"), True),
            Processed(story("b", "Apple and Nike alert"), True, channels=("#tech",)),
        ],
    )
    later = Outcome(
        feed,
        [
            Processed(story("c2", "Copy of the stored story", copy_of="c"), True),
            Processed(story("a2", "Copy of the chip fund story", copy_of="a"), True),
        ],
    )
    _demo_alerts([first, later])
    out = capsys.readouterr().out
    at = {
        text: out.index(text)
        for text in (
            "Chip fund alert",
            "Copy of the chip fund story",
            "Apple and Nike alert",
            "original was not alerted",
            "Copy of the stored story",
        )
    }
    assert at["Chip fund alert"] < at["Copy of the chip fund story"] < at["Apple and Nike alert"]
    assert at["Apple and Nike alert"] < at["original was not alerted"]
    assert at["original was not alerted"] < at["Copy of the stored story"]
    assert "copy of: Stored only, no route" in out


def _teaser_feed(path: Path) -> Path:
    """A syndication site's teaser of the seed: its first two paragraphs and a trailer."""
    _, body = seed("original")
    paragraphs = [p for p in body.split("\n") if p.strip()][1:3]
    items = "".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in paragraphs)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Tech Digest</title><link>https://digest.example/</link><item>"
        "<title>Beijing E-Town named China's first national AI hub</title>"
        "<link>https://digest.example/e-town-ai-hub</link>"
        "<pubDate>Thu, 15 Oct 2020 12:00:00 GMT</pubDate>"
        f"<description>{items}&lt;p&gt;The post Beijing E-Town named China's first national "
        "AI hub appeared first on Tech Digest.&lt;/p&gt;</description></item></channel></rss>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("teaser_first", [True, False], ids=["teaser-first", "full-first"])
def test_poll_json_folds_a_teaser_and_its_full_article_in_either_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, teaser_first: bool
) -> None:
    teaser = str(_teaser_feed(tmp_path / "teaser.xml"))
    full = str(SAMPLES / "scmp-tech.xml")
    feeds = [teaser, full] if teaser_first else [full, teaser]
    args = ["--dry-run", "--db", str(tmp_path / "x.db")]
    code, lines, _ = poll_json(capsys, *args, "--feed", feeds[0], "--feed", feeds[1])
    assert code == 0 and len(lines) == 2
    first, later = lines
    assert "duplicate" not in first and later["channels"] == []
    if teaser_first:  # the full article after its teaser: a fuller version
        assert later["duplicate"]["kind"] == "fuller"
        assert "fuller version" in later["duplicate"]["reason"]
    else:  # the teaser after its full article: contained, it adds only a trailer
        assert later["duplicate"]["kind"] == "near"
        assert "adds only 1 line of boilerplate" in later["duplicate"]["reason"]
