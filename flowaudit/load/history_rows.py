"""Rebuilding histories row by row: the feed's rows (queries/load/history_feed.sql, Arrow
batches in resource order) become each resource's spans and records, its timeline is built
(flowaudit.load.history), and the rebuilt rows are written to Arrow files: versions, the
audited changes of each version, unexplained differences. The same code runs in the loading
process or in worker processes (flowaudit.load.rebuild_pool), each writing files of its own.

Arrow IPC files, uncompressed: written with no encoding work and read back memory-mapped, so
the rows DuckDB inserts never sit in this process's heap whole."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from flowaudit import jsonfast
from flowaudit.documents.paths import get_path, split_path
from flowaudit.documents.references import may_refer, references
from flowaudit.documents.steps import STEP_FIELDS, flow_steps
from flowaudit.load import history
from flowaudit.load.staging_reader import LISTINGS
from flowaudit.registry import FLOW_STEP_KEYS, REFERRING_TYPES, RESOURCE_TYPES, TYPE_NAMES
from flowaudit.transform.patches import make_patch

WRITE_ROWS = 20_000  # rebuilt rows held before they are written out
WRITE_BYTES = 16 * 1024 * 1024  # ... or text of this size

VERSIONS_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("valid_from_us", pa.int64()), ("valid_to_us", pa.int64()), ("origin", pa.string()),
     ("closed_by", pa.string()), ("event_id", pa.string()), ("closed_event_id", pa.string()),
     ("changed_after_us", pa.int64()), ("changed_before_us", pa.int64()), ("name", pa.string()),
     ("content_hash", pa.string()), ("run_id", pa.int64()), ("doc", pa.string()),
     ("integration_id", pa.string()), ("back_patch", pa.string())]
)  # fmt: skip
CHANGES_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("event_id", pa.string()), ("position", pa.int32())]
)  # fmt: skip
UNEXPLAINED_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("changed_after_us", pa.int64()), ("changed_before_us", pa.int64()), ("position", pa.int32()),
     ("field_path", pa.string()), ("change", pa.string()), ("old_present", pa.bool_()),
     ("old_value", pa.string()), ("new_present", pa.bool_()), ("new_value", pa.string()),
     ("run_id", pa.int64())]
)  # fmt: skip
TABLES = {"versions": VERSIONS_SCHEMA, "changes": CHANGES_SCHEMA, "unexplained": UNEXPLAINED_SCHEMA}

# Columns of history_feed.sql, by position.
(_KIND, _TYPE, _ID, _T1, _T2, _T3, _RUN1, _RUN2, _RUN3, _TEXT, _EVENT_ID, _EVENT, _DELETED,
 _POSITION, _PATH, _OLD_PRESENT, _OLD, _NEW_PRESENT, _NEW) = range(19)  # fmt: skip


@dataclass
class Resource:
    resource_type: str
    resource_id: str
    spans: list[history.Span] = field(default_factory=list)
    records: list[history.Record] = field(default_factory=list)
    stored: str | None = None  # fingerprints of its stored versions (feed kind 2), when read
    resume: history.Resume | None = None  # where its derivation resumes (feed kind 3)


class Checkpoints:
    """The account's observations, per resource type: the runs that listed the type to its
    last page, and when every run's listing began (its uncertain zone)."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows  # kept as given: worker processes are handed the same rows
        self.zone_start: dict[int, int] = {}
        self.by_type: dict[str, list[history.Checkpoint]] = {name: [] for name in TYPE_NAMES}
        for observed_us, zone_us, run_id, listings in rows:
            self.zone_start[observed_us] = zone_us
            complete = _complete_types(listings)
            for name, checkpoints in self.by_type.items():
                if complete is None or name in complete:
                    checkpoints.append(history.Checkpoint(observed_us, zone_us, run_id))

    def zone_of(self, time: int) -> int:
        return self.zone_start.get(time, time)


def _complete_types(listings: Any) -> set[str] | None:
    """The resource types a run listed completely; None when it did not record it (runs
    loaded before listings were recorded closed versions only on complete listings)."""
    if listings is None:
        return None
    if isinstance(listings, str):
        listings = json.loads(listings)
    return {
        LISTINGS[name]
        for name, info in listings.items()
        if name in LISTINGS and info.get("complete") is True
    }


