"""The `hubnews` CLI: the poll --json contract, exit codes, dry runs, search, check, demo."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.query import parse_query

from conftest import CORPUS, seed

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


def test_demo_prints_the_yizhuang_alert_and_search(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "#tech-policy" in out and "Beijing tech park eyes AI hub" in out
    assert "folded copy" in out and "search: /hubnews Yizhuang" in out


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
    store.record_verdict(key, "relevant", "U1", tags=("ai", "industrial-policy"))
    store.record_verdict(key, "not_relevant", "U2", tags=("ai",))
    store.close()
    capsys.readouterr()
    assert main(["eval", "--feedback", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "3 verdicts" in out and "agreement 67%" in out


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
