"""An installed hubnews must carry every package and data file the source tree has."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_under_bot_is_listed_for_installation() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "bot._config" in listed  # config/ ships as bot._config


def test_data_files_are_declared() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    assert "*.sql" in data["bot.store.migrations"]  # SQLite's
    assert "*.sql" in data["bot.store.postgres.migrations"]
    assert "*.toml" in data["bot._config"]


def test_slack_manifest_has_the_command_and_exactly_the_designed_scopes() -> None:
    manifest = (ROOT / "config" / "slack-manifest.yml").read_text(encoding="utf-8")
    scopes = re.findall(r"^\s+- ([a-z.:]+)\s", manifest.split("bot:", 1)[1], re.MULTILINE)
    assert scopes == [
        "commands",
        "chat:write",
        "chat:write.public",
        "channels:history",
        "groups:history",
        "channels:read",
        "users:read",
        "im:write",  # watches: the DM a personal watch is delivered to
    ]
    assert "command: /hubnews" in manifest
    assert "home_tab_enabled: true" in manifest and "- app_home_opened" in manifest
    assert "socket_mode_enabled: true" in manifest and "is_enabled: true" in manifest
