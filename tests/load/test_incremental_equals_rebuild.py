"""What nightly loads keep, rebuilding only the resources they touched and writing only the
versions that differ from the stored ones, is exactly what a whole rebuild from the
observations and the audit log gives: the history, its changes, and the directory and
attribution the views read."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.load.db import connect
from flowaudit.load.versions import Hashers, rebuild_all, refresh_derived
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract

KEPT = {
    "versions": "SELECT * EXCLUDE (doc), CAST(doc AS VARCHAR) FROM store.resource_versions",
    "version_changes": "SELECT * FROM store.version_changes",
    "unexplained_changes": "SELECT * EXCLUDE (old_value, new_value), CAST(old_value AS VARCHAR), "
    "CAST(new_value AS VARCHAR) FROM store.unexplained_changes",
    "resource_directory": "SELECT * FROM store.resource_directory",
    "attribution": "SELECT * FROM store.attribution",
    "flow_steps": "SELECT DISTINCT * FROM store.flow_steps",
    "step_connections": "SELECT DISTINCT * FROM store.step_connections",
}


def _kept(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in KEPT.items()}


@pytest.mark.parametrize(
    ("seed", "hours", "nights"),
    [(3, 24, 3), (6, 3, 6)],  # whole days; runs a few hours apart (changes near observations)
)
def test_nightly_loads_keep_what_a_whole_rebuild_gives(
    tmp_path: Path, seed: int, hours: int, nights: int
):
    account = SimulatedAccount.generate("small", seed=seed)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    rebuilt = resumed = 0
    for night in range(nights):  # renames, deletions, new flows and steps, silent changes
        account.advance(hours=hours, silent_changes=night % 3)
        counts = extract(db, account).counts
        # Most of a touched resource's versions are stored as rebuilt and stay.
        assert 0 < counts["new_versions"] < counts["kept_versions"], counts
        rebuilt += counts["rebuilt_resources"]
        resumed += counts["resumed_resources"]
    # Many touched resources are derived only from their last sighting on (the others are
    # new, or have an audit record in that observation's uncertain zone).
    assert rebuilt / 3 < resumed < rebuilt, (rebuilt, resumed)

    con = connect(db)
    kept = _kept(con)
    assert kept["versions"] and kept["unexplained_changes"] and kept["attribution"]
    for table in (
        "resource_versions",
        "version_changes",
        "unexplained_changes",
        "resource_directory",
        "attribution",
    ):
        con.execute(f"DELETE FROM store.{table}")
    rebuild_all(con, tmp_path, Hashers(DEFAULT_VOLATILE_FIELDS), account="default")
    refresh_derived(con, "default")
    assert _kept(con) == kept
    con.close()


def test_version_numbers_follow_valid_from_and_the_field_change_counts_the_stored_rows(
    tmp_path: Path,
):
    account = SimulatedAccount.generate("small", seed=3)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    con = connect(db, read_only=True)
    numbered = con.execute(
        "SELECT count(*) FROM (SELECT version, row_number() OVER (PARTITION BY resource_type, "
        "resource_id ORDER BY valid_from, version) AS expected FROM store.resource_versions) "
        "WHERE version <> expected"
    ).fetchall()
    counted = con.execute(
        "SELECT count(*) FROM store.audit_records AS a WHERE field_change_count <> "
        "(SELECT count(*) FROM store.audit_field_changes AS c WHERE c.event_id = a.event_id)"
    ).fetchall()
    con.close()
    assert numbered == [(0,)] and counted == [(0,)]
