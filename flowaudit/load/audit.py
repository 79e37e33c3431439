"""The audit log into the store, inside the caller's transaction: DuckDB reads
`audit.ndjson` itself (no Python per record), stores the records it has not seen
(de-duplicated by account and `_id`) and one row per entry of their `fieldChanges`; and
the completeness evidence of the run (one `store.audit_windows` row per window it paged)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

from flowaudit.errors import ApiContractError
from flowaudit.load.db import fetch_sql_file, run_sql_file
from flowaudit.load.staging_reader import Manifest

_WHERE = re.compile(r"at byte (?P<byte>\d+)")


def save_audit(
    con: duckdb.DuckDBPyConnection, audit_file: Path, *, account: str, run_id: int
) -> dict[str, int]:
    """Store the new audit records and field changes of audit_file; return counts."""
    if not audit_file.exists() or audit_file.stat().st_size == 0:
        return {"audit_records_read": 0, "new_audit_records": 0, "new_field_changes": 0}
    path = str(audit_file)
    before = _count(con, "store.audit_records", account)
    try:
        run_sql_file(
            con, "load/audit_insert_records.sql", path=path, account=account, run_id=run_id
        )
    except duckdb.InvalidInputException as exc:
        raise ApiContractError(f"{audit_file.name}: {_json_problem(exc)}") from None
    except duckdb.ConstraintException:
        # A NOT NULL column got nothing: say which records are wrong, and how many.
        raise ApiContractError(f"{audit_file.name}: {_describe_bad_records(path)}") from None
    run_sql_file(con, "load/audit_remove_duplicates.sql", account=account, run_id=run_id)
    new_records = _count(con, "store.audit_records", account) - before
    before = _count(con, "store.audit_field_changes", account)
    run_sql_file(con, "load/audit_insert_field_changes.sql", account=account, run_id=run_id)
    new_changes = _count(con, "store.audit_field_changes", account) - before
    return {
        "audit_records_read": _lines(audit_file),
        "new_audit_records": new_records,
        "new_field_changes": new_changes,
    }


def _describe_bad_records(path: str) -> str:
    with duckdb.connect() as scratch:
        not_objects, without_id, without_time, records = fetch_sql_file(
            scratch, "load/audit_problems.sql", path=path
        )[0]
    problems = [
        f"{count} {what}"
        for count, what in (
            (not_objects, "line(s) that are not JSON objects"),
            (without_id, "record(s) without an _id"),
            (without_time, "record(s) without a readable time"),
        )
        if count
    ]
    found = ", ".join(problems) or "records that cannot be stored"
    return f"{found} among {records}; nothing was loaded"


def _count(con: duckdb.DuckDBPyConnection, table: str, account: str) -> int:
    return int(
        con.execute(
            f"SELECT count(*) FROM {table} WHERE account = $account", {"account": account}
        ).fetchall()[0][0]
    )


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _json_problem(exc: BaseException) -> str:
    text = str(exc).splitlines()[0]
    where = _WHERE.search(text)
    if "Malformed JSON" in text:
        return f"malformed JSON at byte {where['byte']}" if where else "malformed JSON"
    return text


_WINDOWS_SCHEMA = pa.schema(
    [("window_from", pa.timestamp("us", tz="UTC")), ("window_to", pa.timestamp("us", tz="UTC")),
     ("scope", pa.string()), ("records", pa.int64()), ("pages", pa.int64()), ("complete", pa.bool_())]
)  # fmt: skip


def save_audit_windows(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, *, account: str, run_id: int
) -> None:
    """Store the audit windows of manifest for run_id (a per-flow run has thousands: one
    insert from an Arrow table rather than a statement per window)."""
    windows = manifest.audit_windows
    table = pa.table(
        [
            pa.array([w.window_from for w in windows], _WINDOWS_SCHEMA.field("window_from").type),
            pa.array([w.window_to for w in windows], _WINDOWS_SCHEMA.field("window_to").type),
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
