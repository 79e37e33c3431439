"""Jobs and open errors into the store, inside the load's transaction: the jobs of
`jobs.ndjson` (new ones inserted, ones read again with a newer reading updated, none ever
deleted), the windows of /jobs the run paged, what it read as a whole, the jobs watermark
(moved by a complete reading only), and the open-error summaries that changed.

Also what the next run needs to know before it fetches (`jobs_plan`): where its reading
starts, how many jobs an hour to expect, and the open-error state of every flow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flowaudit.errors import ApiContractError
from flowaudit.extract.staging import FLOW_ERRORS_FILE, JOBS_FILE
from flowaudit.load.db import fetch_sql_file, run_sql_file
from flowaudit.load.staging_reader import StagingError, parse_api_time

# Job statuses of a run that has not ended: a later reading will change it.
UNFINISHED = ("queued", "running", "retrying", "canceling")
# How far back an unfinished job pulls the next reading (a job stuck longer is left as read).
UNFINISHED_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class JobWindow:
    """One window of /jobs a fetch paged (the manifest's jobs.windows)."""

    window_from: datetime | None
    window_to: datetime
    records: int
    pages: int
    complete: bool
    gaps: tuple[str, ...]


@dataclass(frozen=True)
class JobsPart:
    """The manifest's `jobs` part."""

    mode: str
    complete: bool
    gaps: tuple[str, ...]
    jobs_from: datetime | None
    jobs_to: datetime
    records: int
    windows: tuple[JobWindow, ...]
    error_flows: int
    error_requests: int


def read_jobs_part(raw: dict[str, Any]) -> JobsPart | None:
    """The jobs part of a manifest; None when the fetch read no jobs."""
    part = raw.get("jobs")
    if part is None:
        return None
    if not isinstance(part, dict):
        raise StagingError("manifest.json: 'jobs' is not an object")
    windows = tuple(
        _window(entry, number) for number, entry in enumerate(part.get("windows") or [], 1)
    )
    errors = part.get("errors") if isinstance(part.get("errors"), dict) else {}
    complete = part.get("complete")
    if not isinstance(complete, bool):
        raise StagingError("manifest.json: jobs does not say whether it is complete")
    return JobsPart(
        mode="full" if part.get("from") is None else "incremental",
        complete=complete,
        gaps=tuple(str(gap) for gap in part.get("gaps") or []),
        jobs_from=None if part.get("from") is None else parse_api_time(part["from"], "jobs 'from'"),
        jobs_to=parse_api_time(part.get("to"), "jobs 'to'"),
        records=_count(part.get("records"), "jobs 'records'"),
        windows=windows,
        error_flows=_count(errors.get("flows", 0), "jobs errors 'flows'"),
        error_requests=_count(errors.get("requests", 0), "jobs errors 'requests'"),
    )


def _window(entry: Any, number: int) -> JobWindow:
    what = f"jobs window {number}"
    if not isinstance(entry, dict) or not isinstance(entry.get("complete"), bool):
        raise StagingError(f"manifest.json: {what} is not a window")
    return JobWindow(
        window_from=None
        if entry.get("from") is None
        else parse_api_time(entry["from"], f"{what} 'from'"),
        window_to=parse_api_time(entry.get("to"), f"{what} 'to'"),
        records=_count(entry.get("records"), f"{what} 'records'"),
        pages=_count(entry.get("pages"), f"{what} 'pages'"),
        complete=entry["complete"],
        gaps=tuple(str(gap) for gap in entry.get("gaps") or []),
    )


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StagingError(f"manifest.json: {what} is not a count: {value!r}")
    return value


def save_jobs(
    con: duckdb.DuckDBPyConnection,
    staging_dir: Path,
    raw_manifest: dict[str, Any],
    *,
    account: str,
    run_id: int,
    observed_at: datetime,
    watermark_distrusted: bool = False,
) -> dict[str, int]:
    """Store what the fetch read of jobs and open errors; return counts (none when the fetch
    read no jobs)."""
    part = read_jobs_part(raw_manifest)
    if part is None:
        return {}
    counts = {"jobs_read": 0, "new_jobs": 0, "updated_jobs": 0, "open_error_changes": 0}
    jobs_file = staging_dir / JOBS_FILE
    if jobs_file.exists() and jobs_file.stat().st_size:
        counts.update(_save_job_lines(con, jobs_file, account=account, run_id=run_id))
    errors_file = staging_dir / FLOW_ERRORS_FILE
    if errors_file.exists() and errors_file.stat().st_size:
        counts["open_error_changes"] = _save_open_errors(
            con, errors_file, account, run_id, observed_at
        )
    _save_windows(con, part, account, run_id)
    con.execute(
        "INSERT INTO store.job_reads VALUES ($run_id, $account, $mode, $jobs_from, $jobs_to, $complete, "
        "$gaps, $records, $new_jobs, $updated_jobs, $error_flows, $error_requests)",
        {"run_id": run_id, "account": account, "mode": part.mode, "jobs_from": part.jobs_from,
         "jobs_to": part.jobs_to, "complete": part.complete, "gaps": json.dumps(list(part.gaps)),
         "records": part.records, "new_jobs": counts["new_jobs"], "updated_jobs": counts["updated_jobs"],
         "error_flows": part.error_flows, "error_requests": part.error_requests},
    )  # fmt: skip
    if part.complete:
        run_sql_file(con, "load/jobs_watermark.sql", account=account, jobs_to=part.jobs_to,
                     run_id=run_id, distrusted=watermark_distrusted)  # fmt: skip
    return counts


def _save_job_lines(
    con: duckdb.DuckDBPyConnection, path: Path, *, account: str, run_id: int
) -> dict[str, int]:
    try:
        run_sql_file(con, "load/jobs_stage.sql", path=str(path))
    except duckdb.InvalidInputException as exc:
        raise ApiContractError(f"{path.name}: {str(exc).splitlines()[0]}") from None
    try:
        staged, distinct = con.execute(
            "SELECT count(*), count(DISTINCT job_id) FROM staged_jobs"
        ).fetchall()[0]
        if distinct != staged:  # the fetch writes each job once; a window over 3M rows is not free
            run_sql_file(con, "load/jobs_dedupe.sql")
        missing = _scalar(
            con, "SELECT count(*) FROM staged_jobs WHERE job_id IS NULL OR created_at IS NULL"
        )
        if missing:
            raise ApiContractError(
                f"{path.name}: {missing} job(s) without an _id or a readable createdAt; nothing was loaded"
            )
        since = con.execute("SELECT min(created_at) FROM staged_jobs").fetchall()[0][0]
        updated = fetch_sql_file(
            con, "load/jobs_update.sql", account=account, run_id=run_id, since=since
        )
        inserted = fetch_sql_file(
            con, "load/jobs_insert.sql", account=account, run_id=run_id, since=since
        )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.staged_jobs")
    return {
        "jobs_read": int(staged),
        "new_jobs": _changed(inserted),
        "updated_jobs": _changed(updated),
    }


def _save_open_errors(con: duckdb.DuckDBPyConnection, path: Path, account: str, run_id: int,
                      observed_at: datetime) -> int:  # fmt: skip
    try:
        run_sql_file(con, "load/open_errors_stage.sql", path=str(path))
    except duckdb.InvalidInputException as exc:
        raise ApiContractError(f"{path.name}: {str(exc).splitlines()[0]}") from None
    try:
        run_sql_file(
            con,
            "load/open_errors_insert.sql",
            account=account,
            run_id=run_id,
            observed_at=observed_at,
        )
        changed = _scalar(con, "SELECT count(DISTINCT flow_id) FROM store.open_errors WHERE account = $account "
                               "AND run_id = $run_id", {"account": account, "run_id": run_id})  # fmt: skip
    finally:
        con.execute("DROP TABLE IF EXISTS temp.staged_flow_errors")
        con.execute("DROP TABLE IF EXISTS temp.staged_flow_error_steps")
    return changed


_WINDOWS_SCHEMA = pa.schema(
    [("window_from", pa.timestamp("us", tz="UTC")), ("window_to", pa.timestamp("us", tz="UTC")),
     ("records", pa.int64()), ("pages", pa.int64()), ("complete", pa.bool_()), ("gaps", pa.string())]
)  # fmt: skip


def _save_windows(
    con: duckdb.DuckDBPyConnection, part: JobsPart, account: str, run_id: int
) -> None:
    windows = part.windows
    table = pa.table(
        [
            pa.array([w.window_from for w in windows], _WINDOWS_SCHEMA.field("window_from").type),
            pa.array([w.window_to for w in windows], _WINDOWS_SCHEMA.field("window_to").type),
            pa.array([w.records for w in windows], pa.int64()),
            pa.array([w.pages for w in windows], pa.int64()),
            pa.array([w.complete for w in windows], pa.bool_()),
            pa.array([json.dumps(list(w.gaps)) for w in windows], pa.string()),
        ],
        schema=_WINDOWS_SCHEMA,
    )
    con.register("staged_job_windows", table)
    try:
        con.execute(
            "INSERT INTO store.job_windows SELECT $run_id, $account, window_from, window_to, records, "
            "pages, complete, gaps::JSON FROM staged_job_windows ORDER BY window_to",
            {"run_id": run_id, "account": account},
        )
    finally:
        con.unregister("staged_job_windows")


def _scalar(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> int:
    return int(con.execute(query, params or {}).fetchall()[0][0])


def _changed(rows: list[tuple]) -> int:
    """The row count DuckDB answers an INSERT or UPDATE with."""
    return int(rows[0][0]) if rows else 0


# -- what the next run needs ------------------------------------------------------------


@dataclass(frozen=True)
class JobsPlan:
    """Where a run's reading of jobs starts (None: everything the API has), the stored
    watermark it did not trust (if any), how many jobs an hour the account runs, and the
    open-error state the store holds per flow."""

    since: datetime | None
    distrusted: datetime | None
    jobs_per_hour: float | None
    known_errors: dict[str, tuple[int, str | None]]


def jobs_plan(con: duckdb.DuckDBPyConnection, account: str, *, overlap: timedelta, latest_trusted: datetime,
              full: bool = False) -> JobsPlan:  # fmt: skip
    """The next reading of jobs: from the watermark minus the overlap, and back to the
    oldest job still unfinished when it was read (within a week), so it is read ended."""
    known = _known_errors(con, account)
    rows = con.execute("SELECT jobs_high_water FROM store.job_watermarks WHERE account = $account",
                       {"account": account}).fetchall()  # fmt: skip
    watermark = rows[0][0] if rows else None
    if full or watermark is None:
        return JobsPlan(None, None, None, known)
    distrusted = None
    if watermark > latest_trusted:
        # Left by a run that trusted a server clock far ahead: read from the newest stored job.
        distrusted = watermark
        newest = con.execute("SELECT max(created_at) FROM store.jobs WHERE account = $account",
                             {"account": account}).fetchall()[0][0]  # fmt: skip
        if newest is None:
            return JobsPlan(None, distrusted, None, known)
        watermark = newest
    since = watermark - overlap
    oldest_unfinished = con.execute(
        "SELECT min(created_at) FROM store.jobs WHERE account = $account AND status IN "
        f"({', '.join(repr(s) for s in UNFINISHED)}) AND created_at >= $floor",
        {"account": account, "floor": watermark - UNFINISHED_LOOKBACK},
    ).fetchall()[0][0]
    if oldest_unfinished is not None:
        since = min(since, oldest_unfinished)
    per_hour = con.execute(
        "SELECT count(*) / 24.0 FROM store.jobs WHERE account = $account AND created_at >= $from "
        "AND created_at < $to",
        {"account": account, "from": watermark - timedelta(hours=24), "to": watermark},
    ).fetchall()[0][0]
    return JobsPlan(since.astimezone(UTC), distrusted, float(per_hour), known)


def _known_errors(
    con: duckdb.DuckDBPyConnection, account: str
) -> dict[str, tuple[int, str | None]]:
    rows = con.execute(
        "WITH latest AS (SELECT * FROM store.open_errors WHERE account = $account "
        "QUALIFY observed_at = max(observed_at) OVER (PARTITION BY flow_id)) "
        "SELECT flow_id, coalesce(any_value(num_open_error), sum(num_error)), any_value(last_error_at) "
        "FROM latest GROUP BY flow_id",
        {"account": account},
    ).fetchall()
    return {
        flow_id: (
            int(total),
            None if last is None else last.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        )
        for flow_id, total, last in rows
    }
