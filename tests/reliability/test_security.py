"""Hostile input and secrets: injections stay inert everywhere text reaches Slack, and secrets
never reach logs or error messages."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import logs
from bot.cli import main
from bot.render import render_alert, render_thread_reply
from bot.slack import views
from bot.store import Hit
from bot.story import Evidence, Match, Source, Story, Tag

TOKEN = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0123ABC>",
    "<#C0123ABC|general>",
    "<https://evil.example|https://bank.example>",
    "<mailto:a@evil.example|support>",
    "*bold* _it_ ~strike~ `code` ```block```",
    "> quoted",
    "&lt;!channel&gt;",
    "zero\u200bwidth\u200d<!channel>",
    "\u202eevil\u202c rtl override",
    "<!subteam^S123>",
    "<!date^1^{date}|x>",
]


def hostile(text: str) -> Story:
    return Story(
        key=f"k{abs(hash(text))}",
        url="https://news.example/a",
        title=text,
        source=Source(text, text, "news.example"),
        published=datetime.now(UTC),
        description=text,
        summary=text,
        tags=(Tag("ai", 0.9, (Evidence(text, text, "title", 1.0),)),),
        duplicate=Match("orig", "near", {"containment": 0.9}, reason=text),
    )


def live_tokens(blocks: list[dict]) -> list[str]:
    """What a message would act on: <!…>, <@…>, <#…> and links we did not make in mrkdwn text;
    in rich_text (whose `text` elements Slack shows literally) any element that is not plain
    text, our link or the date (mentions and broadcasts are element types there)."""
    found = []
    for block in blocks:
        if block.get("type") != "rich_text":
            continue
        for section in block["elements"]:
            for element in section["elements"]:
                if element["type"] not in ("text", "link", "date"):
                    found.append(element["type"])
                elif element["type"] == "link" and element["url"] != "https://news.example/a":
                    found.append(element["url"])
    text = json.dumps([b for b in blocks if b.get("type") != "rich_text"], ensure_ascii=False)
    return found + re.findall(r"<[!@#][^>]*>|<(?!https://news\.example/a)[a-z]+:[^>]*>", text)


@pytest.mark.parametrize("text", INJECTIONS)
def test_injections_render_inert_in_alerts_threads_and_search(text: str) -> None:
    story = hostile(text)
    date_tokens = [t for t in live_tokens(render_alert(story)[0]) if t.startswith("<!date^")]
    assert len(date_tokens) <= 1  # the one date token we put there ourselves
    assert [t for t in live_tokens(render_alert(story)[0]) if not t.startswith("<!date^")] == []
    assert live_tokens(render_thread_reply(story, update=False)[0]) == []
    hit = Hit(story=story, snippet=f"before \x02{text}\x03 after", rank=-1.0, sources=2)
    blocks, _ = views.search_view(text, [hit], offset=0, posts={})
    assert [t for t in live_tokens(blocks) if not t.startswith("<!date^")] == []
    why_blocks, _ = views.why_view(story, text, [story])
    assert [t for t in live_tokens(why_blocks) if not t.startswith("<!date^")] == []
    for rendered in (render_alert(story)[0], blocks, why_blocks):
        assert "\u202e" not in json.dumps(rendered, ensure_ascii=False)
        assert "\u200b" not in json.dumps(rendered, ensure_ascii=False)


def test_secrets_never_reach_logs_or_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sup3rs3cr3tsigning")
    (tmp_path / "feed.xml").write_bytes(b"<html>not a feed</html>")
    main(
        [
            "poll",
            "--once",
            "-v",
            "--db",
            str(tmp_path / "h.db"),
            "--feed",
            str(tmp_path / "feed.xml"),
        ]
    )
    main(["check", "-v"])
    logging.getLogger("test").error("leaking %s and signing_secret=%s", TOKEN, "abc")
    captured = capsys.readouterr()
    everything = captured.out + captured.err
    assert TOKEN not in everything and "sup3rs3cr3tsigning" not in everything


def test_log_formatter_redacts_tokens_in_messages_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup("info", "json")
    try:
        raise RuntimeError(f"auth failed for {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("event=auth_failed token=%s", TOKEN)
    err = capsys.readouterr().err
    assert TOKEN not in err and "[redacted]" in err
    assert json.loads(err.strip().splitlines()[-1])["event"] == "auth_failed"


def test_a_token_in_the_config_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "hubnews.toml"
    config_file.write_text(f'slack_bot_token = "{TOKEN}"\n')
    assert main(["check", "--config", str(config_file)]) == 2
    err = capsys.readouterr().err
    assert "secret is written into the config file" in err and TOKEN not in err
