"""The cron path for real: `flowaudit extract` as a subprocess against `flowaudit simulate`
served on loopback. The token reaches the API and nothing else: not the database, the log,
the messages or the process listing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.helpers import places_holding, query

TOKEN = "fa-tok-9f8e7d6c5b4a39281706"


def flowaudit(
    *args: str, env: dict[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flowaudit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kwargs,
    )


@pytest.fixture(scope="module")
def served_api() -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "simulate", "--port", "0", "--size", "small",
         "--seed", "4", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_extract_over_loopback_loads_the_account_and_leaks_no_token(
    served_api: str, tmp_path: Path
):
    db = tmp_path / "audit.duckdb"
    log = tmp_path / "flowaudit.log"
    listing_during_run = []
    process = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "extract", "--api-url", served_api, "--db", str(db),
         "--log-file", str(log)],
        env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    listing_during_run.append(Path(f"/proc/{process.pid}/cmdline").read_bytes())
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "run 1 (full) succeeded" in stderr
    assert query(db, "SELECT count(*) FROM flows")[0][0] > 0
    assert query(db, "SELECT status FROM runs") == [("succeeded",)]

    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    places = {
        "database": db.read_bytes(),
        "log file": log.read_bytes(),
        "stdout": stdout.encode(),
        "stderr": stderr.encode(),
        "process listing": b"".join(listing_during_run),
    }
    for where, content in places.items():
        assert TOKEN.encode() not in content, f"token found in {where}"
    assert TOKEN not in ps.replace(f"--token {TOKEN}", "")  # the simulator's own flag aside
    # The file's big columns are compressed: read the database's values too.
    assert places_holding(db, TOKEN) == []


def test_a_wrong_token_is_one_line_with_the_auth_exit_code(served_api: str, tmp_path: Path):
    wrong = "fa-wrong-token-0123456789"
    result = flowaudit(
        "extract", "--api-url", served_api, "--db", str(tmp_path / "a.duckdb"),
        env={"FLOWAUDIT_TOKEN": wrong},
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("flowaudit: error: ") and "401" in lines[-1]
    assert "Traceback" not in result.stderr
    assert wrong not in result.stderr + result.stdout
    # The failed run is recorded, and the database keeps no token either.
    assert query(tmp_path / "a.duckdb", "SELECT status FROM runs") == [("failed",)]
    assert wrong.encode() not in (tmp_path / "a.duckdb").read_bytes()
    assert places_holding(tmp_path / "a.duckdb", wrong) == []


def test_an_unreachable_host_is_one_line_with_its_exit_code(tmp_path: Path):
    result = flowaudit(
        "extract", "--api-url", "http://127.0.0.1:9/v1", "--db", str(tmp_path / "a.duckdb"),
        env={"FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_MAX_ATTEMPTS": "2"},
    )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("flowaudit: error: ")
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


def test_a_missing_token_is_a_config_error(tmp_path: Path):
    result = flowaudit("extract", "--db", str(tmp_path / "a.duckdb"))
    assert result.returncode == 3
    assert "FLOWAUDIT_TOKEN" in result.stderr