def resources(batches: Iterable[pa.RecordBatch]) -> Iterator[Resource]:
    """Rows of history_feed.sql -> each resource with its spans and records, oldest first."""
    current: Resource | None = None
    record: history.Record | None = None
    span, change, new_record = history.Span, history.FieldChange, history.Record
    for batch in batches:
        columns = [column.to_pylist() for column in batch.columns]
        columns[_OLD] = _decode_all(columns[_OLD])
        columns[_NEW] = _decode_all(columns[_NEW])
        for (kind, resource_type, resource_id, t1, t2, t3, run1, run2, run3, text, event_id, event,
             deleted_name, position, path, old_present, old_value, new_present, new_value) in zip(*columns, strict=True):  # fmt: skip
            if (
                current is None
                or current.resource_id != resource_id
                or current.resource_type != resource_type
            ):
                if current is not None:
                    yield current
                current = Resource(resource_type, resource_id)
                record = None
            if kind == 0:
                current.spans.append(span(t1, t2, text, run1, run2, t3, run3))
                continue
            if kind == 2:
                current.stored = text
                continue
            if kind == 3:
                current.resume = history.Resume(
                    t2, position, t1, event or "", run1, event_id, text or "",
                    _changes(path), deleted_name,
                )  # fmt: skip
                continue
            if record is None or record.event_id != event_id:
                record = new_record(event_id, t1, event or "", run1, deleted_name)
                current.records.append(record)
            if position is not None:
                record.changes.append(change(position, path or "", bool(old_present), old_value,
                                             bool(new_present), new_value))  # fmt: skip
    if current is not None:
        yield current


def _changes(text: str | None) -> list[tuple[str, int]]:
    """`event_id:position,...` -> [(event_id, position)]."""
    if not text:
        return []
    pairs = (item.rpartition(":") for item in text.split(","))
    return [(event_id, int(position)) for event_id, _, position in pairs]


def _decode_all(texts: list[str | None]) -> list[Any]:
    """JSON texts (None: absent) -> values, in one parse for the whole batch."""
    present = [text for text in texts if text is not None]
    if not present:
        return texts
    values = iter(jsonfast.loads("[" + ",".join(present) + "]"))
    return [None if text is None else next(values) for text in texts]


def created_at(doc: dict[str, Any]) -> int | None:
    """A document's `createdAt` in microseconds (None: absent or unreadable)."""
    value = doc.get("createdAt")
    if not isinstance(value, str):
        return None
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


