"""The drift register: every unexplained difference of the history becomes an item that
stays open until someone accepts it (`accept_item`: who, when, why) or the field returns to
its earlier value (found by `sync_register` after every load, from the versions that
follow the change).

Items live in store.drift_items, numbered per account in the order they were found. The
history is derived and may be rebuilt, so an item is known by a fingerprint of what
changed (resource, field, old and new value, interval), not by a version number; an item
whose difference the history no longer holds (a late audit record explains it, or the field
became volatile) is kept, marked withdrawn. The `drift_register` view shows the items with
their status and age."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from flowaudit.documents.canonical import canonical_json, sha256_text
from flowaudit.documents.paths import MISSING, get_path, split_path
from flowaudit.errors import UsageError
from flowaudit.load.db import fetch_sql_file


@dataclass(frozen=True)
class Difference:
    """One row of store.unexplained_changes, as the register sees it."""

    resource_type: str
    resource_id: str
    version: int
    changed_after: datetime
    changed_before: datetime
    position: int
    field_path: str | None
    change: str
    old_present: bool
    old_value: str | None
    new_present: bool
    new_value: str | None

    @property
    def fingerprint(self) -> str:
        return sha256_text(
            canonical_json(
                [
                    self.resource_type,
                    self.resource_id,
                    self.field_path,
                    self.change,
                    self.old_present,
                    _canonical(self.old_value),
                    self.new_present,
                    _canonical(self.new_value),
                    self.changed_after.isoformat(),
                    self.changed_before.isoformat(),
                ]
            )
        )[:32]


@dataclass(frozen=True)
class Revert:
    at: datetime
    event_id: str | None


def sync_register(
    con: duckdb.DuckDBPyConnection, account: str, *, run_id: int | None = None
) -> dict[str, int]:
    """Register new unexplained differences, and mark each item still current or withdrawn,
    reverted or not (inside the caller's transaction). Returns counts."""
    differences = {
        d.fingerprint: d
        for d in (
            Difference(*row)
            for row in fetch_sql_file(con, "audit_trail/drift_differences.sql", account=account)
        )
    }
    known = {
        fingerprint: (item, accepted)
        for fingerprint, item, accepted in con.execute(
            "SELECT fingerprint, item, accepted_at IS NOT NULL FROM store.drift_items WHERE account = $account",
            {"account": account},
        ).fetchall()
    }
    next_item = max((item for item, _ in known.values()), default=0) + 1
    new = [d for fingerprint, d in differences.items() if fingerprint not in known]
    new.sort(key=lambda d: (d.changed_before, d.resource_type, d.resource_id, d.position))
    for difference in new:
        con.execute(
            "INSERT INTO store.drift_items VALUES ($account, $item, $fingerprint, $type, $id, $path, "
            "$change, $old_present, CAST($old AS JSON), $new_present, CAST($new AS JSON), $after, "
            "$before, $run_id, true, NULL, NULL, NULL, NULL, NULL)",
            {"account": account, "item": next_item, "fingerprint": difference.fingerprint,
             "type": difference.resource_type, "id": difference.resource_id, "path": difference.field_path,
             "change": difference.change, "old_present": difference.old_present, "old": difference.old_value,
             "new_present": difference.new_present, "new": difference.new_value,
             "after": difference.changed_after, "before": difference.changed_before, "run_id": run_id},
        )  # fmt: skip
        known[difference.fingerprint] = (next_item, False)
        next_item += 1
    reverted = 0
    for fingerprint, (item, accepted) in known.items():
        difference = differences.get(fingerprint)
        revert = None if difference is None or accepted else find_revert(con, account, difference)
        reverted += revert is not None
        con.execute(
            "UPDATE store.drift_items SET current = $current, "
            "reverted_at = CASE WHEN $keep THEN reverted_at ELSE $at END, "
            "reverted_event_id = CASE WHEN $keep THEN reverted_event_id ELSE $event END "
            "WHERE account = $account AND item = $item",
            {"current": difference is not None, "keep": difference is None or accepted,
             "at": revert.at if revert else None, "event": revert.event_id if revert else None,
             "account": account, "item": item},
        )  # fmt: skip
    return {"new_items": len(new), "reverted": reverted}


def find_revert(
    con: duckdb.DuckDBPyConnection, account: str, difference: Difference
) -> Revert | None:
    """When the resource first returned to what it was before the difference, if it did."""
    later = con.execute(
        "SELECT version, valid_from, valid_to, event_id, closed_by, closed_event_id, CAST(doc AS VARCHAR) "
        "FROM store.resource_versions WHERE account = $account AND resource_type = $type "
        "AND resource_id = $id AND version >= $version ORDER BY version",
        {"account": account, "type": difference.resource_type, "id": difference.resource_id,
         "version": difference.version},
    ).fetchall()  # fmt: skip
    if difference.change == "created":
        # An unexplained creation is undone when the resource is deleted.
        for _v, _f, valid_to, _e, closed_by, closed_event, _d in later:
            if closed_by == "deleted":
                return Revert(valid_to, closed_event)
        return None
    following = [row for row in later if row[0] > difference.version]
    if difference.change == "deleted":
        # An unexplained deletion is undone when the resource exists again.
        return Revert(following[0][1], following[0][3]) if following else None
    parts = split_path(difference.field_path or "")
    wanted = _canonical(difference.old_value) if difference.old_present else None
    for _version, valid_from, _to, event_id, _closed, _closed_event, text in following:
        value = get_path(json.loads(text), parts)
        if (
            (value is MISSING)
            if not difference.old_present
            else (value is not MISSING and canonical_json(value) == wanted)
        ):
            return Revert(valid_from, event_id)
    return None


def accept_item(
    con: duckdb.DuckDBPyConnection,
    account: str,
    item: int,
    *,
    note: str,
    by: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Accept an open item: who accepted it, when and why. UsageError for an unknown item or
    one that is not open."""
    note = " ".join(note.split())
    if not note:
        raise UsageError("--note must say why the difference is accepted (e.g. the ticket)")
    rows = con.execute(
        "SELECT status FROM drift_register WHERE account = $account AND item = $item",
        {"account": account, "item": item},
    ).fetchall()
    if not rows:
        raise UsageError(
            f"no drift register item {item} in account {account} (flowaudit drift list)"
        )
    if rows[0][0] != "open":
        raise UsageError(f"drift register item {item} is {rows[0][0]}, not open")
    con.execute(
        "UPDATE store.drift_items SET accepted_at = $now, accepted_by = $by, note = $note "
        "WHERE account = $account AND item = $item",
        {"now": now or datetime.now(UTC), "by": by, "note": note, "account": account, "item": item},
    )
    return register_rows(con, account, item=item)[0]


def register_rows(
    con: duckdb.DuckDBPyConnection,
    account: str,
    *,
    open_only: bool = False,
    item: int | None = None,
) -> list[dict[str, Any]]:
    """The account's register items (the drift_register view), oldest first."""
    result = con.execute(
        "SELECT * FROM drift_register WHERE account = $account "
        "AND ($open_only = false OR status = 'open') AND ($item IS NULL OR item = $item) ORDER BY item",
        {"account": account, "open_only": open_only, "item": item},
    )
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _canonical(text: str | None) -> str | None:
    return None if text is None else canonical_json(json.loads(text))
