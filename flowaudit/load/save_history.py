"""Versions before a resource's first observation, rebuilt by replaying its audit
`fieldChanges` backwards (flowaudit.load.replay), for the resources whose early history
changed in this run. History rows stream from DuckDB in chunks; rebuilt versions go to an
NDJSON file that DuckDB inserts in bulk, so memory stays flat on large accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
            "SELECT resource_type, resource_id, epoch_us(first_seen_at), epoch_us(valid_from), "
            "doc, epoch_us(created_at) FROM replay_candidates"
        ).fetchall()
    }
    out_path = Path(work_dir) / REBUILT_FILE
    starts: dict[str, list[Any]] = {
        "resource_type": [], "resource_id": [], "previous_valid_from_us": [],
        "observed_valid_from_us": [],
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
        ("previous_valid_from_us", pa.int64()),
        ("observed_valid_from_us", pa.int64()),
    ]
)


def _grouped_steps(
    result: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[tuple[str, str], list[AuditStep]]]:
    """Rows of replay_history.sql (ordered by resource, time) -> steps per resource."""
    key: tuple[str, str] | None = None
    steps: list[AuditStep] = []
    step: AuditStep | None = None
    while rows := result.fetchmany(FETCH_ROWS):
        for resource_type, resource_id, event_id, time_us, event, path, old_present, old_value in rows:
            if key is None or resource_id != key[1] or resource_type != key[0]:
                if key is not None:
                    yield key, steps
                key, steps, step = (resource_type, resource_id), [], None
            if step is None or step.event_id != event_id:
                step = AuditStep(event_id, time_us, event)
                steps.append(step)
            if path is not None:
                step.changes.append(FieldChange(path, old_present, _decode(old_value)))
    if key is not None:
        yield key, steps


_CONSTANTS = {"true": True, "false": False, "null": None}


def _decode(value: str | None) -> Any:
    if value is None:
        return None
    constant = _CONSTANTS.get(value, _decode)
    return json.loads(value) if constant is _decode else constant


def _rebuilt_line(
    key: tuple[str, str], valid_from_us: int, valid_to_us: int, content_hash: str,
    event_id: str, content: str,
) -> str:
    # The canonical JSON is embedded as is: no second escaping of the document.
    return (
        f'{{"resource_type":{_quote(key[0])},"resource_id":{_quote(key[1])},'
        f'"valid_from_us":{valid_from_us},"valid_to_us":{valid_to_us},'
        f'"content_hash":"{content_hash}","audit_event_id":{_quote(event_id)},"doc":{content}}}\n'
    )


_quote = json.JSONEncoder(ensure_ascii=False).encode
