"""Every output format of `flowaudit sql`, compared with reviewed golden files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.sqlshell.conftest import assert_matches_golden

QUERY = "SELECT * FROM samples ORDER BY id"


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [
        ("table", "samples.table.txt"),
        ("csv", "samples.csv"),
        ("json", "samples.json"),
        ("jsonl", "samples.jsonl"),
    ],
)
def test_each_text_format_matches_its_golden_file(invoke, fixture_db, fmt, golden):
    result = invoke("sql", "--db", str(fixture_db), "--format", fmt, QUERY)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert_matches_golden(golden, result.stdout)


def test_json_output_keeps_json_types(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "--format", "json", QUERY)
    rows = json.loads(result.stdout)
    first = rows[0]
    assert first["doc"] == {"name": "Orders → ERP", "pageSize": 20, "filters": [1, 2.5, None]}
    assert first["changed_at"] == "2026-03-01T12:30:00Z"
    assert first["enabled"] is True and first["note"] is None
    assert first["tags"] == ["sync", "prod"]
    assert rows[1]["changed_at"] == "2026-03-02T00:00:00.125Z"
    # JSON 'null' stored in a JSON column and SQL NULL are both JSON null.
    assert rows[2]["doc"] is None and rows[1]["doc"] is None


def test_jsonl_is_one_parseable_object_per_line(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "--format", "jsonl", QUERY)
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert [json.loads(line)["id"] for line in lines] == [1, 2, 3, 4]
    assert json.loads(lines[0])["label"] == 'Zoë "the admin", line one\nline two'


def test_csv_tells_null_from_empty_string(invoke, fixture_db):
    result = invoke(
        "sql",
        "--db",
        str(fixture_db),
        "--format",
        "csv",
        "SELECT note FROM samples WHERE id IN (1, 4) ORDER BY id",
    )
    assert result.stdout == 'note\n\n""\n'


def test_parquet_needs_an_output_file(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "--format", "parquet", QUERY)
    assert result.exit_code != 0
    assert "--output" in str(result.exception)
    assert result.stdout == ""


def test_parquet_output_holds_the_rows_and_types(invoke, fixture_db, tmp_path: Path):
    target = tmp_path / "samples.parquet"
    result = invoke(
        "sql", "--db", str(fixture_db), "--format", "parquet", "--output", str(target), QUERY
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    table = pq.read_table(target)
    lines = [str(table.schema)] + [repr(row) for row in table.to_pylist()]
    assert_matches_golden("samples.parquet.txt", "\n".join(lines) + "\n")


def test_output_file_receives_what_stdout_would(invoke, fixture_db, tmp_path: Path):
    target = tmp_path / "out.csv"
    to_file = invoke("sql", "--db", str(fixture_db), "--format", "csv", "-o", str(target), QUERY)
    to_stdout = invoke("sql", "--db", str(fixture_db), "--format", "csv", QUERY)
    assert to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == to_stdout.stdout


def test_duplicate_column_names_get_distinct_json_keys(invoke, fixture_db):
    result = invoke(
        "sql", "--db", str(fixture_db), "--format", "jsonl", "SELECT 1 AS a, 2 AS a, 3 AS a_2"
    )
    assert json.loads(result.stdout) == {"a": 1, "a_3": 2, "a_2": 3}


def test_a_statement_without_rows_prints_nothing(invoke, fixture_db):
    result = invoke("sql", "--db", str(fixture_db), "SET TimeZone = 'UTC'")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
