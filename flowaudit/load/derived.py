"""The tables derived from the history that the public views read ready-made (migration
0005: resource directory, attribution, version numbers, field change counts). Every load
refreshes them for its account inside its transaction; migrate() refreshes them once after
applying a migration. A store written by hand (tests) calls `refresh_derived` itself."""

from __future__ import annotations

import duckdb

from flowaudit.load.sqlfiles import run_sql_file


def refresh_derived(con: duckdb.DuckDBPyConnection, account: str) -> None:
    """Bring account's derived tables up to date with its history (queries/load/derived_refresh.sql)."""
    run_sql_file(con, "load/derived_refresh.sql", account=account)


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
