"""Shared fixtures: real inputs, an in-memory store, and a clean environment for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
FEEDPARSER = FIXTURES / "feedparser"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's Slack secrets or config."""
    import os

    for name in list(os.environ):
        if name.startswith("SLACK_") or name.startswith("HUBNEWS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def store() -> Store:
    db = Store(":memory:")
    yield db
    db.close()


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus (material that may not be copied into the repo); skips when absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (it sits beside the repo in CI)")
    return CORPUS


def seed(name: str) -> tuple[str, str]:
    """(headline, body) of a seed article: 'original' (000) or 'copy' (001)."""
    file = {"original": "000_fb14683d7b6d4548.txt", "copy": "001_69f3e0fecde67706.txt"}[name]
    headline, _, body = (SEEDS / file).read_text(encoding="utf-8").partition("\n")
    return headline, body


from fakes.slack_api import slack_api  # noqa: E402,F401  (the loopback Slack Web API fixture)
