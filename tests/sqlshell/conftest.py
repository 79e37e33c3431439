"""Fixtures for `flowaudit sql`: a small database built from literal SQL, and ways to run
the command in-process (CliRunner) or as the real console script (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flowaudit.cli.app import app

from flowaudit.cli import commands  # noqa: F401  (registers the commands)  isort: skip

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"


@pytest.fixture
def fixture_db(tmp_path: Path) -> Path:
    """A database file holding tests/sqlshell/fixture.sql, closed (no lock held)."""
    path = tmp_path / "fixture.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute((HERE / "fixture.sql").read_text(encoding="utf-8"))
    connection.close()
    return path


@pytest.fixture
def invoke():
    """Run `flowaudit <args>` in-process; returns click's Result (stdout, stderr apart)."""
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin, catch_exceptions=True)

    return run


def flowaudit_env(**extra: str) -> dict[str, str]:
    """The environment of a real flowaudit process: no FLOWAUDIT_* from this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWAUDIT_")}
    return {**env, **extra}


def run_flowaudit(
    *args: str,
    stdin: str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    umask: int = -1,
) -> subprocess.CompletedProcess:
    """The real command line, as cron would run it: exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "flowaudit", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env or flowaudit_env(),
        timeout=timeout,
        umask=umask,
    )


def start_flowaudit(*args: str, **popen: object) -> subprocess.Popen:
    """The real command line, running: stdout and stderr are pipes read as bytes."""
    return subprocess.Popen(
        [sys.executable, "-m", "flowaudit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=flowaudit_env(),
        **popen,
    )


def assert_matches_golden(name: str, actual: str) -> None:
    """Compare with tests/sqlshell/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), (
        f"golden file {path} missing (run once with UPDATE_GOLDEN=1, then review it)"
    )
    assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}"
