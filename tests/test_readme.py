"""The README's quick start is the contract with a newcomer: two commands, and CI runs one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def test_quick_start_has_exactly_two_commands_demo_then_tests() -> None:
    demo, tests = quick_start_commands()
    assert "\n" not in demo and demo.endswith("hubnews demo")
    assert "\n" not in tests and tests.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, tests = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
    assert "set -euo pipefail" in ci and "python3 -m venv" in ci
