"""`flowaudit report` through the real entry point: stdout carries the index path only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flowaudit.errors import ExitCode


def flowaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flowaudit", *args], capture_output=True, text=True, cwd=cwd
    )


def test_report_prints_the_index_path(store_path: Path, tmp_path: Path):
    result = flowaudit("report", "--db", str(store_path), "--out", str(tmp_path / "out"), "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip())
    assert index.name == "index.html" and index.is_file()
    assert (tmp_path / "out" / "latest" / "index.html").is_file()


def test_a_bad_since_is_a_usage_error(store_path: Path, tmp_path: Path):
    result = flowaudit("report", "--db", str(store_path), "--since", "last tuesday", cwd=tmp_path)
    assert result.returncode == ExitCode.USAGE
    assert result.stdout == "" and "--since" in result.stderr


def test_a_missing_database_is_a_database_error(tmp_path: Path):
    result = flowaudit("report", "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path)
    assert result.returncode == ExitCode.DATABASE
    assert "database not found" in result.stderr and "Traceback" not in result.stderr
