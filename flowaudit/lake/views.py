"""Which public views the lake holds, the time whose UTC date partitions each, and how each
column is written so that every engine reads it the same way.

A view's rows are partitioned by the date of an event or a version (when it happened, when
it began), which never changes for a row; the snapshots of current state (`flows`, ...,
`people`, `baselines`) are partitioned by a date their rows move away from (the run that
last read them, a person's latest change), so they are always exported whole."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

PARTITION_COLUMN = "date"
ACCOUNT_COLUMN = "account"  # every public view has it; in the lake it is the partition's


@dataclass(frozen=True)
class LakeView:
    name: str
    date_column: str  # the TIMESTAMPTZ whose UTC date partitions the rows
    snapshot: bool = False  # rows move between dates: exported whole, whatever --since says
    # Columns the view computes from its `doc` alone: the fingerprint hashes `doc` and leaves
    # them out (extracting them from 200k documents cost more than the rest of the export).
    derived: tuple[str, ...] = ()


LAKE_VIEWS: tuple[LakeView, ...] = (
    LakeView("audit_events", "time"),
    LakeView("field_changes", "time"),
    LakeView("flow_audit_events", "time"),
    LakeView("resource_versions", "valid_from"),
    LakeView(
        "flow_versions",
        "valid_from",
        derived=("disabled", "schedule", "timezone", "integration_id", "export_ids", "import_ids"),
    ),
    LakeView("version_changes", "changed_at"),
    LakeView("unexplained_changes", "changed_before"),
    LakeView("runs", "started_at"),
    LakeView("audit_windows", "window_to"),
    LakeView("flows", "observed_at", snapshot=True),
    LakeView("integrations", "observed_at", snapshot=True),
    LakeView("exports", "observed_at", snapshot=True),
    LakeView("imports", "observed_at", snapshot=True),
    LakeView("connections", "observed_at", snapshot=True),
    LakeView("people", "last_change_at", snapshot=True),
    LakeView("baselines", "pinned_at", snapshot=True),
    # The whole account (issue 14): current configurations, the access review, security changes.
    *(LakeView(name, "observed_at", snapshot=True)
      for name in ("scripts", "users", "access_tokens", "lookup_caches", "file_definitions", "iclients",
                   "async_helpers", "stacks")),
    LakeView("access_review", "as_of", snapshot=True),
    LakeView("security_changes", "changed_at"),
    # The change process and its evidence (issue 12): approvals and the register change state.
    LakeView("rules", "set_at"),
    LakeView("rule_violations", "time", snapshot=True),
    LakeView("change_approvals", "time", snapshot=True),
    LakeView("drift_register", "changed_before", snapshot=True),
    LakeView("hash_chain", "sealed_at"),
    # Job outcomes (issue 15): a job's newest reading replaces the older; rates move with new jobs.
    LakeView("jobs", "created_at", snapshot=True),
    LakeView("job_reads", "jobs_to"),
    LakeView("open_errors", "observed_at"),
    LakeView("change_impact", "changed_at", snapshot=True),
    LakeView("changes_followed_by_failures", "changed_at", snapshot=True),
    # What each digest did (issue 11).
    LakeView("notifications", "sent_at"),
)  # fmt: skip

# Public views the lake leaves out, and why (tests hold every public view to one list or the other).
LEFT_OUT: dict[str, str] = {
    name: "resource_versions filtered by resource_type: no column of its own, its documents twice"
    for name in (
        "integration_versions",
        "export_versions",
        "import_versions",
        "connection_versions",
        "script_versions",
        "user_versions",
        "access_token_versions",
        "lookup_cache_versions",
        "file_definition_versions",
        "iclient_versions",
        "async_helper_versions",
        "stack_versions",
    )
} | {
    "flow_health_daily": "jobs counted per flow and UTC day: the lake has `jobs`, one GROUP BY away "
    "(its `day` is a DATE, not an instant to partition by)",
}

# Types every engine reads alike: JSON as its text, no unsigned or 128-bit integers (Spark
# and Athena refuse UINT64; Parquet has no 128-bit integer).
# A TIMESTAMP without a zone is a wall-clock time (rule_violations.local_time, in the business
# time zone), not an instant: written as its text, so no engine reads it as UTC.
_CASTS = {"JSON": "VARCHAR", "HUGEINT": "BIGINT", "UHUGEINT": "BIGINT", "UBIGINT": "BIGINT", "TIMESTAMP": "VARCHAR"}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lake_columns(con: duckdb.DuckDBPyConnection, view: LakeView) -> list[str]:
    """The select list of a view's lake rows: every column but the account, cast where
    needed, then the partition date."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name = $view ORDER BY column_index",
        {"view": view.name},
    ).fetchall()
    if not rows:
        raise ValueError(f"no public view {view.name}")
    names = [name for name, _ in rows]
    if PARTITION_COLUMN in names or ACCOUNT_COLUMN not in names:
        raise ValueError(f"view {view.name} cannot be partitioned by account and date")
    select = []
    for name, data_type in rows:
        if name == ACCOUNT_COLUMN:
            continue
        cast = _CASTS.get(data_type)
        select.append(f"CAST({quoted(name)} AS {cast}) AS {quoted(name)}" if cast else quoted(name))
    select.append(f"CAST({quoted(view.date_column)} AS DATE) AS {PARTITION_COLUMN}")
    return select
