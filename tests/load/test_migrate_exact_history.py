"""Migration 0006 (exact history): a database the earlier loader wrote, migrated, answers
exactly what a database built fresh from the same account answers.

The earlier database is made from a fresh one by writing back what the earlier loader
kept (schema 0005: naive UTC times, one observed version per content a run listed, no
observations table); what it derived beyond that (its reconstructed versions) the
migration discards and rebuilds, so it is left out here."""

from __future__ import annotations

import shutil
from pathlib import Path

from flowaudit.load.db import connect
from flowaudit.load.migrations import MIGRATIONS, migrate
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract, query

_TIMES = {
    "runs": ("started_at", "finished_at", "observed_at", "audit_from", "audit_to"),
    "latest_documents": ("observed_at",),
    "audit_records": ("time",),
    "watermarks": ("audit_high_water",),
    "baselines": ("as_of", "pinned_at"),
    "audit_windows": ("window_from", "window_to"),
    "schema_migrations": ("applied_at",),
}

# What the earlier loader kept of each stretch of runs that listed the same content.
_EARLIER_VERSIONS = """
CREATE TABLE store.earlier_versions AS
SELECT
    account, resource_type, resource_id,
    timezone('UTC', first_seen_at) AS valid_from,
    timezone('UTC', coalesce(
        lead(first_seen_at) OVER (PARTITION BY account, resource_type, resource_id ORDER BY first_seen_at),
        absent_at)) AS valid_to,
    content_hash, doc, 'observed' AS origin,
    CASE WHEN absent_at IS NOT NULL THEN 'deleted'
         WHEN lead(first_seen_at) OVER (PARTITION BY account, resource_type, resource_id ORDER BY first_seen_at)
              IS NOT NULL THEN 'changed' END AS closed_by,
    first_run_id, last_run_id AS last_seen_run_id,
    timezone('UTC', first_seen_at) AS first_seen_at, timezone('UTC', last_seen_at) AS last_seen_at,
    NULL::VARCHAR AS audit_event_id, NULL::INTEGER AS version
FROM store.observations
"""


def _write_back_the_earlier_schema(db: Path) -> None:
    con = connect(db)
    con.execute(_EARLIER_VERSIONS)
    for table in ("resource_versions", "observations", "version_changes", "unexplained_changes", "step_connections",
                  "resource_refs"):  # 0010  # fmt: skip
        con.execute(f"DROP TABLE store.{table}")
    con.execute("ALTER TABLE store.earlier_versions RENAME TO resource_versions")
    for table in ("jobs", "job_windows", "job_reads", "job_watermarks", "open_errors"):  # 0011
        con.execute(f"DROP TABLE store.{table}")
    for column in ("observed_from", "clock", "watermark_distrusted", "api_url"):  # 0006, 0007, 0008
        con.execute(f"ALTER TABLE store.runs DROP COLUMN {column}")
    for table in ("hash_chain", "history_seals", "rules", "approvals", "drift_items"):  # 0008
        con.execute(f"DROP TABLE store.{table}")
    con.execute("DROP MACRO store.version_digest")  # 0013
    con.execute("DROP MACRO store.sealed")
    con.execute("DROP TABLE store.notifications")  # 0012
    for column in ("note", "pinned_by"):  # 0012
        con.execute(f"ALTER TABLE store.baselines DROP COLUMN {column}")
    for table, columns in _TIMES.items():
        for column in columns:
            con.execute(
                f"ALTER TABLE store.{table} ALTER COLUMN {column} SET DATA TYPE TIMESTAMP "
                f"USING timezone('UTC', {column})"
            )
    con.execute("DELETE FROM store.schema_migrations WHERE name >= '0006'")
    con.execute(
        "DELETE FROM store.meta WHERE key LIKE 'content_hash_basis:%' OR key IN ('views_digest', 'scrub_policy')"
    )
    con.close()


ANSWERS = {
    "resource_versions": "SELECT * EXCLUDE (doc), CAST(doc AS VARCHAR) FROM resource_versions",
    "version_changes": "SELECT * EXCLUDE (old_value, new_value), CAST(old_value AS VARCHAR), "
    "CAST(new_value AS VARCHAR) FROM version_changes",
    "audit_events": "SELECT * FROM audit_events",
    "flows": "SELECT * EXCLUDE (doc) FROM flows",
    "people": "SELECT * FROM people",
    "runs": "SELECT run_id, status, observed_at, audit_from, audit_to FROM runs",
}


def _answers(db: Path) -> dict[str, list]:
    return {name: sorted(query(db, sql), key=repr) for name, sql in ANSWERS.items()}


def test_a_migrated_database_answers_what_a_fresh_one_does(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=4)
    fresh = tmp_path / "fresh.duckdb"
    extract(fresh, account)
    for night in range(3):
        account.advance(hours=24, silent_changes=night)
        extract(fresh, account)
    earlier = tmp_path / "earlier.duckdb"
    shutil.copyfile(fresh, earlier)
    _write_back_the_earlier_schema(earlier)

    con = connect(earlier)
    assert migrate(con) == list(MIGRATIONS[5:])
    con.close()
    expected = _answers(fresh)
    assert expected["version_changes"] and any(r[0] == "unexplained" for r in query(fresh, "SELECT origin FROM resource_versions"))
    assert _answers(earlier) == expected