class HistoryFiles:
    """Rebuilt rows written to Arrow files (versions, changes, unexplained) a batch at a
    time; the steps of flow versions and the connections of steps are collected (small)."""

    def __init__(self, work_dir: Path, tag: str):
        self.paths = {name: Path(work_dir) / f".rebuilt-{name}-{tag}.arrow" for name in TABLES}
        self.tables = {
            name: _ArrowFile(self.paths[name], schema) for name, schema in TABLES.items()
        }
        self.steps: set[tuple[str, str, str]] = set()
        self.connections: set[tuple[str, str, str]] = set()
        self.refs: set[tuple[str, str, str, str, str]] = set()  # what documents refer to
        self.counts = {"rebuilt_resources": 0, "resumed_resources": 0, "versions": 0, "unreplayable_changes": 0,
                       "kept_versions": 0}  # fmt: skip
        # Per resource, how many of its first versions are stored as rebuilt (not written
        # again); only resources whose stored history the feed held.
        self.kept: dict[tuple[str, str], int] = {}

    def rebuild(self, batches: Iterable[pa.RecordBatch], checkpoints: Checkpoints, hashers) -> None:
        """Build and write the timeline of every resource the batches hold."""
        for resource in resources(batches):
            timeline = history.build_timeline(
                resource.spans, resource.records, checkpoints.by_type.get(resource.resource_type, ()),
                hashers.of(resource.resource_type), zone_of=checkpoints.zone_of, created_at=created_at,
                resume=resource.resume,
            )  # fmt: skip
            self.add(resource, timeline)
            self.counts["rebuilt_resources"] += 1
            self.counts["resumed_resources"] += resource.resume is not None
            self.counts["versions"] += len(timeline.versions)
            self.counts["unreplayable_changes"] += timeline.unreplayable_changes

    def add(self, resource: Resource, timeline: history.Timeline) -> None:
        rtype, rid = resource.resource_type, resource.resource_id
        versions, changes, unexplained = (self.tables[n] for n in TABLES)
        (v_type, v_id, v_number, v_from, v_to, v_origin, v_closed_by, v_event, v_closed_event, v_after,
         v_before, v_name, v_hash, v_run, v_doc, v_integration, v_patch) = versions.columns  # fmt: skip
        is_step = rtype in _STEP_TYPES
        is_flow = rtype == "flow"
        refers = rtype in REFERRING_TYPES
        name_parts = _NAME_PARTS.get(rtype)
        previous_doc: dict[str, Any] | None = None
        previous_stored: Any = None  # the document stored for the version before (flows)
        sha256 = history.sha256_text
        first = timeline.first_number  # versions before it were not derived again: they stay
        kept = 0
        if resource.stored is not None:
            kept = stored_prefix(resource.stored, rtype, timeline)
            self.kept[(rtype, rid)] = first - 1 + kept
            self.counts["kept_versions"] += first - 1 + kept
            if kept:
                last_kept = timeline.versions[kept - 1]
                previous_doc = last_kept.content.doc
                if is_flow:
                    observed = last_kept.observed_text
                    previous_stored = previous_doc if observed is None else jsonfast.loads(observed)
        # A resumed derivation's first version, written again, keeps its stored patch (the
        # version before it was not read).
        carried = resource.resume if kept == 0 else None
        for number, version in enumerate(timeline.versions[kept:], start=first + kept):
            text = version.content.text()
            observed = version.observed_text
            # One append per column (not a row tuple): this runs for every version rebuilt.
            v_type.append(rtype)
            v_id.append(rid)
            v_number.append(number)
            v_from.append(version.valid_from)
            v_to.append(version.valid_to)
            v_origin.append(version.origin)
            v_closed_by.append(version.closed_by)
            v_event.append(version.event_id)
            v_closed_event.append(version.closed_event_id)
            v_after.append(version.changed_after)
            v_before.append(version.changed_before)
            v_name.append(
                version.name if name_parts is None else (_name(version.content.doc, name_parts) or version.name)
            )
            v_hash.append(sha256(text))
            v_run.append(version.run_id)
            v_doc.append(observed if observed is not None else text)
            if is_flow:
                integration = version.content.doc.get("_integrationId")
                v_integration.append(integration if isinstance(integration, str) else None)
                stored = version.content.doc if observed is None else jsonfast.loads(observed)
                if carried is not None:
                    v_patch.append(carried.back_patch)
                    carried = None
                else:
                    v_patch.append(None if previous_stored is None else back_patch(stored, previous_stored))
                previous_stored = stored
            else:
                v_integration.append(None)
                v_patch.append(None)
            versions.added(len(v_doc[-1]))
            for event_id, position in version.changes:
                changes.add((rtype, rid, number, event_id, position))
            for position, difference in enumerate(version.differences):
                unexplained.add(_unexplained_row(rtype, rid, number, version.changed_after, version.changed_before,
                                                 position, difference, version.run_id))  # fmt: skip
            doc = version.content.doc
            if refers and may_refer(text):
                self.refs.update((rtype, rid, ref.resource_type, ref.resource_id, ref.path) for ref in references(doc))
            if is_step:
                connection = doc.get("_connectionId")
                if isinstance(connection, str) and connection:
                    self.connections.add((rtype, rid, connection))
            elif is_flow:
                # Steps are looked for only when a key that names them changed.
                if previous_doc is None or any(
                    doc.get(k) is not previous_doc.get(k) for k in STEP_FIELDS
                ):
                    self.steps.update((rid, *step) for step in flow_steps(doc))
                previous_doc = doc
        for index, difference, after, before in timeline.deletions:
            version = timeline.versions[index]
            unexplained.add(
                _unexplained_row(
                    rtype, rid, first + index, after, before, 0, difference, version.run_id
                )
            )

    def close(self) -> dict[str, Any]:
        """Finish the files; what the caller needs of this writer's work."""
        for table in self.tables.values():
            table.close()
        return {
            "paths": {name: str(path) for name, path in self.paths.items()},
            "counts": {**self.counts, "unexplained_changes": self.tables["unexplained"].count},
            "steps": self.steps,
            "connections": self.connections,
            "refs": self.refs,
            "kept": self.kept,
        }


_STEP_TYPES = frozenset(FLOW_STEP_KEYS.values())
# Where a type's documents hold their name when not in `name` (a share names its person).
_NAME_PARTS = {
    entry.name: [split_path(path) for path in entry.name_paths]
    for entry in RESOURCE_TYPES
    if entry.name_paths != ("name",)
}


