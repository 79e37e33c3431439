"""Helpers of the end-to-end tests: run the pipeline against a simulated account, and read a
database back as plain rows so that two databases can be compared table by table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flowaudit.config import resolve_settings
from flowaudit.pipeline import RunResult, run_extract
from flowaudit.simulate import SimulatedAccount

# Bookkeeping that legitimately differs between two runs reaching the same state.
# sealed_digest: a version's row digest, its run id included (migration 0013).
RUN_BOOKKEEPING = {"run_id", "first_run_id", "last_run_id", "absent_run_id", "applied_at", "sealed_digest"}
# Per-run evidence: what each run read and sealed, and the rules it ran with (when).
NOT_COMPARED_TABLES = {
    "runs", "audit_windows", "job_windows", "job_reads", "schema_migrations", "meta", "hash_chain",
    "history_seals", "rules",
}  # fmt: skip


def extract(db: Path, account: SimulatedAccount, *, full: bool = False, **flags: Any) -> RunResult:
    """One extract run of `account` (in-process transport) into db."""
    settings = resolve_settings(
        {"db": db, "api_url": account.base_url, **flags},
        environ={"FLOWAUDIT_TOKEN": account.token},
    )
    # This machine's clock is the simulator's: the run bounds its observation time by it, and
    # a simulated account may be set (or advanced) anywhere in time.
    return run_extract(
        settings, full=full, transport=account.async_transport(), wall_clock=lambda: account.now
    )


def store_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'store' ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows if name not in NOT_COMPARED_TABLES]


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every store table (runs excluded) as sorted rows, without run bookkeeping columns."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = {}
        for table in store_tables(con):
            columns = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() "
                    "WHERE schema_name = 'store' AND table_name = ? ORDER BY column_index",
                    [table],
                ).fetchall()
                if name not in RUN_BOOKKEEPING
            ]
            select = ", ".join(f'"{c}"::VARCHAR' for c in columns)
            rows = con.execute(f"SELECT {select} FROM store.{table}").fetchall()
            result[table] = sorted(rows, key=lambda row: tuple("" if v is None else v for v in row))
        return result
    finally:
        con.close()


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def places_holding(db: Path, text: str) -> list[str]:
    """Every `schema.table.column` of the database whose values contain text.

    The big JSON columns are compressed on disk, so grepping the file's bytes proves nothing:
    this reads every text-like column of every table instead."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return places_holding_in(con, text)
    finally:
        con.close()


def places_holding_in(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """places_holding, over an open connection."""
    columns = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables()) "
        "AND (data_type IN ('VARCHAR', 'JSON') OR data_type LIKE '%[]' "
        "OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%')"
    ).fetchall()
    found = []
    for schema, table, column in columns:
        hits = con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" '
            f'WHERE contains(CAST("{column}" AS VARCHAR), ?)',
            [text],
        ).fetchall()[0][0]
        if hits:
            found.append(f"{schema}.{table}.{column}")
    return found
