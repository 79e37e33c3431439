"""Versions before a resource's first observation, rebuilt by replaying its audit
`fieldChanges` backwards (flowaudit.load.replay), for the resources whose early history
changed in this run. History rows stream from DuckDB in chunks; rebuilt versions go to an
NDJSON file that DuckDB inserts in bulk, so memory stays flat on large accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flowaudit.load.documents import ContentHasher, flow_steps, sha256_text
from flowaudit.load.replay import AuditStep, FieldChange, replay_backwards
from flowaudit.load.save_versions import replace_flow_steps_table
from flowaudit.load.sqlfiles import run_sql_file, statements

FETCH_ROWS = 20_000
REBUILT_FILE = ".rebuilt_versions.ndjson"


def save_history(
    con: duckdb.DuckDBPyConnection,
    work_dir: Path,
    hasher: ContentHasher,
    *,
    account: str,
    run_id: int,
) -> dict[str, int]:
    """Rebuild the early versions of this run's replay candidates; return counts."""
    run_sql_file(con, "load/replay_candidates.sql", account=account, run_id=run_id)
    candidates = {
        (row[0], row[1]): row[2:]
        for row in con.execute(
            "SELECT resource_type, resource_id, first_seen_at, valid_from, doc, created_at "
            "FROM replay_candidates"
        ).fetchall()
    }
    out_path = Path(work_dir) / REBUILT_FILE
    starts: dict[str, list[Any]] = {
        "resource_type": [], "resource_id": [], "previous_valid_from": [], "observed_valid_from": []
    }
    steps: set[tuple[str, str, str]] = set()
    rebuilt = skipped = 0
    (history_query,) = statements("load/replay_history.sql")
    result = con.execute(history_query, {"account": account})
    done: set[tuple[str, str]] = set()
    with open(out_path, "w", encoding="utf-8") as out:

        def replay(key: tuple[str, str], audit_steps: list[AuditStep]) -> None:
            nonlocal rebuilt, skipped
            first_seen_at, valid_from, doc_text, created_at = candidates[key]
            document = json.loads(doc_text)
            outcome = replay_backwards(
                hasher.stable_content(document, doc_text),
                audit_steps,
                first_seen_at=first_seen_at,
                created_at=created_at,
                is_ignored=hasher.is_volatile_path,
            )
            skipped += outcome.skipped_changes
            if outcome.observed_valid_from != valid_from:
                for column, value in zip(
                    starts, (*key, valid_from, outcome.observed_valid_from), strict=True
                ):
                    starts[column].append(value)
            for version in outcome.versions:
                out.write(_rebuilt_line(key, version.valid_from, version.valid_to,
                                        sha256_text(version.content), version.audit_event_id,
                                        version.content))
                if key[0] == "flow":
                    steps.update((key[1], *step) for step in flow_steps(version.document))
            rebuilt += len(outcome.versions)
            done.add(key)

        for key, audit_steps in _grouped_steps(result):
            replay(key, audit_steps)
        for key in candidates.keys() - done:  # no audit record before the first sighting
            replay(key, [])

    con.register("replay_starts_input", pa.table(starts, schema=_STARTS_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP TABLE replay_starts AS SELECT * FROM replay_starts_input")
    con.unregister("replay_starts_input")
    run_sql_file(con, "load/replay_apply.sql", account=account, run_id=run_id, path=str(out_path))
    out_path.unlink(missing_ok=True)
    if steps:
        columns = list(zip(*sorted(steps), strict=True))
        replace_flow_steps_table(
            con, {"flow_id": list(columns[0]), "resource_type": list(columns[1]),
                  "resource_id": list(columns[2])}
        )
        run_sql_file(con, "load/flow_steps_insert.sql", account=account)
    return {"reconstructed_versions": rebuilt, "unreplayable_changes": skipped}


_STARTS_SCHEMA = pa.schema(
    [
        ("resource_type", pa.string()),
        ("resource_id", pa.string()),
        ("previous_valid_from", pa.timestamp("us")),
        ("observed_valid_from", pa.timestamp("us")),
    ]
)


def _grouped_steps(
    result: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[tuple[str, str], list[AuditStep]]]:
    """Rows of replay_history.sql (ordered by resource, time) -> steps per resource."""
    key: tuple[str, str] | None = None
    steps: list[AuditStep] = []
    while True:
        rows = result.fetchmany(FETCH_ROWS)
        if not rows:
            break
        for resource_type, resource_id, event_id, time, event, path, old_present, old_value in rows:
            row_key = (resource_type, resource_id)
            if row_key != key:
                if key is not None:
                    yield key, steps
                key, steps = row_key, []
            if not steps or steps[-1].event_id != event_id:
                steps.append(AuditStep(event_id, time, event))
            if path is not None:
                value = json.loads(old_value) if old_present and old_value is not None else None
                steps[-1].changes.append(FieldChange(path, bool(old_present), value))
    if key is not None:
        yield key, steps


def _rebuilt_line(
    key: tuple[str, str], valid_from: datetime, valid_to: datetime, content_hash: str,
    event_id: str, content: str,
) -> str:
    # The canonical JSON is embedded as is: no second escaping of the document.
    return (
        f'{{"resource_type":{_quote(key[0])},"resource_id":{_quote(key[1])},'
        f'"valid_from":"{valid_from.isoformat(sep=" ")}","valid_to":"{valid_to.isoformat(sep=" ")}",'
        f'"content_hash":"{content_hash}","audit_event_id":{_quote(event_id)},"doc":{content}}}\n'
    )


_quote = json.JSONEncoder(ensure_ascii=False).encode
