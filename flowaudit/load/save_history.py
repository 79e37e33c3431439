"""Versions before a resource's first observation, rebuilt by replaying its audit
`fieldChanges` backwards (flowaudit.load.replay), for the resources whose early history
changed in this run. One sorted stream from DuckDB (queries/load/replay_feed.sql) feeds
the replay resource by resource; rebuilt versions are hashed and written to a Parquet file
in the work directory that DuckDB then stores in one insert, so memory stays flat on large
accounts. Runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from flowaudit.load.documents import ContentHasher, flow_steps, sha256_text
from flowaudit.load.replay import AuditStep, FieldChange, replay_backwards
from flowaudit.load.save_versions import replace_flow_steps_table
from flowaudit.load.sqlfiles import run_sql_file, statements

REBUILT_FILE = ".rebuilt_versions.parquet"
FEED_ROWS = 20_000  # rows of the feed per Arrow batch
VERSIONS_PER_ROW_GROUP = 20_000  # rebuilt versions held before they are written out
# The top-level keys a flow names its exports and imports under (documents.flow_steps).
_STEP_KEYS = ("pageGenerators", "pageProcessors", "routers", "_exportId", "_importId")

_VERSIONS_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("valid_from_us", pa.int64()),
     ("valid_to_us", pa.int64()), ("audit_event_id", pa.string()), ("content_hash", pa.string()),
     ("doc", pa.string())]
)
_STARTS_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()),
     ("previous_valid_from_us", pa.int64()), ("observed_valid_from_us", pa.int64())]
)


@dataclass
class _Candidate:
    resource_type: str
    resource_id: str
    first_seen_us: int
    valid_from_us: int
    created_us: int | None
    doc_text: str
    steps: list[AuditStep] = field(default_factory=list)


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
    path = Path(work_dir) / REBUILT_FILE
    writer = _VersionWriter(path)
    rebuilt = skipped = 0
    (feed,) = statements("load/replay_feed.sql")
    # While the feed streams, the connection runs nothing else: the versions wait in the file.
    batches = con.sql(feed, params={"account": account}).to_arrow_reader(FEED_ROWS)
    for candidate in _candidates(batches):
        rebuilt_now, skipped_now = _replay_one(candidate, hasher, writer)
        rebuilt += rebuilt_now
        skipped += skipped_now
    writer.close()
    run_sql_file(con, "load/replay_clear.sql", account=account)
    if rebuilt:
        run_sql_file(con, "load/replay_insert.sql", account=account, run_id=run_id, path=str(path))
    path.unlink(missing_ok=True)
    con.register("replay_starts", pa.table(writer.starts, schema=_STARTS_SCHEMA))
    run_sql_file(con, "load/replay_starts.sql", account=account)
    con.unregister("replay_starts")
    if writer.steps:
        columns = list(zip(*sorted(writer.steps), strict=True))
        replace_flow_steps_table(
            con, {"flow_id": list(columns[0]), "resource_type": list(columns[1]),
                  "resource_id": list(columns[2])}
        )
        run_sql_file(con, "load/flow_steps_insert.sql", account=account)
    return {"reconstructed_versions": rebuilt, "unreplayable_changes": skipped}


def _replay_one(candidate: _Candidate, hasher: ContentHasher, writer: _VersionWriter) -> tuple[int, int]:
    observed: dict[str, Any] = {}
    if candidate.steps:  # else only the observed version's start is decided: no parsing
        document = json.loads(candidate.doc_text)
        observed = hasher.stable_content(document, candidate.doc_text)
    outcome = replay_backwards(
        observed,
        candidate.steps,
        first_seen_at=candidate.first_seen_us,
        created_at=candidate.created_us,
        is_ignored=hasher.is_volatile_path,
    )
    key = (candidate.resource_type, candidate.resource_id)
    if outcome.observed_valid_from != candidate.valid_from_us:
        writer.start(key, candidate.valid_from_us, outcome.observed_valid_from)
    newer = observed
    for version in outcome.versions:
        writer.version(key, version.valid_from, version.valid_to, version.audit_event_id, version.content)
        # Untouched top-level values are shared with the newer version: steps are only
        # looked for when one that names them changed.
        if key[0] == "flow" and any(version.document.get(k) is not newer.get(k) for k in _STEP_KEYS):
            writer.flow_steps(key[1], flow_steps(version.document))
        newer = version.document
    return len(outcome.versions), outcome.skipped_changes


def _candidates(batches: Iterable[pa.RecordBatch]) -> Iterator[_Candidate]:
    """Rows of replay_feed.sql -> each candidate with its audit steps, oldest first."""
    candidate: _Candidate | None = None
    step: AuditStep | None = None
    for batch in batches:
        columns = [column.to_pylist() for column in batch.columns]
        columns[-1] = _decode_all(columns[-1])
        for (is_candidate, resource_type, resource_id, time_us, valid_from_us, created_us, doc,
             event_id, event, path, old_present, old_value) in zip(*columns, strict=True):
            if is_candidate:
                if candidate is not None:
                    yield candidate
                candidate = _Candidate(resource_type, resource_id, time_us, valid_from_us, created_us, doc)
                step = None
                continue
            if step is None or step.event_id != event_id:
                step = AuditStep(event_id, time_us, event)
                candidate.steps.append(step)
            if path is not None:
                step.changes.append(FieldChange(path, old_present, old_value))
    if candidate is not None:
        yield candidate


class _VersionWriter:
    """Writes rebuilt versions to a Parquet file a row group at a time; collects the new
    starts of observed versions and the flow steps seen (both small)."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[tuple] = []  # in _VERSIONS_SCHEMA's column order
        self.starts: dict[str, list] = {name: [] for name in _STARTS_SCHEMA.names}
        self.steps: set[tuple[str, str, str]] = set()
        self._file: pq.ParquetWriter | None = None

    def version(self, key, valid_from_us, valid_to_us, event_id, content) -> None:
        # hashlib takes half the CPU time of DuckDB's sha256() for the same texts.
        self.rows.append(
            (key[0], key[1], valid_from_us, valid_to_us, event_id, sha256_text(content), content)
        )
        if len(self.rows) >= VERSIONS_PER_ROW_GROUP:
            self._write()

    def start(self, key, previous_us, observed_us) -> None:
        for name, value in zip(_STARTS_SCHEMA.names, (*key, previous_us, observed_us), strict=True):
            self.starts[name].append(value)

    def flow_steps(self, flow_id: str, steps) -> None:
        self.steps.update((flow_id, *step) for step in steps)

    def close(self) -> None:
        self._write()
        if self._file is not None:
            self._file.close()

    def _write(self) -> None:
        if not self.rows:
            return
        if self._file is None:
            # Plain and uncompressed: the file lives for seconds; DuckDB compresses what it stores.
            self._file = pq.ParquetWriter(
                self.path, _VERSIONS_SCHEMA, compression="none", use_dictionary=False,
                write_statistics=False,
            )
        columns = [
            pa.array(values, type=f.type)
            for values, f in zip(zip(*self.rows, strict=True), _VERSIONS_SCHEMA, strict=True)
        ]
        self._file.write_table(pa.Table.from_arrays(columns, schema=_VERSIONS_SCHEMA))
        self.rows.clear()


def _decode_all(texts: list[str | None]) -> list[Any]:
    """JSON texts (None: absent) -> values, in one json.loads call for the whole batch."""
    present = [text for text in texts if text is not None]
    values = iter(json.loads("[" + ",".join(present) + "]"))
    return [None if text is None else next(values) for text in texts]
