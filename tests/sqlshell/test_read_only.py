"""`flowaudit sql` cannot change the database, reach other files, or fight a writer:
refusals are one clear line with exit code 10, a writer's lock gives exit code 8 (or is
waited for with --wait)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from flowaudit.errors import ExitCode
from flowaudit.sqlshell import NO_FILES_MESSAGE, READ_ONLY_MESSAGE
from tests.sqlshell.conftest import run_flowaudit


def _snapshot(db: Path) -> list:
    connection = duckdb.connect(str(db), read_only=True)
    try:
        tables = connection.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        views = connection.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL"
        ).fetchall()
        rows = connection.execute("SELECT * FROM samples ORDER BY id").fetchall()
    finally:
        connection.close()
    return [tables, views, rows]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO samples (id) VALUES (99)",
        "UPDATE samples SET label = 'changed'",
        "DELETE FROM samples",
        "CREATE TABLE extra (a INTEGER)",
        "CREATE VIEW extra AS SELECT 1",
        "DROP TABLE samples",
        "DROP VIEW sample_view",
        "ALTER TABLE samples ADD COLUMN x INTEGER",
        "SELECT 1; DELETE FROM samples",
    ],
)
def test_a_statement_that_would_change_the_database_is_refused(fixture_db, sql):
    before = _snapshot(fixture_db)
    done = run_flowaudit("sql", "--db", str(fixture_db), sql)
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert READ_ONLY_MESSAGE in done.stderr
    assert _snapshot(fixture_db) == before


def test_attaching_the_same_file_for_writing_is_refused(fixture_db):
    before = _snapshot(fixture_db)
    sql = f"ATTACH '{fixture_db}' AS w (READ_WRITE); INSERT INTO w.samples (id) VALUES (99)"
    done = run_flowaudit("sql", "--db", str(fixture_db), sql)
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert _snapshot(fixture_db) == before


def test_attaching_a_hard_link_to_the_file_for_writing_is_refused(fixture_db, tmp_path: Path):
    # DuckDB would see a different path; switching file access off is what stops this.
    link = tmp_path / "alias.duckdb"
    link.hardlink_to(fixture_db)
    before = _snapshot(fixture_db)
    sql = f"ATTACH '{link}' AS w (READ_WRITE); INSERT INTO w.samples (id) VALUES (99)"
    done = run_flowaudit("sql", "--db", str(fixture_db), sql)
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert NO_FILES_MESSAGE in done.stderr
    assert _snapshot(fixture_db) == before


@pytest.mark.parametrize(
    "sql",
    [
        "COPY samples TO '{dir}/leak.csv'",
        "SELECT * FROM read_csv('{dir}/anything.csv')",
        "SET enable_external_access = true; COPY samples TO '{dir}/leak.csv'",
    ],
)
def test_other_files_cannot_be_read_or_written(fixture_db, tmp_path: Path, sql):
    done = run_flowaudit("sql", "--db", str(fixture_db), sql.format(dir=tmp_path))
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert not (tmp_path / "leak.csv").exists()


def test_session_settings_and_temporary_tables_are_allowed(invoke, fixture_db):
    sql = (
        "SET TimeZone = 'Europe/Berlin'; CREATE TEMP TABLE t AS SELECT 41 AS x; "
        "SELECT x + 1 AS answer FROM t"
    )
    result = invoke("sql", "--db", str(fixture_db), "--format", "csv", sql)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "answer\n42\n"


_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])          # read-write: takes the file lock
    connection.execute("CREATE TABLE IF NOT EXISTS writer_was_here AS SELECT 1 AS x")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.close()
    """
)


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_writer_in_another_process_gives_the_lock_message(fixture_db):
    holder = _hold_lock(fixture_db, 30)
    try:
        done = run_flowaudit("sql", "--db", str(fixture_db), "SELECT 1")
    finally:
        holder.kill()
        holder.wait()
    assert (done.returncode, done.stdout) == (ExitCode.DATABASE_LOCKED, "")
    assert f"locked by process {holder.pid}" in done.stderr
    assert "--wait" in done.stderr


def test_wait_succeeds_once_the_writer_releases_the_lock(fixture_db):
    holder = _hold_lock(fixture_db, 1.5)
    started = time.monotonic()
    try:
        done = run_flowaudit(
            "sql",
            "--db",
            str(fixture_db),
            "--wait",
            "30",
            "--format",
            "csv",
            "SELECT x FROM writer_was_here",
        )
    finally:
        holder.wait(timeout=30)
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stdout == "x\n1\n"
    assert time.monotonic() - started >= 1.0  # it really waited for the writer
