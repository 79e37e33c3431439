"""Safe to kill, safe to re-run: what a killed run leaves on disk is cleaned up by the next run
of the same database (and only of that database), and re-running changes nothing."""

from __future__ import annotations

from pathlib import Path

from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract, query, snapshot


def test_the_next_run_removes_the_staging_a_killed_run_left_behind(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    killed = tmp_path / ".flowaudit-staging-a.duckdb-k1ll3d_x"
    killed.mkdir()
    (killed / "audit.ndjson").write_text('{"_id": "x"}\n')
    other = tmp_path / ".flowaudit-staging-a.duckdb-2-running"  # another database's, in use
    other.mkdir()
    extract(db, SimulatedAccount.generate("small", seed=4))
    assert not killed.exists()
    assert other.is_dir()
    assert [p.name for p in tmp_path.glob(".flowaudit-staging-a.duckdb-*")] == [other.name]


def test_running_again_with_nothing_new_changes_nothing(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    account = SimulatedAccount.generate("small", seed=4)
    extract(db, account)
    before = snapshot(db)
    second = extract(db, account)
    third = extract(db, account, full=True)
    assert snapshot(db) == before
    assert second.counts["new_audit_records"] == third.counts["new_audit_records"] == 0
    assert query(db, "SELECT count(*) FROM runs WHERE status = 'succeeded'") == [(3,)]
