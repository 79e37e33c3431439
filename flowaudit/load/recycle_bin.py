"""The recycle bin of a staging area (resources deleted within the last 30 days, with their
last content): each entry becomes an observation of that content just before the deletion
(queries/load/recycle_bin_apply.sql), so the rebuilt history shows the configuration a
deletion ended, not only the fields its audit records named. Inside the load's transaction,
after the listings' observations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flowaudit import jsonfast
from flowaudit.errors import ApiContractError
from flowaudit.extract.staging import RECYCLE_BIN_FILE
from flowaudit.load.db import run_sql_file
from flowaudit.load.staging_reader import Manifest, read_listing_lines
from flowaudit.registry import BY_LISTING, BY_PATH, ResourceType

_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("listing", pa.string()), ("resource_id", pa.string()),
     ("deleted_at", pa.timestamp("us", tz="UTC")), ("content_hash", pa.string()), ("doc", pa.string())]
)  # fmt: skip


def observe_recycle_bin(
    con: duckdb.DuckDBPyConnection, staging_dir: Path, manifest: Manifest, hashers, *,
    account: str, run_id: int,
) -> dict[str, int]:  # fmt: skip
    """Turn the staged recycle bin into observations; return how many entries were read,
    placed in the history, and left aside (unknown type, no id or time, no code)."""
    path = Path(staging_dir) / RECYCLE_BIN_FILE
    counts = {"recycle_bin_entries": 0, "recycle_bin_observed": 0, "recycle_bin_skipped": 0}
    if not path.exists():
        return counts
    rows: list[tuple] = []
    for number, text in read_listing_lines(path):
        counts["recycle_bin_entries"] += 1
        row = _row(text, number, hashers)
        if row is None:
            counts["recycle_bin_skipped"] += 1
        else:
            rows.append(row)
    if not rows:
        return counts
    columns = list(zip(*rows, strict=True))
    con.register(
        "staged_bin_input", pa.table(dict(zip(_SCHEMA.names, columns, strict=True)), schema=_SCHEMA)
    )
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE staged_bin AS SELECT * FROM staged_bin_input")
    finally:
        con.unregister("staged_bin_input")
    complete = [
        entry.listing for entry in BY_LISTING.values() if entry.name in manifest.complete_listings
    ]
    run_sql_file(
        con, "load/recycle_bin_apply.sql", account=account, run_id=run_id,
        observed_at=manifest.observed_at, complete_listings=complete,
    )  # fmt: skip
    counts["recycle_bin_observed"] = int(
        con.execute("SELECT count(*) FROM bin_plan").fetchall()[0][0]
    )
    return counts


def _row(text: str, number: int, hashers) -> tuple | None:
    try:
        entry = json.loads(text)
    except ValueError:
        raise ApiContractError(f"{RECYCLE_BIN_FILE} line {number}: not JSON") from None
    if not isinstance(entry, dict):
        return None
    doc = entry.get("doc")
    found: ResourceType | None = BY_PATH.get(str(entry.get("model"))) or BY_LISTING.get(
        str(entry.get("model"))
    )
    if found is None or not isinstance(doc, dict) or not isinstance(doc.get("_id"), str):
        return None
    deleted_at = _time(doc.get("lastModified"))
    if deleted_at is None:
        return None
    # A type whose field only the by-id GET gives (scripts' code): without it the entry
    # would look like a change of that field.
    if found.by_id_field and found.by_id_field not in doc:
        return None
    doc_text = jsonfast.dumps(doc).decode("utf-8")
    return (found.name, found.listing, doc["_id"], deleted_at,
            hashers.content_hash(found.name, doc, doc_text), doc_text)  # fmt: skip


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
