"""The derived tables (migration 0005) that loads keep by refreshing only what they touched
hold exactly what a whole recomputation gives, after a full run and nights of changes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flowaudit.load.derived import refresh_derived
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract

DERIVED = {
    "resource_directory": "SELECT * FROM store.resource_directory",
    "attribution": "SELECT * FROM store.attribution",
    "versions": "SELECT resource_type, resource_id, valid_from, origin, version FROM store.resource_versions",
    "field_change_counts": "SELECT event_id, field_change_count FROM store.audit_records",
}


def _derived(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in DERIVED.items()}


def test_what_the_loads_kept_equals_a_whole_recomputation(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=3)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    for _night in range(3):  # renames, deletions, new flows and steps
        account.advance(hours=24)
        extract(db, account)

    con = duckdb.connect(str(db))
    kept = _derived(con)
    assert kept["resource_directory"] and kept["attribution"]
    assert all(version is not None for *_, version in kept["versions"])
    assert any(not present for *_, present, _deleted in kept["resource_directory"]), "needs a deletion"
    con.execute("DELETE FROM store.resource_directory")
    con.execute("DELETE FROM store.attribution")
    con.execute("UPDATE store.resource_versions SET version = NULL")
    con.execute("UPDATE store.audit_records SET field_change_count = NULL")
    refresh_derived(con, "default")
    assert _derived(con) == kept
    con.close()


def test_version_numbers_follow_valid_from_and_the_field_change_counts_the_stored_rows(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=3)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    con = duckdb.connect(str(db), read_only=True)
    numbered = con.execute(
        "SELECT count(*) FROM (SELECT version, row_number() OVER (PARTITION BY resource_type, "
        "resource_id ORDER BY valid_from, origin DESC) AS expected FROM store.resource_versions) "
        "WHERE version <> expected"
    ).fetchall()
    counted = con.execute(
        "SELECT count(*) FROM store.audit_records AS a WHERE field_change_count <> "
        "(SELECT count(*) FROM store.audit_field_changes AS c WHERE c.event_id = a.event_id)"
    ).fetchall()
    con.close()
    assert numbered == [(0,)] and counted == [(0,)]
