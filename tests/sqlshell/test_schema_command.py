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
        ("t1", "start, inclusive"),
        ("t2", "end, exclusive"),
    ]
    assert [(c.name, c.type, c.meaning) for c in macro.columns] == [
        ("thing_id", "VARCHAR", "the thing"),
        ("size", "INTEGER", "its size"),
    ]


@pytest.mark.parametrize(("fmt", "golden"), [("text", "schema.txt"), ("markdown", "schema.md")])
def test_schema_command_output_matches_golden(invoke, schema_db, fmt, golden):
    result = invoke("schema", "--db", str(schema_db), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert_matches_golden(golden, result.stdout)


def test_docs_schema_md_is_what_the_generator_writes():
    from flowaudit.sqlshell.schema import fresh_schema_markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
    assert docs.read_text(encoding="utf-8") == fresh_schema_markdown(), (
        "docs/schema.md is stale: python -m flowaudit.sqlshell.schema docs/schema.md"
    )


def test_every_public_column_and_parameter_has_a_meaning(tmp_path: Path):
    from flowaudit.load.migrations import migrate

    connection = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    migrate(connection)
    objects = read_schema(connection)
    connection.close()
    names = {o.name for o in objects}
    assert {
        "flows",
        "audit_events",
        "field_changes",
        "flow_versions",
        "flows_as_of",
        "changes_between",
    } <= names
    undocumented = [
        f"{o.name}.{f.name}" for o in objects for f in [*o.parameters, *o.columns] if not f.meaning
    ]
    assert undocumented == []
    assert all(o.description for o in objects)


def test_schema_command_reads_a_migrated_database(invoke, tmp_path: Path):
    from flowaudit.load.migrations import migrate
    from flowaudit.sqlshell.schema import fresh_schema_markdown

    db = tmp_path / "fresh.duckdb"
    connection = duckdb.connect(str(db))
    migrate(connection)
    connection.close()
    result = invoke("schema", "--db", str(db), "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == fresh_schema_markdown()
