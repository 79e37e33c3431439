"""Hostile files and signals (issue 10, items 2, 6, 10, 11, 13, 14, 16): SQL stored in a copied
database never reads a file, foreign and damaged files at --db are refused in one line,
the run lock belongs to the file, a full disk and SIGTERM end a run recorded as failed with
the right exit code, and a report folder's strays and leftovers do not break a night."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flowaudit.config import Settings, resolve_settings
from flowaudit.errors import DatabaseError, ExitCode, FlowauditError, RunInProgressError
from flowaudit.extract import ApiClient, fetch_account
from flowaudit.extract.staging import StagingArea, StagingWriteError
from flowaudit.load.db import connect
from flowaudit.load.loader import load_staging
from flowaudit.load.public_schema import differing_objects
from flowaudit.load.runs import begin_run
from flowaudit.ops import diagnose
from flowaudit.report.render import render_reports
from flowaudit.runlock import lock_path_for, run_lock
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.server import ServerHandle, serve
from tests.ops.cli import ROOT, flowaudit, last_line
from tests.pipeline.helpers import extract, query, snapshot

TOKEN = "files-tok-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("good") / "a.duckdb"
    extract(db, SimulatedAccount.generate("small", seed=51, token=TOKEN))
    return db


def _copy(good_db: Path, tmp_path: Path, *statements: str) -> Path:
    db = tmp_path / "a.duckdb"
    shutil.copyfile(good_db, db)
    con = duckdb.connect(str(db))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()
    return db


def _one_line(result: subprocess.CompletedProcess, code: ExitCode, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert words in last_line(result.stderr), result.stderr


# -- item 2: SQL stored in the database file ------------------------------------------------


def _leaking_view(secret: Path) -> str:
    return (
        "CREATE OR REPLACE VIEW flows AS SELECT f.*, "
        f"(SELECT content FROM read_text('{secret}')) AS leak FROM store.latest_documents AS f"
    )


def test_report_refuses_views_that_are_not_this_flowaudits(good_db: Path, tmp_path: Path):
    secret = tmp_path / "environ"
    secret.write_text("FLOWAUDIT_TOKEN=stolen-by-a-view")
    db = _copy(good_db, tmp_path, _leaking_view(secret))  # the views digest still matches
    out = tmp_path / "reports"
    result = flowaudit("report", "--db", str(db), "--out", str(out))
    _one_line(
        result,
        ExitCode.DATABASE,
        "the database's views differ from what this flowaudit installs (flows)",
    )
    assert not out.exists()


def test_a_macro_that_replaces_a_builtin_function_is_refused_too(good_db: Path, tmp_path: Path):
    db = _copy(good_db, tmp_path, "CREATE MACRO lower(x) AS 'hijacked'")
    with pytest.raises(DatabaseError, match=r"views differ .*\(lower\)"):
        render_reports(db, tmp_path / "reports", Settings())
    checks = {
        check.name: check
        for check in diagnose({"db": db, "out": tmp_path / "r"}, environ={}).checks
    }
    assert checks["database"].status == "FAIL" and checks["database"].exit_code == ExitCode.DATABASE


def test_every_reading_connection_has_file_access_off(good_db: Path, tmp_path: Path):
    secret = tmp_path / "environ"
    secret.write_text("SECRET")
    db = _copy(good_db, tmp_path, _leaking_view(secret))
    con = connect(db, read_only=True)
    try:
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT leak FROM flows").fetchall()
        settings = dict(con.execute("SELECT name, value FROM duckdb_settings()").fetchall())
    finally:
        con.close()
    assert settings["enable_external_access"] == "false"
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["autoload_known_extensions"] == "false"


def test_the_loader_reads_only_its_staging_folder(good_db: Path, tmp_path: Path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "audit.ndjson").write_text('{"_id": "a"}\n')
    (tmp_path / "elsewhere.txt").write_text("SECRET")
    db = _copy(good_db, tmp_path)
    con = connect(db, file_access=[staging])
    try:
        assert con.execute(
            f"SELECT count(*) FROM read_json('{staging / 'audit.ndjson'}')"
        ).fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_text('{tmp_path / 'elsewhere.txt'}')").fetchall()
    finally:
        con.close()


def test_a_run_reinstalls_the_views_and_drops_a_hijacking_macro(
    good_db: Path, tmp_path: Path, caplog
):
    secret = tmp_path / "environ"
    secret.write_text("SECRET")
    db = _copy(good_db, tmp_path, _leaking_view(secret), "CREATE MACRO lower(x) AS 'hijacked'")
    with caplog.at_level(logging.WARNING, logger="flowaudit"):
        result = extract(db, SimulatedAccount.generate("small", seed=51, token=TOKEN))
    assert result.status == "succeeded"
    assert "views differ from this flowaudit's (lower, flows): reinstalling them" in caplog.text
    con = connect(db, read_only=True)
    try:
        assert differing_objects(con) == []
        assert "leak" not in [c[0] for c in con.execute("SELECT * FROM flows LIMIT 0").description]
    finally:
        con.close()
    render_reports(db, tmp_path / "reports", Settings())  # and the reports read it again


# -- item 14: foreign files ---------------------------------------------------------------


def test_a_sqlite_file_is_refused_by_its_header_before_duckdb_opens_it(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    lite = sqlite3.connect(db)
    lite.execute("CREATE TABLE flows (name TEXT)")
    lite.commit()
    lite.close()
    before = db.read_bytes()
    home = tmp_path / "home"  # DuckDB would put a downloaded extension under ~/.duckdb
    for command in (("report", "--out", str(tmp_path / "r")), ("extract",)):
        result = flowaudit(
            *command, "--db", str(db), env={"FLOWAUDIT_TOKEN": TOKEN, "HOME": str(home)}
        )
        _one_line(
            result,
            ExitCode.DATABASE,
            f"{db} is not a DuckDB database file (it is a SQLite database)",
        )
    assert db.read_bytes() == before
    assert not (home / ".duckdb").exists()


def test_an_empty_file_at_db_is_refused(tmp_path: Path):
    (tmp_path / "a.duckdb").write_bytes(b"")
    with pytest.raises(
        DatabaseError, match=r"is not a DuckDB database file \(it is an empty file\)"
    ):
        connect(tmp_path / "a.duckdb")


# -- item 13: a damaged database ----------------------------------------------------------


@pytest.mark.parametrize("kept", [0.05, 0.5])
def test_a_truncated_database_is_one_line_with_the_database_exit_code(
    good_db: Path, tmp_path: Path, kept
):
    db = tmp_path / "a.duckdb"
    data = good_db.read_bytes()
    db.write_bytes(data[: int(len(data) * kept)])
    report = flowaudit("report", "--db", str(db), "--out", str(tmp_path / "r"))
    _one_line(report, ExitCode.DATABASE, str(db))
    db.write_bytes(data[: int(len(data) * kept)])
    run = flowaudit(
        "run", "--db", str(db), "--out", str(tmp_path / "r"), "--api-url", "http://127.0.0.1:9/v1",
        env={"FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_MAX_ATTEMPTS": "1"},
    )  # fmt: skip
    assert run.returncode in (ExitCode.DATABASE, ExitCode.API_UNAVAILABLE), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr


# -- item 10: the run lock belongs to the file --------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from flowaudit.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen]]:
    real = tmp_path / "data" / "a.duckdb"
    real.parent.mkdir()
    duckdb.connect(str(real)).close()
    process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(real)], stdout=subprocess.PIPE,
                               text=True, cwd=ROOT)  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "locked"
        yield real, process
    finally:
        process.kill()
        process.wait()


def test_a_run_through_a_symlink_meets_the_same_lock(holder, tmp_path: Path):
    real, process = holder
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    folder_link = tmp_path / "folder"
    folder_link.symlink_to(real.parent)
    assert lock_path_for(link) == lock_path_for(real) == lock_path_for(folder_link / "a.duckdb")
    for path in (link, folder_link / "a.duckdb"):
        with pytest.raises(RunInProgressError, match=f"pid {process.pid}"), run_lock(path):
            pass


def test_a_hard_link_to_the_same_file_meets_the_same_lock(holder):
    real, process = holder
    other_name = real.with_name("b.duckdb")
    os.link(real, other_name)
    with pytest.raises(RunInProgressError, match=f"pid {process.pid}"), run_lock(other_name):
        pass


def test_a_second_run_through_a_symlink_leaves_the_first_runs_row_alone(
    good_db: Path, tmp_path: Path
):
    db = _copy(good_db, tmp_path)
    link = tmp_path / "link.duckdb"
    link.symlink_to(db)
    runs_before = query(db, "SELECT run_id, status FROM runs")
    with run_lock(db), pytest.raises(RunInProgressError):  # a run of db is going on
        extract(link, SimulatedAccount.generate("small", seed=51, token=TOKEN))
    assert query(db, "SELECT run_id, status FROM runs") == runs_before


# -- item 11: a full disk -----------------------------------------------------------------

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


@needs_dev_full
def test_a_full_disk_found_when_closing_the_staging_files_is_a_staging_error(tmp_path: Path):
    staging = tmp_path / "s"
    staging.mkdir()
    (staging / "connections.ndjson").symlink_to("/dev/full")
    with (
        pytest.raises(StagingWriteError, match="No space left on device"),
        StagingArea(staging) as area,
    ):
        area.write_listing("connections", [{"_id": "c1"}])  # buffered: the disk says no at close
    # A fetch that failed first keeps its own error.
    with (
        pytest.raises(ValueError, match="the fetch's own error"),
        StagingArea(tmp_path / "s") as area,
    ):
        area.write_listing("connections", [{"_id": "c1"}])
        raise ValueError("the fetch's own error")


class _DiskFullAtCommit:
    """A connection whose COMMIT fails as on a full disk (DuckDB ends the transaction)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def execute(self, statement, *args, **kwargs):
        if isinstance(statement, str) and statement.strip().upper() == "COMMIT":
            self._con.execute("ROLLBACK")
            raise duckdb.IOException('Could not write file "a.duckdb.wal": No space left on device')
        return self._con.execute(statement, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_commit_that_fails_on_a_full_disk_says_so_not_cannot_rollback(
    good_db: Path, tmp_path: Path
):
    db = _copy(good_db, tmp_path)
    account = SimulatedAccount.generate("small", seed=51, token=TOKEN)
    account.advance(hours=24)
    before = snapshot(db)
    staging = tmp_path / "staging"

    async def fetch():
        async with ApiClient(
            account.base_url, Secret(TOKEN), transport=account.async_transport()
        ) as client:
            return await fetch_account(client, staging)

    asyncio.run(fetch())
    con = connect(db, file_access=[staging])
    try:
        run_id = begin_run(con, "default", "full", "test")
        with pytest.raises(DatabaseError) as caught:
            load_staging(_DiskFullAtCommit(con), staging, run_id)
    finally:
        con.close()
    assert "disk full" in caught.value.message and "rollback" not in caught.value.message
    assert snapshot(db) == before


def test_an_os_error_anywhere_in_a_run_is_recorded_and_is_a_database_error(
    good_db: Path, tmp_path: Path, monkeypatch
):
    db = _copy(good_db, tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr("flowaudit.pipeline.load_staging", full)
    with pytest.raises(FlowauditError) as caught:
        extract(db, SimulatedAccount.generate("small", seed=51, token=TOKEN))
    assert caught.value.exit_code == ExitCode.DATABASE
    assert "No space left on device" in caught.value.message
    assert (
        query(db, "SELECT status, error FROM runs ORDER BY run_id DESC LIMIT 1")[0][0] == "failed"
    )


# -- item 6: SIGTERM during the load --------------------------------------------------------

SLOW_LOAD = """
import sys
import flowaudit.load.loader as loader
from flowaudit.cli import main

original = loader.save_audit

def slow(con, *args, **kwargs):
    print("loading", flush=True)
    # A long statement inside the load's transaction: SIGTERM lands inside DuckDB.
    con.execute("SELECT count(*) FROM range(20000000000)").fetchall()
    return original(con, *args, **kwargs)

loader.save_audit = slow
main(["extract", "--api-url", sys.argv[1], "--db", sys.argv[2]])
"""


@pytest.fixture(scope="module")
def api() -> Iterator[ServerHandle]:
    with serve(SimulatedAccount.generate("small", seed=52, token=TOKEN)) as handle:
        yield handle


def test_sigterm_during_the_load_exits_130_with_the_run_marked_failed(
    api: ServerHandle, tmp_path: Path
):
    db = tmp_path / "a.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_LOAD, api.url, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN},
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "loading"
        child.send_signal(signal.SIGTERM)
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err and last_line(err) == "flowaudit: error: interrupted"
    assert query(db, "SELECT status, error FROM runs") == [("failed", "terminated (SIGTERM)")]
    assert query(db, "SELECT count(*) FROM store.audit_records") == [(0,)]
    assert not list(tmp_path.glob(".flowaudit-staging-*"))


# -- item 16: the report folder -------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_strays_named_like_dates_are_left_alone_and_killed_renderings_are_cleaned(
    good_db: Path, tmp_path: Path
):
    out = tmp_path / "reports"
    out.mkdir()
    for stray in ("0000-00-00", "2026-13-45", "9999-99-99-999999"):
        (out / stray).mkdir()
    dead = _dead_pid()
    leftovers = [f".2026-11-01.partial-{dead}", f".latest.old-{dead}", f".latest.new-{dead}"]
    for name in leftovers:
        (out / name / "flows").mkdir(parents=True)
        (out / name / "flows" / "page.html").write_text("x" * 1000)
    alive = out / f".2026-11-01.partial-{os.getppid()}"  # another rendering still writing
    alive.mkdir()
    settings = resolve_settings({"db": good_db, "retention_days": 1}, environ={})
    index = render_reports(good_db, out, settings, now=datetime(2026, 11, 30, 2))
    assert index.is_file()
    names = {child.name for child in out.iterdir()}
    assert {"0000-00-00", "2026-13-45", "9999-99-99-999999", alive.name} <= names
    assert not names & set(leftovers)
