"""The completeness evidence of a run, from its manifest: one `store.audit_windows` row per
audit window the fetch paged (period, scope, records, pages, whether its last page was
reached). The run row's own evidence (audit_complete, audit_gaps, listings) is written
with its status by queries/load/run_succeeded.sql. Runs inside the caller's transaction."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from flowaudit.load.sqlfiles import run_sql_file
from flowaudit.load.staging_reader import Manifest

_WINDOWS_SCHEMA = pa.schema(
    [("window_from", pa.timestamp("us")), ("window_to", pa.timestamp("us")), ("scope", pa.string()),
     ("records", pa.int64()), ("pages", pa.int64()), ("complete", pa.bool_())]
)


def save_audit_windows(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, *, account: str, run_id: int
) -> None:
    """Store the audit windows of manifest for run_id (a per-flow run has thousands: one
    insert from an Arrow table rather than a statement per window)."""
    windows = manifest.audit_windows
    table = pa.table(
        [
            pa.array([w.window_from for w in windows], pa.timestamp("us")),
            pa.array([w.window_to for w in windows], pa.timestamp("us")),
            pa.array([w.scope for w in windows]),
            pa.array([w.records for w in windows], pa.int64()),
            pa.array([w.pages for w in windows], pa.int64()),
            pa.array([w.complete for w in windows], pa.bool_()),
        ],
        schema=_WINDOWS_SCHEMA,
    )
    con.register("staged_audit_windows", table)
    try:
        run_sql_file(con, "load/audit_windows_insert.sql", account=account, run_id=run_id)
    finally:
        con.unregister("staged_audit_windows")
