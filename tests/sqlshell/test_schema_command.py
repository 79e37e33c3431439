"""`flowaudit schema`: public views and macros with columns, types and meanings, from the
comments stored in the database."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flowaudit.sqlshell.schema import read_schema
from tests.sqlshell.conftest import HERE, assert_matches_golden


@pytest.fixture
def schema_db(tmp_path: Path) -> Path:
    path = tmp_path / "schema.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute((HERE / "schema_fixture.sql").read_text(encoding="utf-8"))
    connection.close()
    return path


def test_schema_lists_public_objects_only_with_types_and_meanings(schema_db):
    connection = duckdb.connect(str(schema_db), read_only=True)
    objects = read_schema(connection)
    connection.close()
    assert [(o.name, o.kind) for o in objects] == [("things", "view"), ("things_between", "macro")]
    view, macro = objects
    assert view.description == "Every thing, as last seen."
    assert [(c.name, c.type, c.meaning) for c in view.columns] == [
        ("thing_id", "VARCHAR", "The thing's id | 24 hex characters."),
        ("seen_at", "TIMESTAMP", "When it was seen (UTC)."),
        ("size", "INTEGER", ""),
    ]
    assert macro.signature == "things_between(t1, t2)"
    assert [(p.name, p.meaning) for p in macro.parameters] == [
        ("t1", "start, inclusive"), ("t2", "end, exclusive")
    ]
    assert [(c.name, c.type, c.meaning) for c in macro.columns] == [
        ("thing_id", "VARCHAR", "the thing"), ("size", "INTEGER", "its size")
    ]


@pytest.mark.parametrize(("fmt", "golden"), [("text", "schema.txt"), ("markdown", "schema.md")])
def test_schema_command_output_matches_golden(invoke, schema_db, fmt, golden):
    result = invoke("schema", "--db", str(schema_db), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert_matches_golden(golden, result.stdout)
