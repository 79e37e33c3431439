"""Named migrations, refusal of a newer database, and the public schema's descriptions."""

from __future__ import annotations

import duckdb
import pytest

from flowaudit.errors import DatabaseError
from flowaudit.load.db import run_sql_file
from flowaudit.load.migrations import MIGRATIONS, check_schema, migrate
from flowaudit.load.public_schema import describe_schema, view_files

PUBLIC_VIEWS = {
    "flows",
    "integrations",
    "exports",
    "imports",
    "connections",
    "audit_events",
    "flow_audit_events",
    "field_changes",
    "resource_versions",
    "flow_versions",
    "integration_versions",
    "export_versions",
    "import_versions",
    "connection_versions",
    "runs",
    "audit_windows",
    "version_changes",
    "unexplained_changes",
    "people",
    "baselines",
    "rules",
    "rule_violations",
    "change_approvals",
    "drift_register",
    "hash_chain",
    # jobs and open errors (migration 0011)
    "jobs",
    "flow_health_daily",
    "change_impact",
    "changes_followed_by_failures",
    "open_errors",
    "job_reads",
    # the whole account (issue 14)
    "scripts",
    "users",
    "access_tokens",
    "lookup_caches",
    "file_definitions",
    "iclients",
    "async_helpers",
    "stacks",
    "script_versions",
    "user_versions",
    "access_token_versions",
    "lookup_cache_versions",
    "file_definition_versions",
    "iclient_versions",
    "async_helper_versions",
    "stack_versions",
    "security_changes",
    "access_review",
    "notifications",
}
PUBLIC_MACROS = {
    "flows_as_of",
    "integrations_as_of",
    "exports_as_of",
    "imports_as_of",
    "connections_as_of",
    "resources_as_of",
    "changes_between",
    "events_between",
    "drift_from_baseline",
    "audit_coverage",
    "change_impact_within",
    "changes_followed_by_failures_between",
    "scripts_as_of",
    "users_as_of",
    "access_tokens_as_of",
    "lookup_caches_as_of",
    "file_definitions_as_of",
    "iclients_as_of",
    "async_helpers_as_of",
    "stacks_as_of",
    "needs_attention",
}


def test_migrations_are_recorded_once_and_rerunning_changes_nothing(con):
    recorded = con.execute("SELECT name FROM store.schema_migrations ORDER BY name").fetchall()
    assert [r[0] for r in recorded] == list(MIGRATIONS)
    assert migrate(con) == []
    assert con.execute("SELECT count(*) FROM store.schema_migrations").fetchall() == [
        (len(MIGRATIONS),)
    ]
    meta = dict(con.execute("SELECT key, value FROM store.meta").fetchall())
    assert meta["schema_version"] == str(len(MIGRATIONS)) and "flowaudit_version" in meta


def test_a_database_from_a_newer_flowaudit_is_refused(con):
    con.execute("INSERT INTO store.schema_migrations VALUES ('0999_future', now()::TIMESTAMP)")
    con.execute("UPDATE store.meta SET value = '9.0.0' WHERE key = 'flowaudit_version'")
    with pytest.raises(
        DatabaseError,
        match=r"newer flowaudit \(flowaudit 9.0.0, migration 0999_future\); upgrade flowaudit",
    ):
        migrate(con)
    with pytest.raises(DatabaseError, match="newer flowaudit"):
        check_schema(con)


def test_a_reader_is_told_when_the_file_holds_no_flowaudit_data(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    with pytest.raises(DatabaseError, match="holds no flowaudit data"):
        check_schema(con)


def test_a_file_named_store_is_refused_with_a_reason(tmp_path):
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    with pytest.raises(DatabaseError, match="clashes"):
        migrate(con)


def test_every_public_view_and_column_has_a_comment_in_the_database(con):
    views = dict(
        con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
        ).fetchall()
    )
    assert set(views) >= PUBLIC_VIEWS
    assert all(views[name] for name in PUBLIC_VIEWS)
    uncommented = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name IN (SELECT unnest($v)) AND comment IS NULL",
        {"v": sorted(PUBLIC_VIEWS)},
    ).fetchall()
    assert uncommented == []


