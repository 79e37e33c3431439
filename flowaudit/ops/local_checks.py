"""The doctor's local checks: the database (opened read-only: a DuckDB file, a schema this
flowaudit knows, every data check holding) and the report directory (writable, or creatable)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.load.checks import run_checks
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.migrations import SCHEMA_VERSION, check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.ops.checks import Check, fail, fail_from, ok, skip


def check_database(db: Path) -> Check:
    """Open db read-only, check its schema version and run every data check."""
    if not db.exists():
        if not db.parent.is_dir():
            return fail("database", f"{db} cannot be created: directory {db.parent} does not exist",
                        ExitCode.DATABASE)  # fmt: skip
        return skip("database", f"{db} does not exist yet (the first run creates it)")
    try:
        con = connect(db, read_only=True)
    except FlowauditError as exc:
        return fail_from("database", exc)
    try:
        check_schema(con)
        check_public_schema(con)
        failing = [check for check in run_checks(con, sample=1) if not check.holds]
        summary = _summary(con)
    except FlowauditError as exc:
        return fail_from("database", exc)
    except duckdb.Error as exc:
        return fail("database", describe_duckdb_error(db, exc), ExitCode.DATABASE)
    finally:
        con.close()
    if failing:
        return fail(
            "database",
            f"{db}: {len(failing)} data check(s) fail; the file may be damaged "
            "(keep a copy, then run `flowaudit extract --full`)",
            ExitCode.DATABASE,
            tuple(f"{check.name}: {check.purpose}" for check in failing),
        )
    return ok("database", f"{db}: schema version {SCHEMA_VERSION}, every data check holds", summary)


def _summary(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT account, count(*), max(run_id) FILTER (status = 'succeeded'), "
        "max(observed_at) FILTER (status = 'succeeded'), arg_max(status, run_id), "
        "arg_max(error, run_id) FROM store.runs GROUP BY account ORDER BY account"
    ).fetchall()
    lines = []
    for account, runs, last_good, observed, last_status, last_error in rows:
        line = f"account {account}: {runs} run(s)"
        if last_good:
            line += f", last success: run {last_good} (data of {observed:%Y-%m-%d %H:%M} UTC)"
        else:
            line += ", no successful run"
        if last_status == "failed":
            line += f"; the last run failed: {last_error}"
        lines.append(line)
    return tuple(lines) or ("no run recorded yet",)


def check_report_dir(out: Path) -> Check:
    """out is a writable directory, or can be created: a probe file is written and removed."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        if existing == out:
            return fail("reports", f"{out} is a file, not a directory", ExitCode.REPORT_OUTPUT)
        return fail("reports", f"{out} cannot be created: {existing} is a file",
                    ExitCode.REPORT_OUTPUT)  # fmt: skip
    try:
        fd, probe = tempfile.mkstemp(prefix=".flowaudit-doctor-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return fail("reports", f"cannot write in {existing}: {reason}", ExitCode.REPORT_OUTPUT)
    if existing == out:
        return ok("reports", f"{out} is writable")
    return ok("reports", f"{out} does not exist yet; it can be created in {existing}")