def stored_prefix(stored: str, resource_type: str, timeline: history.Timeline) -> int:
    """How many of the rebuilt versions, from the first, are stored exactly as rebuilt: every
    column, the document, the audited changes; a version with unexplained differences is
    always written again. stored: the feed's fingerprints (queries/load/history_feed.sql)."""
    rows = stored.split("\x1e")
    name_parts = _NAME_PARTS.get(resource_type)
    is_flow = resource_type == "flow"
    limit = min(len(rows), len(timeline.versions))
    if timeline.deletions:
        limit = min(limit, min(index for index, *_ in timeline.deletions))
    for index in range(limit):
        version = timeline.versions[index]
        number = timeline.first_number + index
        if version.differences or rows[index] != _fingerprint(number, version, name_parts, is_flow):
            return index
    return limit


def _fingerprint(number: int, version: history.Version, name_parts, is_flow: bool) -> str:
    """The text history_feed.sql makes of a stored version (empty text for NULL)."""
    text = version.content.text()
    doc = version.observed_text if version.observed_text is not None else text
    name = version.name if name_parts is None else (_name(version.content.doc, name_parts) or version.name)
    integration = version.content.doc.get("_integrationId") if is_flow else None
    changes = ",".join(f"{event_id}:{position}" for event_id, position in sorted(version.changes))
    return "\x1f".join((
        str(number), _text(version.valid_from), _text(version.valid_to), version.origin or "",
        version.closed_by or "", version.event_id or "", version.closed_event_id or "",
        _text(version.changed_after), _text(version.changed_before), name or "", history.sha256_text(text),
        _text(version.run_id), hashlib.md5(doc.encode()).hexdigest(),
        integration if isinstance(integration, str) else "", changes, "0",
    ))  # fmt: skip


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _name(doc: dict[str, Any], paths: list[list[str]]) -> str | None:
    for parts in paths:
        value = get_path(doc, parts)
        if isinstance(value, str) and value:
            return value
    return None


# A patch reaching deeper than this is not kept: pages show documents 64 levels deep
# (flowaudit.report.masking.MAX_DEPTH) and summarise what lies below.
MAX_PATCH_DEPTH = 60


def back_patch(newer: Any, older: Any) -> str | None:
    """The patch from a flow version's stored document back to the one before it, as JSON
    (flowaudit.transform.patches); None when the documents nest too deep for a page (the flow
    page then compares the documents themselves). Versions rebuilt from the audit log share
    every value they did not change, so only the changed ones are walked."""
    try:
        ops = make_patch(newer, older)
    except RecursionError:
        return None
    if any(len(op[1]) >= MAX_PATCH_DEPTH for op in ops):
        return None
    return json.dumps(ops, ensure_ascii=False, separators=(",", ":"))


def _unexplained_row(
    rtype, rid, version, after, before, position, difference: history.Difference, run_id
) -> tuple:
    return (rtype, rid, version, after, before, position, difference.path, difference.change, difference.old_present,
            difference.old_value, difference.new_present, difference.new_value, run_id)  # fmt: skip


class _ArrowFile:
    """One Arrow IPC file written a record batch at a time (always written, maybe empty)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.columns: list[list] = [[] for _ in schema]
        self.count = 0
        self._held = 0
        self._bytes = 0
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_file(self._sink, schema)

    def add(self, row: tuple) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        text = row[-1]
        self.added(len(text) if isinstance(text, str) else 0)

    def added(self, text_bytes: int) -> None:
        """Count a row its caller appended to `columns` itself."""
        self.count += 1
        self._held += 1
        self._bytes += text_bytes
        if self._held >= WRITE_ROWS or self._bytes >= WRITE_BYTES:
            self._write()

    def close(self) -> None:
        self._write()
        self._writer.close()
        self._sink.close()

    def _write(self) -> None:
        if not self._held:
            return
        arrays = [
            pa.array(values, type=f.type)
            for values, f in zip(self.columns, self.schema, strict=True)
        ]
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        for column in self.columns:
            column.clear()  # emptied in place: HistoryFiles.add holds these lists
        self._held = 0
        self._bytes = 0


def read_tables(paths: Iterable[str | Path], schema: pa.Schema) -> pa.Table:
    """The Arrow files as one table, memory-mapped (nothing copied into this process)."""
    batches: list[pa.RecordBatch] = []
    for path in paths:
        reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
        batches.extend(reader.get_batch(i) for i in range(reader.num_record_batches))
    return pa.Table.from_batches(batches, schema=schema)
