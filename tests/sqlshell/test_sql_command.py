"""`flowaudit sql` as people call it: where the SQL comes from, parameters, the row limit,
and the exit code and messages of every failure (through the real console script)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowaudit.errors import ExitCode
from tests.sqlshell.conftest import run_flowaudit


def test_sql_is_read_from_stdin_with_a_dash(invoke, fixture_db):
    result = invoke(
        "sql",
        "--db",
        str(fixture_db),
        "--format",
        "csv",
        "-",
        stdin="SELECT count(*) AS n FROM samples",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "n\n4\n"


def test_sql_is_read_from_a_file(invoke, fixture_db, tmp_path: Path):
    script = tmp_path / "q.sql"
    script.write_text(
        "-- how many samples are enabled\nSELECT count(*) AS n FROM samples WHERE enabled;\n"
    )
    result = invoke("sql", "--db", str(fixture_db), "--format", "csv", "-f", str(script))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "n\n2\n"


def test_several_statements_run_in_order_and_the_last_one_is_printed(invoke, fixture_db):
    sql = "CREATE TEMP TABLE picked AS SELECT id FROM samples WHERE id > 2; SELECT sum(id) AS s FROM picked;"
    result = invoke("sql", "--db", str(fixture_db), "--format", "csv", sql)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "s\n7\n"


def test_parameters_are_bound_not_pasted_into_the_sql(invoke, fixture_db):
    hostile = "x' OR '1'='1"
    result = invoke(
        "sql",
        "--db",
        str(fixture_db),
        "--format",
        "csv",
        "-p",
        "label",
        hostile,
        "SELECT count(*) AS n FROM samples WHERE label = $label",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "n\n0\n"


def test_parameters_are_text_that_sql_can_cast(invoke, fixture_db):
    result = invoke(
        "sql",
        "--db",
        str(fixture_db),
        "--format",
        "csv",
        "-p",
        "low",
        "2",
        "-p",
        "since",
        "2026-03-02",
        "SELECT id FROM samples WHERE id >= $low::INTEGER AND changed_at >= $since::TIMESTAMP ORDER BY id",
    )
    assert result.stdout == "id\n2\n4\n"


def test_a_file_can_declare_parameter_defaults_that_flags_override(
    invoke, fixture_db, tmp_path: Path
):
    script = tmp_path / "q.sql"
    script.write_text(
        "-- @param low = 3\n-- @param who = 'it''s, quoted'\n"
        "SELECT count(*) AS n FROM samples WHERE id >= $low::INTEGER OR note = $who;\n"
    )
    defaults = invoke("sql", "--db", str(fixture_db), "--format", "csv", "-f", str(script))
    assert defaults.stdout == "n\n3\n"
    given = invoke(
        "sql", "--db", str(fixture_db), "--format", "csv", "-f", str(script), "-p", "low", "5"
    )
    assert given.stdout == "n\n1\n"


def test_the_table_format_stops_at_the_row_limit_and_says_so_on_stderr(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "SELECT n FROM counter ORDER BY n")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 + 1000
    assert lines[-1].strip() == "999"
    assert "first 1,000 of 2,500 rows" in result.stderr


def test_limit_zero_shows_every_row_and_no_notice(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "--limit", "0", "SELECT n FROM counter")
    assert len(result.stdout.splitlines()) == 2 + 2500
    assert result.stderr == ""


def test_other_formats_are_not_limited_unless_asked(invoke, fixture_db):
    unlimited = invoke("sql", "--db", str(fixture_db), "--format", "jsonl", "SELECT n FROM counter")
    assert len(unlimited.stdout.splitlines()) == 2500
    limited = invoke(
        "sql",
        "--db",
        str(fixture_db),
        "--format",
        "jsonl",
        "--limit",
        "3",
        "SELECT n FROM counter ORDER BY n",
    )
    assert limited.stdout.splitlines() == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert "first 3 of 2,500 rows" in limited.stderr


def test_the_database_comes_from_the_environment_when_no_flag(invoke, fixture_db, monkeypatch):
    monkeypatch.setenv("FLOWAUDIT_DB", str(fixture_db))
    result = invoke("sql", "--format", "csv", "SELECT count(*) AS n FROM samples")
    assert result.stdout == "n\n4\n"


# --- failures, through the real console script: exit code, one line on stderr, empty stdout


def test_a_query_error_leaves_stdout_empty(fixture_db):
    done = run_flowaudit("sql", "--db", str(fixture_db), "SELECT nope FROM samples")
    assert done.returncode == ExitCode.QUERY
    assert done.stdout == ""
    assert done.stderr.startswith("flowaudit: error: Binder Error:")
    assert "Traceback" not in done.stderr


def test_a_query_error_keeps_duckdbs_whole_message(fixture_db):
    # DuckDB's hint and its caret under the faulty word follow the usual first line.
    done = run_flowaudit("sql", "--db", str(fixture_db), "SELECT nope FROM samples")
    lines = done.stderr.splitlines()
    assert (
        lines[0]
        == 'flowaudit: error: Binder Error: Referenced column "nope" not found in FROM clause!'
    )
    assert lines[1].startswith("Candidate bindings:") and '"note"' in lines[1]
    done = run_flowaudit("sql", "--db", str(fixture_db), "SELEC 1")
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert done.stderr.splitlines() == [
        'flowaudit: error: Parser Error: syntax error at or near "SELEC"',
        "",
        "LINE 1: SELEC 1",
        "        ^^^^^",
    ]


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
def test_an_error_while_writing_points_into_the_persons_sql(fixture_db, fmt):
    # The answer is read through flowaudit's own SELECT; DuckDB's context line must still show
    # the person's text and the caret stay under it.
    sql = "SELECT 1;\nSELECT id,\n  CAST(label AS INTEGER) AS n FROM samples"
    done = run_flowaudit("sql", "--db", str(fixture_db), "--format", fmt, sql)
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    lines = done.stderr.splitlines()
    assert lines[0].startswith(
        "flowaudit: error: statement 2: Conversion Error: Could not convert string"
    )
    assert lines[-2:] == ["LINE 3:   CAST(label AS INTEGER) AS n FROM samples", " " * 10 + "^" * 22]
    assert "#1" not in done.stderr and "COPY" not in done.stderr


def test_an_error_in_a_late_row_leaves_no_output_file(fixture_db, tmp_path: Path):
    # DuckDB streams results: row 200000 fails after earlier rows were computed and written.
    target = tmp_path / "out" / "answer.csv"
    target.parent.mkdir()
    target.write_text("yesterday's answer\n")
    sql = "SELECT CASE WHEN n = 200000 THEN error('boom') ELSE n END AS n FROM range(300000) t(n)"
    done = run_flowaudit("sql", "--db", str(fixture_db), "--format", "csv", "-o", str(target), sql)
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert "boom" in done.stderr
    assert target.read_text() == "yesterday's answer\n"
    assert [p.name for p in target.parent.iterdir()] == ["answer.csv"]  # no temporary file left


def test_a_missing_parameter_is_a_usage_error(fixture_db):
    done = run_flowaudit("sql", "--db", str(fixture_db), "SELECT $who AS w")
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert "-p who VALUE" in done.stderr
    assert len(done.stderr.splitlines()) == 1  # only query errors carry DuckDB's extra lines


def test_an_unused_parameter_is_a_usage_error(fixture_db):
    done = run_flowaudit("sql", "--db", str(fixture_db), "-p", "whom", "x", "SELECT 1")
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert "whom" in done.stderr


def test_a_missing_database_is_a_database_error(tmp_path: Path):
    done = run_flowaudit("sql", "--db", str(tmp_path / "absent.duckdb"), "SELECT 1")
    assert (done.returncode, done.stdout) == (ExitCode.DATABASE, "")
    assert "database not found" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_file_that_is_not_duckdb_is_a_database_error(tmp_path: Path):
    impostor = tmp_path / "notes.duckdb"
    impostor.write_text("these are my notes, not a database\n" * 200)
    done = run_flowaudit("sql", "--db", str(impostor), "SELECT 1")
    assert (done.returncode, done.stdout) == (ExitCode.DATABASE, "")
    assert "not a DuckDB database file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["SELECT 1", "-f", "x.sql"],  # both a query and a file
        [],  # nothing
        ["--format", "parquet", "SELECT 1"],  # parquet to a terminal
        ["--format", "xml", "SELECT 1"],
        ["--limit", "-1", "SELECT 1"],
        ["--bogus", "SELECT 1"],
        ["SELECT 1", "-p", "only_a_name"],
    ],
)
def test_bad_usage_exits_2_with_one_line(fixture_db, args):
    done = run_flowaudit("sql", "--db", str(fixture_db), *args)
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert "Traceback" not in done.stderr
    if done.stderr.startswith("flowaudit: error:"):  # click's own parse errors show the usage
        assert len(done.stderr.splitlines()) == 1, done.stderr
