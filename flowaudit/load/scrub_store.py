"""Scrubbing what the store already holds (migration 0010, or a stricter `captured_fields`
setting): every stored document and audit value is passed through the same scrubber the
extractor uses (flowaudit.documents.scrub), inside the caller's transaction. The history
(resource_versions, unexplained_changes) is rebuilt afterwards from the scrubbed inputs,
so it is not scrubbed here.

Only rows whose text can hold something to scrub are read into Python (DuckDB's regular
expressions pick them), and only changed rows are written back, by row id."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from flowaudit.documents.scrub import Scrubber
from flowaudit.logs import get_logger

log = get_logger(__name__)

SCRUB_POLICY_KEY = (
    "scrub_policy"  # store.meta: the basis of the policy the store was scrubbed under
)
BATCH_ROWS = 5_000


def recorded_policy(con: duckdb.DuckDBPyConnection) -> str | None:
    """The basis of the scrub policy the store was last scrubbed under (None: never)."""
    rows = con.execute(
        "SELECT value FROM store.meta WHERE key = $key", {"key": SCRUB_POLICY_KEY}
    ).fetchall()
    return rows[0][0] if rows else None


def scrub_store(con: duckdb.DuckDBPyConnection, scrubber: Scrubber) -> dict[str, int]:
    """Scrub every account's observations, latest documents, audit records and field
    changes; record the policy. Returns the rows changed per table."""
    changed = {
        "observations": _scrub_documents(con, scrubber, "observations"),
        "latest_documents": _scrub_documents(con, scrubber, "latest_documents"),
        "audit_records": _scrub_audit_records(con, scrubber),
        "audit_field_changes": _scrub_field_changes(con, scrubber),
    }
    con.execute(
        "INSERT OR REPLACE INTO store.meta VALUES ($key, $value)",
        {"key": SCRUB_POLICY_KEY, "value": scrubber.policy.basis},
    )
    if any(changed.values()):
        log.info("scrubbed stored data (%s): %s", scrubber.policy.basis, changed)
    return changed


def _candidates(scrubber: Scrubber, text_sql: str) -> str:
    """A SQL condition: the text may hold something to scrub (the scrubber's own first look)."""
    lower, upper = scrubber.trigger_patterns()
    return (
        f"(regexp_matches(lower({text_sql}), {_literal(lower)}) "
        f"OR regexp_matches({text_sql}, {_literal(upper)}))"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scrub_documents(con: duckdb.DuckDBPyConnection, scrubber: Scrubber, table: str) -> int:
    text = "CAST(doc AS VARCHAR)"
    result = con.execute(
        f"SELECT rowid, resource_type, {text} FROM store.{table} WHERE {_candidates(scrubber, text)}"
    )
    updates: list[tuple[int, str]] = []
    while rows := result.fetchmany(BATCH_ROWS):
        for row_id, resource_type, doc_text in rows:
            doc = json.loads(doc_text)
            scrubbed = scrubber.document(doc, resource_type)
            if scrubbed is not doc:
                updates.append((row_id, _json(scrubbed)))
    _write_back(con, table, "doc", updates)
    return len(updates)


def _scrub_audit_records(con: duckdb.DuckDBPyConnection, scrubber: Scrubber) -> int:
    text = "CAST(raw AS VARCHAR)"
    result = con.execute(
        f"SELECT rowid, {text} FROM store.audit_records "
        f"WHERE raw IS NOT NULL AND {_candidates(scrubber, text)}"
    )
    updates: list[tuple[int, str]] = []
    while rows := result.fetchmany(BATCH_ROWS):
        for row_id, raw_text in rows:
            record = json.loads(raw_text)
            scrubbed = scrubber.audit_record(record)
            if scrubbed is not record:
                updates.append((row_id, _json(scrubbed)))
    _write_back(con, "audit_records", "raw", updates)
    return len(updates)


def _scrub_field_changes(con: duckdb.DuckDBPyConnection, scrubber: Scrubber) -> int:
    """Field changes: values scrubbed for their path; changes of never-stored fields (an
    API token's value) deleted, and their records' counts taken again."""
    values = (
        "coalesce(CAST(f.old_value AS VARCHAR), '') || coalesce(CAST(f.new_value AS VARCHAR), '')"
    )
    condition = (
        f"({_candidates(scrubber, values)} OR {_candidates(scrubber, 'f.field_path')} "
        "OR a.resource_type IN (SELECT unnest($never_types)))"
    )
    result = con.execute(
        "SELECT f.rowid, a.resource_type, f.field_path, f.old_present, CAST(f.old_value AS VARCHAR), "
        "f.new_present, CAST(f.new_value AS VARCHAR), f.account, f.event_id "
        "FROM store.audit_field_changes AS f "
        "JOIN store.audit_records AS a ON a.account = f.account AND a.event_id = f.event_id "
        f"WHERE {condition}",
        {"never_types": scrubber.never_stored_types()},
    )
    updates: list[tuple[int, str | None, str | None]] = []
    deletions: list[int] = []
    recount: set[tuple[str, str]] = set()
    while rows := result.fetchmany(BATCH_ROWS):
        for row_id, resource_type, path, old_present, old, new_present, new, account, event in rows:
            change: dict[str, Any] = {"fieldPath": path or ""}
            if old_present:
                change["oldValue"] = None if old is None else json.loads(old)
            if new_present:
                change["newValue"] = None if new is None else json.loads(new)
            record = scrubber.audit_record(
                {"resourceType": resource_type, "fieldChanges": [change]}
            )
            if not record["fieldChanges"]:
                deletions.append(row_id)
                recount.add((account, event))
                continue
            scrubbed = record["fieldChanges"][0]
            if scrubbed is change:
                continue
            updates.append((
                row_id,
                _json(scrubbed["oldValue"]) if "oldValue" in scrubbed else None,
                _json(scrubbed["newValue"]) if "newValue" in scrubbed else None,
            ))  # fmt: skip
    if updates:
        table = pa.table(
            {"row_id": [u[0] for u in updates], "old_value": [u[1] for u in updates],
             "new_value": [u[2] for u in updates]},
            schema=pa.schema([("row_id", pa.int64()), ("old_value", pa.string()),
                              ("new_value", pa.string())]),
        )  # fmt: skip
        con.register("scrubbed_changes", table)
        try:
            con.execute(
                "UPDATE store.audit_field_changes AS f "
                "SET old_value = CASE WHEN f.old_present THEN CAST(s.old_value AS JSON) END, "
                "new_value = CASE WHEN f.new_present THEN CAST(s.new_value AS JSON) END "
                "FROM scrubbed_changes AS s WHERE f.rowid = s.row_id"
            )
        finally:
            con.unregister("scrubbed_changes")
    if deletions:
        con.execute(
            "DELETE FROM store.audit_field_changes WHERE rowid IN (SELECT unnest($rows))",
            {"rows": deletions},
        )
        # The positions left are renumbered 0.. so that a record's changes stay dense.
        for account, event in sorted(recount):
            con.execute(
                "UPDATE store.audit_field_changes AS f SET position = n.position "
                "FROM (SELECT rowid AS row_id, row_number() OVER (ORDER BY position) - 1 AS position "
                "      FROM store.audit_field_changes WHERE account = $account AND event_id = $event) AS n "
                "WHERE f.rowid = n.row_id",
                {"account": account, "event": event},
            )
            con.execute(
                "UPDATE store.audit_records SET field_change_count = NULL "
                "WHERE account = $account AND event_id = $event",
                {"account": account, "event": event},
            )
    return len(updates) + len(deletions)


def _write_back(
    con: duckdb.DuckDBPyConnection, table: str, column: str, updates: list[tuple[int, str]]
) -> None:
    if not updates:
        return
    rows = pa.table(
        {"row_id": [row_id for row_id, _ in updates], "value": [text for _, text in updates]},
        schema=pa.schema([("row_id", pa.int64()), ("value", pa.string())]),
    )
    con.register("scrubbed_rows", rows)
    try:
        con.execute(
            f"UPDATE store.{table} AS t SET {column} = CAST(s.value AS JSON) "
            "FROM scrubbed_rows AS s WHERE t.rowid = s.row_id"
        )
    finally:
        con.unregister("scrubbed_rows")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
