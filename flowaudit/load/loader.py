"""Loading one staging area into the store: `load_staging` is the whole load of a run in
ONE transaction that it opens and commits itself (audit records and field changes,
observations and latest documents, the rebuilt history of what changed, flow steps, the
derived tables, audit windows, watermark, and the run row marked `succeeded`). If anything
fails it rolls back, so the store keeps its previous state whole."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.errors import DatabaseError, FlowauditError
from flowaudit.load.audit import save_audit, save_audit_windows
from flowaudit.load.db import current_path, describe_duckdb_error, run_sql_file
from flowaudit.load.jobs import save_jobs
from flowaudit.load.rebuild_pool import RebuildPool
from flowaudit.load.recycle_bin import observe_recycle_bin
from flowaudit.load.runs import rollback, run_account, utc_now
from flowaudit.load.staging_reader import AUDIT_FILE, StagingError, read_manifest
from flowaudit.load.versions import Hashers, observe, rebuild, stage_listing_lines
from flowaudit.logs import get_logger

log = get_logger(__name__)

_TEMP_TABLES = (
    "staged_lines", "staged_docs", "staged_hashes", "observation_plan", "touched", "staged_bin",
    "bin_plan", "resume_points",
)  # fmt: skip
# DuckDB's own default (80% of RAM) would let a first load of a large account take ~1 GB
# for buffers it does not need; within this it spills to disk instead.
LOAD_MEMORY_LIMIT = "400MB"
# A staged audit log this large (~60,000 records) means a large history rebuild.
EARLY_POOL_AUDIT_BYTES = 30 * 1024 * 1024
_LOAD_SETTINGS = {
    # Bulk inserts need not keep the files' row order; not keeping it saves memory.
    "preserve_insertion_order": "false",
    "memory_limit": f"'{LOAD_MEMORY_LIMIT}'",
}


def load_staging(
    con: duckdb.DuckDBPyConnection,
    staging_dir: Path | str,
    run_id: int,
    *,
    volatile_fields: Iterable[str] = DEFAULT_VOLATILE_FIELDS,
    jobs_watermark_distrusted: bool = False,
) -> dict[str, Any]:
    """Load a finished fetch into the store for run_id (a `running` run); return its counts.

    Manages its own BEGIN/COMMIT: call it with no transaction open. jobs_watermark_distrusted:
    the run did not trust the stored jobs watermark (its complete reading replaces it)."""
    staging_dir = Path(staging_dir)
    manifest = read_manifest(staging_dir)
    account, status = run_account(con, run_id)
    if status != "running":
        raise DatabaseError(f"run {run_id} is {status}, not running: its fetch is not loaded")
    if manifest.account != account:
        raise StagingError(
            f"the staging area is for account {manifest.account!r} but run {run_id} is for {account!r}"
        )
    hashers = Hashers(volatile_fields)
    previous = _apply_settings(con, _LOAD_SETTINGS)
    laps = _Laps()
    began = False
    pool = _early_pool(staging_dir, hashers)
    try:
        try:
            # Before the transaction: a line DuckDB cannot parse fails a statement, which
            # would abort the transaction; outside it, the lines are parsed again leniently.
            stage_listing_lines(con, staging_dir, manifest)
            laps.lap("read_listings")
            con.execute("BEGIN TRANSACTION")
            began = True
            counts = _load(con, staging_dir, manifest, hashers, account, run_id, laps, pool,
                           jobs_watermark_distrusted)  # fmt: skip
            con.execute("COMMIT")
        except BaseException:
            if began:
                rollback(con)  # never "cannot rollback" in place of what went wrong
            raise
        finally:
            if pool is not None:
                pool.close()
            _quietly(con, [f"DROP TABLE IF EXISTS temp.{table}" for table in _TEMP_TABLES])
    except FlowauditError:
        raise
    except duckdb.Error as exc:
        raise DatabaseError(describe_duckdb_error(current_path(con), exc)) from None
    except OSError as exc:  # a file of the staging area (the disk filled up)
        reason = exc.strerror or exc.__class__.__name__
        raise DatabaseError(f"cannot load {exc.filename or staging_dir}: {reason}") from None
    finally:
        _quietly(con, [f"SET {name} = {value}" for name, value in previous.items()])
    log.info(
        "loaded run %s: %s new audit records, %s new versions, %s deleted",
        run_id,
        counts["new_audit_records"],
        counts["new_versions"],
        counts["deleted"],
    )
    return counts


class _Laps:
    """Seconds per load stage, reported in the run's counts (`load_seconds`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._started, 3)
        self._started = now


def _early_pool(staging_dir: Path, hashers: Hashers) -> RebuildPool | None:
    """Worker processes for the history rebuild, started now when the staged audit log says
    the rebuild will be large (a first load): they start while DuckDB stores the records."""
    audit = staging_dir / AUDIT_FILE
    if not audit.is_file() or audit.stat().st_size < EARLY_POOL_AUDIT_BYTES:
        return None
    try:
        return RebuildPool(staging_dir, hashers.setting)
    except RuntimeError as exc:  # no processes to be had: the rebuild runs here, slower
        log.warning("%s; rebuilding the history in this process", exc)
        return None


