"""The tables derived from the history that the public views read ready-made (migration
0005: resource directory, attribution, version numbers, field change counts). Every load
refreshes what it touched inside its transaction; migrate() refreshes everything once after
applying a migration. A store written by hand (tests) calls `refresh_derived` itself."""

from __future__ import annotations

import duckdb

from flowaudit.load.sqlfiles import run_sql_file


def refresh_derived(con: duckdb.DuckDBPyConnection, account: str, *, run_id: int | None = None) -> None:
    """Bring account's derived tables up to date with its history (queries/load/derived_refresh.sql).

    With run_id (a load), only what that load touched is recomputed: the versions it left
    unnumbered (version NULL) and its new audit records. Without, everything is."""
    run_sql_file(
        con, "load/derived_refresh.sql", account=account, whole=run_id is None, run_id=run_id or 0
    )


def refresh_every_account(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Refresh the derived tables of every account the store holds; return the accounts."""
    accounts = [
        row[0]
        for row in con.execute(
            "SELECT account FROM store.resource_versions UNION SELECT account FROM store.audit_records "
            "UNION SELECT account FROM store.flow_steps ORDER BY 1"
        ).fetchall()
    ]
    for account in accounts:
        refresh_derived(con, account)
    return accounts
