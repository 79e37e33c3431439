"""One exit-code table for every command: the README, `flowaudit --help` and
flowaudit.errors agree exactly, and each situation a cron job can meet exits with its code,
one `flowaudit: error:` line on stderr and no traceback."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flowaudit.errors import EXIT_CODE_MEANINGS, ExitCode
from flowaudit.runlock import lock_path_for
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import ServerHandle, serve
from tests.ops.cli import ROOT, flowaudit, last_line, start_flowaudit
from tests.pipeline.helpers import extract, query, snapshot

TOKEN = "exit-tok-7a6b5c4d3e2f"
GOOD = {"FLOWAUDIT_TOKEN": TOKEN}


def _readme_table() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def _help_table() -> dict[int, str]:
    text = flowaudit("--help").stdout
    rows = re.findall(r"^\s+(\d+)  (\S.*)$", text, flags=re.MULTILINE)
    return {int(code): meaning.strip() for code, meaning in rows}


def test_readme_help_and_code_list_the_same_exit_codes():
    in_code = {int(code): meaning for code, meaning in EXIT_CODE_MEANINGS.items()}
    assert set(in_code) == {int(code) for code in ExitCode}, "every ExitCode needs a meaning"
    assert _readme_table() == in_code
    assert _help_table() == in_code


@pytest.fixture(scope="module")
def api() -> Iterator[ServerHandle]:
    with serve(SimulatedAccount.generate("small", seed=2, token=TOKEN)) as handle:
        yield handle


@pytest.fixture(scope="module")
def good_db(api: ServerHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("good") / "a.duckdb"
    extract(db, SimulatedAccount.generate("small", seed=2, token=TOKEN))
    return db


def _fails_with(result: subprocess.CompletedProcess, code: ExitCode, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    line = last_line(result.stderr)
    assert words in line, result.stderr
    assert TOKEN not in result.stdout + result.stderr


def test_a_bad_flag_is_usage(tmp_path: Path):
    result = flowaudit("extract", "--no-such-flag")
    assert result.returncode == ExitCode.USAGE
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_token_is_config(tmp_path: Path):
    result = flowaudit("run", "--db", str(tmp_path / "a.duckdb"))
    _fails_with(result, ExitCode.CONFIG, "no API token")


def test_an_unreadable_token_file_is_config(tmp_path: Path):
    result = flowaudit(
        "run", "--db", str(tmp_path / "a.duckdb"), "--token-file", str(tmp_path / "nope")
    )
    _fails_with(result, ExitCode.CONFIG, "cannot read token file")


def test_a_rejected_token_is_auth(api: ServerHandle, tmp_path: Path):
    result = flowaudit(
        "run", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "r"),
        env={"FLOWAUDIT_TOKEN": "exit-wrong-123456"},
    )  # fmt: skip
    _fails_with(result, ExitCode.AUTH, "rejected the token")


def test_an_unreachable_api_is_unavailable(tmp_path: Path):
    result = flowaudit(
        "extract", "--api-url", "http://127.0.0.1:9/v1", "--db", str(tmp_path / "a.duckdb"),
        env={**GOOD, "FLOWAUDIT_MAX_ATTEMPTS": "1"},
    )  # fmt: skip
    _fails_with(result, ExitCode.API_UNAVAILABLE, "giving up on GET")


def test_an_api_answering_garbage_is_contract(tmp_path: Path):
    garbage = SimulatedAccount.generate(
        "small", seed=2, token=TOKEN,
        options=SimulatorOptions(fault_rate=1.0, fault_kinds=("malformed",)),
    )  # fmt: skip
    with serve(garbage) as handle:
        result = flowaudit(
            "extract", "--api-url", handle.url, "--db", str(tmp_path / "a.duckdb"),
            env={**GOOD, "FLOWAUDIT_MAX_ATTEMPTS": "1"},
        )  # fmt: skip
    _fails_with(result, ExitCode.API_CONTRACT, "malformed JSON")


def test_a_file_that_is_not_duckdb_is_database(api: ServerHandle, tmp_path: Path):
    db = tmp_path / "a.duckdb"
    db.write_text("name,flow\nx,y\n")
    result = flowaudit("extract", "--api-url", api.url, "--db", str(db), env=GOOD)
    _fails_with(result, ExitCode.DATABASE, "is not a DuckDB database file")
    assert db.read_text() == "name,flow\nx,y\n", "the foreign file must be left as it was"


HOLD_WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_a_database_held_by_a_writer_is_locked(good_db: Path, tmp_path: Path):
    db = tmp_path / "a.duckdb"
    db.write_bytes(good_db.read_bytes())
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        result = flowaudit("report", "--db", str(db), "--out", str(tmp_path / "r"))
    finally:
        writer.kill()
        writer.wait()
    _fails_with(result, ExitCode.DATABASE_LOCKED, "is locked")


def test_a_second_run_while_one_runs_exits_at_once_with_run_in_progress(tmp_path: Path):
    slow = SimulatedAccount.generate(
        "small", seed=2, token=TOKEN, options=SimulatorOptions(latency_ms=400)
    )
    db = tmp_path / "a.duckdb"
    args = ("run", "--db", str(db), "--out", str(tmp_path / "r"), "--concurrency", "2")
    with serve(slow) as handle:
        first = start_flowaudit(*args, "--api-url", handle.url, env=GOOD)
        try:
            _wait_for_lock_holder(db, first)
            _wait_for_fetching(slow, first)
            started = time.monotonic()
            second = flowaudit(*args, "--api-url", handle.url, env=GOOD)
            elapsed = time.monotonic() - started
            assert first.poll() is None, "the first run should still be running"
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=60)
    _fails_with(second, ExitCode.RUN_IN_PROGRESS, "another flowaudit run is already running")
    assert f"pid {first.pid}" in last_line(second.stderr)
    assert elapsed < 10  # "at once": the interpreter's start-up, no waiting for the lock
    assert second.stdout == ""  # and no report rendered over the running one's database
    # SIGTERM ends the first run cleanly: exit 130, recorded as failed, lock released.
    assert first.returncode == ExitCode.INTERRUPTED
    assert query(db, "SELECT status, error FROM runs") == [("failed", "terminated (SIGTERM)")]


def _wait_for_lock_holder(db: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        path = lock_path_for(db)
        if path.exists() and f'"pid": {process.pid}' in path.read_text():
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the first run never took the run lock")


def _wait_for_fetching(account: SimulatedAccount, process: subprocess.Popen) -> None:
    # The lock is taken before the database is migrated and the run recorded; a SIGTERM
    # in between ends a run that never was (nothing to mark failed). Wait for its requests.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if account.counters["requests"] > 0:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the first run never reached the API")


def test_a_failing_query_is_query(good_db: Path):
    result = flowaudit("sql", "SELEC 1", "--db", str(good_db))
    assert result.returncode == ExitCode.QUERY, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_report_directory_that_cannot_be_written_is_report_output(good_db: Path, tmp_path: Path):
    (tmp_path / "plain-file").write_text("")
    result = flowaudit("report", "--db", str(good_db), "--out", str(tmp_path / "plain-file" / "r"))
    _fails_with(result, ExitCode.REPORT_OUTPUT, "plain-file")


def test_run_with_an_unwritable_report_directory_keeps_the_extract_and_exits_report_output(
    api: ServerHandle, tmp_path: Path
):
    (tmp_path / "plain-file").write_text("")
    db = tmp_path / "a.duckdb"
    result = flowaudit(
        "run", "--api-url", api.url, "--db", str(db), "--out", str(tmp_path / "plain-file" / "r"),
        env=GOOD,
    )  # fmt: skip
    _fails_with(result, ExitCode.REPORT_OUTPUT, "plain-file")
    assert query(db, "SELECT status FROM runs") == [("succeeded",)]


def _newer_database(good_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "a.duckdb"
    db.write_bytes(good_db.read_bytes())
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO store.schema_migrations VALUES ('9999_from_the_future', now())")
    con.close()
    return db


def test_extract_refuses_a_database_from_a_newer_flowaudit(good_db: Path, tmp_path: Path):
    db = _newer_database(good_db, tmp_path)
    before = snapshot(db)
    result = flowaudit("extract", "--db", str(db), env=GOOD)
    _fails_with(result, ExitCode.DATABASE, "newer flowaudit")
    assert snapshot(db) == before


def test_report_refuses_a_database_from_a_newer_flowaudit(good_db: Path, tmp_path: Path):
    db = _newer_database(good_db, tmp_path)
    result = flowaudit("report", "--db", str(db), "--out", str(tmp_path / "r"))
    _fails_with(result, ExitCode.DATABASE, "newer flowaudit")