def _load(
    con, staging_dir, manifest, hashers: Hashers, account, run_id, laps: _Laps, pool: RebuildPool | None,
    jobs_distrusted: bool = False,
) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    counts.update(save_audit(con, staging_dir / AUDIT_FILE, account=account, run_id=run_id))
    laps.lap("audit")
    counts.update(observe(con, manifest, hashers, account=account, run_id=run_id))
    counts.update(
        observe_recycle_bin(con, staging_dir, manifest, hashers, account=account, run_id=run_id)
    )
    laps.lap("observe")
    rebuilt = rebuild(con, staging_dir, hashers, account=account, run_id=run_id, manifest=manifest, pool=pool,
                      resume=True)  # fmt: skip
    counts["new_versions"] = _new_versions(con, account, run_id)
    counts["deleted"] = _deleted_now(con, account, run_id)
    counts["rebuilt_resources"] = rebuilt["rebuilt_resources"]
    # Derived only from their last sighting before this run on (docs/decisions.md).
    counts["resumed_resources"] = rebuilt["resumed_resources"]
    counts["kept_versions"] = rebuilt["kept_versions"]  # stored as rebuilt: not written again
    counts["unexplained_changes"] = rebuilt["unexplained_changes"]
    counts["unreplayable_changes"] = rebuilt["unreplayable_changes"]
    laps.lap("history")
    counts.update(save_jobs(con, staging_dir, manifest.raw, account=account, run_id=run_id,
                            observed_at=manifest.observed_at, watermark_distrusted=jobs_distrusted))  # fmt: skip
    if "jobs" in manifest.raw:
        laps.lap("jobs")
    log.debug("load stages (seconds): %s", laps.seconds)
    counts["load_seconds"] = laps.seconds
    counts["invalid_text"] = int(manifest.raw.get("invalid_text") or 0)
    for part in ("scrubbed", "script_content"):  # what the fetch removed, and scripts' code it read
        if isinstance(manifest.raw.get(part), dict):
            counts[part] = manifest.raw[part]
    save_audit_windows(con, manifest, account=account, run_id=run_id)
    if manifest.audit_complete and manifest.audit_to is not None:
        run_sql_file(
            con,
            "load/audit_watermark.sql",
            account=account,
            audit_to=manifest.audit_to,
            run_id=run_id,
        )
    run_sql_file(
        con,
        "load/run_succeeded.sql",
        run_id=run_id,
        finished_at=utc_now(),
        observed_at=manifest.observed_at,
        observed_from=manifest.observed_from,
        audit_from=manifest.audit_from,
        audit_to=manifest.audit_to,
        audit_complete=manifest.audit_complete,
        audit_gaps=json.dumps(list(manifest.audit_gaps)),
        audit_records=manifest.audit_records,
        listings=json.dumps(manifest.listings, sort_keys=True),
        counts=json.dumps(counts, sort_keys=True),
        requests=manifest.requests,
        retries=manifest.retries,
        clock=json.dumps(manifest.raw["clock"]) if isinstance(manifest.raw.get("clock"), dict) else None,
    )
    _seal(con, manifest, hashers, account, run_id)
    return counts


def _seal(con, manifest, hashers: Hashers, account: str, run_id: int) -> None:
    """The run's link of the hash chain, and the drift register brought up to date."""
    from flowaudit.audit_trail.chain import seal_run
    from flowaudit.audit_trail.drift_register import sync_register

    api_url = manifest.raw.get("api_url")
    seal_run(
        con, account=account, run_id=run_id, hash_basis=hashers.basis,
        volatile_fields=hashers.setting, api_url=api_url if isinstance(api_url, str) else None,
    )  # fmt: skip
    sync_register(con, account, run_id=run_id)


def _new_versions(con: duckdb.DuckDBPyConnection, account: str, run_id: int) -> int:
    """Versions that come from what this run loaded (its records, its observations)."""
    return int(
        con.execute(
            "SELECT count(*) FROM store.resource_versions WHERE account = $account AND run_id = $run_id",
            {"account": account, "run_id": run_id},
        ).fetchall()[0][0]
    )


def _deleted_now(con: duckdb.DuckDBPyConnection, account: str, run_id: int) -> int:
    """Resources this run found gone (missing from a complete listing)."""
    return int(
        con.execute(
            "SELECT count(*) FROM store.observations WHERE account = $account AND absent_run_id = $run_id",
            {"account": account, "run_id": run_id},
        ).fetchall()[0][0]
    )
def _quietly(con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    """Clean-up statements after a load: one that fails (the load was interrupted, the disk
    is full) must not replace the error that ended the load."""
    for statement in statements:
        with contextlib.suppress(duckdb.Error):
            con.execute(statement)


def _apply_settings(con: duckdb.DuckDBPyConnection, settings: dict[str, str]) -> dict[str, str]:
    """SET each setting (values as SQL literals); return the previous values, same form."""
    previous = {}
    for name, value in settings.items():
        rows = con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = $name", {"name": name}
        ).fetchall()
        previous[name] = "'" + rows[0][0].replace("'", "''") + "'"
        con.execute(f"SET {name} = {value}")
    return previous

