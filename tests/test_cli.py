"""Every command answers -h/--help, is documented in the README, and the package runs as
`python -m flowaudit` with --version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from flowaudit import __version__
from flowaudit.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            for name, sub in command.commands.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(root, [])
    return paths


COMMANDS = _command_paths()


def test_the_cli_has_the_commands_of_the_issues():
    names = {" ".join(path) for path in COMMANDS}
    assert {"extract", "report", "run", "demo", "simulate", "sql", "schema", "baseline set",
            "baseline list"} <= names  # fmt: skip


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_answers_help(path: list[str], flag: str):
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", *path, flag], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: flowaudit")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p))
def test_every_command_is_in_the_readme(path: list[str]):
    assert re.search(rf"flowaudit {re.escape(' '.join(path))}\b", README), path


def test_version_through_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"flowaudit {__version__}"


def test_an_unknown_option_is_a_usage_error_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "extract", "--no-such-flag"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
