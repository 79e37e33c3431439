"""The `store.runs` ledger: a run is begun (`running`), then either loaded (marked
`succeeded` inside the load's own transaction, see save.py) or failed. A `running` row
left by a killed process is marked failed when the next run of that account begins."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import duckdb

from flowaudit.errors import DatabaseError
from flowaudit.secrets import scrub

INTERRUPTED_MESSAGE = "interrupted (process ended before the run finished)"
RUN_MODES = ("full", "incremental")


def utc_now() -> datetime:
    """Now, in UTC (the store keeps TIMESTAMPTZ)."""
    return datetime.now(UTC)


def begin_run(
    con: duckdb.DuckDBPyConnection,
    account: str,
    mode: str,
    version: str,
    *,
    distrusted_watermark: datetime | None = None,
) -> int:
    """Record a new `running` run of account (after failing any stale one); return its id.

    distrusted_watermark: a stored watermark this run found too far in the future to trust
    (its load then replaces it instead of keeping the later of the two)."""
    if mode not in RUN_MODES:
        raise ValueError(f"run mode must be one of {RUN_MODES}, not {mode!r}")
    con.execute("BEGIN TRANSACTION")
    try:
        now = utc_now()
        con.execute(
            "UPDATE store.runs SET status = 'failed', finished_at = $now, error = $error "
            "WHERE account = $account AND status = 'running'",
            {"now": now, "error": INTERRUPTED_MESSAGE, "account": account},
        )
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM store.runs").fetchall()[0][0]
        con.execute(
            "INSERT INTO store.runs (run_id, account, started_at, status, mode, flowaudit_version, "
            "watermark_distrusted) VALUES ($run_id, $account, $now, 'running', $mode, $version, $distrusted)",
            {"run_id": run_id, "account": account, "now": now, "mode": mode, "version": version,
             "distrusted": distrusted_watermark},
        )  # fmt: skip
        con.execute("COMMIT")
    except duckdb.Error as exc:
        rollback(con)
        raise DatabaseError(f"cannot record the start of a run: {str(exc).splitlines()[0]}") from None
    return int(run_id)


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if DuckDB still has one: after a failed COMMIT (a full
    disk) there is none, and "cannot rollback" must not hide the failure that matters."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def fail_run(con: duckdb.DuckDBPyConnection, run_id: int, error: str) -> None:
    """Mark a run failed with a one-line (scrubbed) reason; a finished run is left alone."""
    line = scrub(" ".join(str(error).split()))[:2000]
    try:
        con.execute(
            "UPDATE store.runs SET status = 'failed', finished_at = $now, error = $error "
            "WHERE run_id = $run_id AND status = 'running'",
            {"now": utc_now(), "error": line, "run_id": run_id},
        )
    except duckdb.Error as exc:
        raise DatabaseError(
            f"cannot record the failure of run {run_id}: {str(exc).splitlines()[0]}"
        ) from None


def audit_watermark(con: duckdb.DuckDBPyConnection, account: str) -> datetime | None:
    """The time up to which account's audit log is stored completely (UTC), or None."""
    rows = con.execute(
        "SELECT audit_high_water FROM store.watermarks WHERE account = $account",
        {"account": account},
    ).fetchall()
    return rows[0][0] if rows else None


def newest_audit_record(con: duckdb.DuckDBPyConnection, account: str) -> datetime | None:
    """The time of account's newest stored audit record (UTC), or None."""
    rows = con.execute(
        "SELECT max(time) FROM store.audit_records WHERE account = $account", {"account": account}
    ).fetchall()
    return rows[0][0] if rows else None


def run_account(con: duckdb.DuckDBPyConnection, run_id: int) -> tuple[str, str]:
    """(account, status) of a run; DatabaseError when there is no such run."""
    rows = con.execute(
        "SELECT account, status FROM store.runs WHERE run_id = $run_id", {"run_id": run_id}
    ).fetchall()
    if not rows:
        raise DatabaseError(f"run {run_id} is not recorded in the database")
    return rows[0][0], rows[0][1]


def known_scripts(con: duckdb.DuckDBPyConnection, account: str) -> dict[str, str]:
    """Script id -> the lastModified of its newest stored document with its code: what the
    extractor needs to read only the code that may have changed (it never opens the store)."""
    from flowaudit.load.db import fetch_sql_file

    return dict(fetch_sql_file(con, "load/known_scripts.sql", account=account))