def test_every_macro_is_described_with_its_parameters_and_columns(con):
    macros = dict(
        con.execute(
            "SELECT function_name, comment FROM duckdb_functions() WHERE function_type = 'table_macro' "
            "AND schema_name = 'main'"
        ).fetchall()
    )
    assert set(macros) >= PUBLIC_MACROS and all(macros[m] for m in PUBLIC_MACROS)
    described = {doc.name: doc for doc in describe_schema(con)}
    assert set(described) == PUBLIC_VIEWS | PUBLIC_MACROS
    assert [p for p, _ in described["changes_between"].params] == ["ts_from", "ts_to"]
    columns = [c for c, _ in described["flows_as_of"].columns]
    actual = [d[0] for d in con.execute("SELECT * FROM flows_as_of(now())").description]
    assert columns == actual


def test_the_issue_columns_are_in_the_public_views(con):
    required = {
        "flows": "account flow_id name integration_id integration_name disabled schedule timezone "
        "created_at last_modified last_executed_at",
        "audit_events": "account event_id time resource_type resource_id resource_name flow_id "
        "event source user_id user_name user_email",
        "field_changes": "account event_id time resource_type resource_id flow_id field_path "
        "old_value new_value user_email source",
        "flow_versions": "account flow_id version valid_from valid_to content_hash doc",
        "runs": "run_id account started_at finished_at status",
    }
    for view, names in required.items():
        columns = {d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description}
        assert set(names.split()) <= columns, view


def test_view_files_open_with_a_purpose_line():
    for view in view_files():
        assert view.sql.startswith("-- "), view.file_name
        assert view.doc.description, view.file_name


def test_a_database_of_the_first_schema_keeps_its_rows_when_migrated(tmp_path):
    connection = duckdb.connect(str(tmp_path / "old.duckdb"))
    connection.execute("CREATE SCHEMA store")
    connection.execute(
        "CREATE TABLE store.schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    for name in ("0001_initial", "0002_report_baselines"):
        run_sql_file(connection, f"migrations/{name}.sql")
        connection.execute(
            "INSERT INTO store.schema_migrations VALUES (?, now()::TIMESTAMP)", [name]
        )
    connection.execute(
        "INSERT INTO store.audit_records VALUES ('default', 'e1', TIMESTAMP '2026-01-01', 'flow', 'f1', "
        "'ui', 'update', 'u1', 'Ada', 'ada@example.com', NULL, '{\"_id\": \"e1\"}', 1)"
    )
    connection.execute(
        "INSERT INTO store.resource_versions VALUES ('default', 'flow', 'f1', TIMESTAMP '2026-01-01', "
        "NULL, 'h', '{\"_id\": \"f1\"}', 'observed', NULL, 1, 1, TIMESTAMP '2026-01-02', "
        "TIMESTAMP '2026-01-02', NULL)"
    )
    connection.execute(
        "INSERT INTO store.runs VALUES (1, 'default', TIMESTAMP '2026-01-02', TIMESTAMP '2026-01-02', "
        "'succeeded', 'full', TIMESTAMP '2026-01-02', NULL, TIMESTAMP '2026-01-02', NULL, 1, 0, NULL, '0')"
    )
    connection.execute(
        "INSERT INTO store.latest_documents VALUES ('default', 'flow', 'f1', 1, TIMESTAMP '2026-01-02', "
        '\'{"_id": "f1"}\')'
    )
    tables = ("audit_records", "latest_documents")
    columns = {
        t: ", ".join(
            d[0] for d in connection.execute(f"SELECT * FROM store.{t} LIMIT 0").description
        )
        for t in tables
    }

    def rows() -> dict[str, list[tuple]]:  # the first schema's columns (later ones add some)
        return {
            t: connection.execute(f"SELECT {columns[t]} FROM store.{t}").fetchall() for t in tables
        }

    def utc(rows):  # the times became TIMESTAMPTZ (UTC): compare them as naive UTC
        return [
            tuple(v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in row)
            for row in rows
        ]

    before = rows()
    assert migrate(connection) == list(MIGRATIONS[2:])
    connection.execute("CHECKPOINT")
    assert {t: utc(r) for t, r in rows().items()} == before
    # The observed version became an observation, and the history was rebuilt from it.
    assert connection.execute(
        "SELECT resource_id, first_seen_at::VARCHAR, content_hash <> 'h' FROM store.observations"
    ).fetchall() == [("f1", "2026-01-02 00:00:00+00", True)]
    compressions = connection.execute(
        "SELECT DISTINCT column_name, compression FROM pragma_storage_info('store.resource_versions') "
        "WHERE column_name = 'doc' AND compression <> 'Constant'"
    ).fetchall()
    assert compressions == [("doc", "ZSTD")]
    assert connection.execute("SELECT count(*) FROM flow_versions").fetchall() == [(1,)]
    connection.close()
