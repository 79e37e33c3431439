"""Versions: from what a run listed and what the audit log says, the history of every
resource (inside the caller's transaction).

1. `stage_listing_lines` (before the transaction): DuckDB reads and checks every listing line.
2. `observe`: the listed documents become observations (store.observations: one row per
   stretch of runs that listed the same content); only documents whose text changed are
   parsed and hashed in Python. The resources whose history must be rebuilt go into the
   temp table `touched`.
3. `rebuild`: the history of every touched resource is rebuilt whole from its observations
   and audit records (flowaudit.load.history), streamed from DuckDB one resource after
   another and written back through Parquet files (written and read back by pyarrow, so
   the connection needs no file access) in one insert per table, so memory stays flat on
   large accounts. The directory and the attribution of steps to flows follow."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from flowaudit.documents.canonical import content_hash
from flowaudit.documents.paths import get_path, split_path
from flowaudit.documents.references import may_refer, references
from flowaudit.documents.steps import STEP_FIELDS, flow_steps
from flowaudit.documents.volatility import VolatileFields, volatile_fields_for
from flowaudit.errors import ApiContractError
from flowaudit.load import history
from flowaudit.load.db import fetch_sql_file, run_sql_file, statements
from flowaudit.load.staging_reader import LISTINGS, Manifest, read_listing_lines
from flowaudit.registry import BY_NAME, FLOW_STEP_KEYS, REFERRING_TYPES, TYPE_NAMES

# Rows per batch handed between Python and DuckDB: bounds the memory either side holds.
BATCH_ROWS = 20_000
WRITE_ROWS = 20_000  # rebuilt rows held before they are written out
WRITE_BYTES = 16 * 1024 * 1024  # ... or text of this size: DuckDB reads a row group at a time
VERSIONS_FILE = ".versions.parquet"
CHANGES_FILE = ".version_changes.parquet"
UNEXPLAINED_FILE = ".unexplained_changes.parquet"

_LINES_SCHEMA = pa.schema(
    [("listing", pa.string()), ("listing_order", pa.int32()), ("resource_type", pa.string()),
     ("line_no", pa.int64()), ("text", pa.string())]
)  # fmt: skip
_HASHES_SCHEMA = pa.schema(
    [(n, pa.string()) for n in ("resource_type", "resource_id", "content_hash")]
)
_STEPS_SCHEMA = pa.schema([(n, pa.string()) for n in ("flow_id", "resource_type", "resource_id")])
_CONNECTIONS_SCHEMA = pa.schema([(n, pa.string()) for n in ("step_type", "step_id", "connection_id")])
_REFS_SCHEMA = pa.schema(
    [(n, pa.string()) for n in ("resource_type", "resource_id", "ref_type", "ref_id", "path")]
)
_VERSIONS_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("valid_from_us", pa.int64()), ("valid_to_us", pa.int64()), ("origin", pa.string()),
     ("closed_by", pa.string()), ("event_id", pa.string()), ("closed_event_id", pa.string()),
     ("changed_after_us", pa.int64()), ("changed_before_us", pa.int64()), ("name", pa.string()),
     ("content_hash", pa.string()), ("run_id", pa.int64()), ("doc", pa.string())]
)  # fmt: skip
_CHANGES_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("event_id", pa.string()), ("position", pa.int32())]
)  # fmt: skip
_UNEXPLAINED_SCHEMA = pa.schema(
    [("resource_type", pa.string()), ("resource_id", pa.string()), ("version", pa.int32()),
     ("changed_after_us", pa.int64()), ("changed_before_us", pa.int64()), ("position", pa.int32()),
     ("field_path", pa.string()), ("change", pa.string()), ("old_present", pa.bool_()),
     ("old_value", pa.string()), ("new_present", pa.bool_()), ("new_value", pa.string()),
     ("run_id", pa.int64())]
)  # fmt: skip


class Hashers:
    """The volatile-field matcher of every resource type, under one setting."""

    def __init__(self, setting: Iterable[str]):
        self.setting = tuple(setting)
        self.by_type = {name: volatile_fields_for(name, self.setting) for name in TYPE_NAMES}
        # What a stored hash depends on besides the document (store.meta content_hash_basis).
        self.basis = " | ".join(
            f"{name}: {matcher.basis}" for name, matcher in self.by_type.items()
        )

    def of(self, resource_type: str) -> VolatileFields:
        matcher = self.by_type.get(resource_type)
        if matcher is None:
            matcher = self.by_type[resource_type] = volatile_fields_for(resource_type, self.setting)
        return matcher

    def content_hash(self, resource_type: str, doc: dict[str, Any], text: str | None = None) -> str:
        return content_hash(self.of(resource_type).strip(doc, text))


# --- 1. listing lines ---------------------------------------------------------------------


def stage_listing_lines(
    con: duckdb.DuckDBPyConnection, staging_dir: Path, manifest: Manifest
) -> None:
    """Read every listing line into the temp table `staged_lines`; ApiContractError (one
    line naming the file and line) if one cannot be a document. Call it outside a
    transaction: a line DuckDB cannot parse fails a statement, which would abort it."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged_lines (listing VARCHAR, listing_order INTEGER, "
        "resource_type VARCHAR, line_no BIGINT, doc JSON, id_json JSON, created_json JSON)"
    )
    for order, (listing, resource_type) in enumerate(LISTINGS.items()):
        if resource_type not in manifest.present_listings:
            continue
        batch: list[tuple[int, str]] = []
        for line in read_listing_lines(Path(staging_dir) / f"{listing}.ndjson"):
            batch.append(line)
            if len(batch) >= BATCH_ROWS:
                _insert_lines(con, listing, order, resource_type, batch)
                batch = []
        if batch:
            _insert_lines(con, listing, order, resource_type, batch)
    problem = fetch_sql_file(con, "load/documents_problems.sql")
    if problem:
        listing, line_no, what = problem[0]
        raise ApiContractError(f"{listing}.ndjson line {line_no}: {what}")


def _insert_lines(
    con, listing: str, order: int, resource_type: str, lines: list[tuple[int, str]]
) -> None:
    numbers, texts = zip(*lines, strict=True)
    n = len(lines)
    table = pa.table(
        [pa.array([listing] * n), pa.array([order] * n, pa.int32()),
         pa.array([resource_type] * n), pa.array(numbers, pa.int64()), pa.array(texts)],
        schema=_LINES_SCHEMA,
    )  # fmt: skip
    con.register("staged_lines_input", table)
    try:
        con.execute(_INSERT_LINES.format(cast="CAST"))
    except (duckdb.ConversionException, duckdb.InvalidInputException):
        # Some line is not JSON: keep it as NULL for documents_problems.sql to name it
        # (TRY_CAST is several times slower, so only on this path).
        con.execute(_INSERT_LINES.format(cast="TRY_CAST"))
    con.unregister("staged_lines_input")


_INSERT_LINES = (
    "INSERT INTO staged_lines SELECT listing, listing_order, resource_type, line_no, doc, "
    "head[1], head[2] FROM (SELECT *, json_extract(doc, ['$._id', '$.createdAt']) AS head "
    "FROM (SELECT *, {cast}(text AS JSON) AS doc FROM staged_lines_input))"
)


# --- 2. observations ------------------------------------------------------------------------


def observe(
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    hashers: Hashers,
    *,
    account: str,
    run_id: int,
) -> dict[str, int]:
    """Record what this run listed: observations, latest documents, and the temp table
    `touched` of resources whose history changed; return counts per listing."""
    trust_raw = _hash_basis_unchanged(con, account, hashers)
    if not trust_raw:
        rehash_observations(con, account, hashers)
    run_sql_file(con, "load/script_content_carry.sql", account=account)
    run_sql_file(con, "load/documents_stage.sql", account=account, trust_raw=trust_raw)
    con.execute("DROP TABLE temp.staged_lines")
    hashed = _hash_changed_documents(con, hashers)
    params = {
        "account": account, "run_id": run_id, "observed_at": manifest.observed_at,
        "complete_types": list(manifest.complete_listings), "types": list(TYPE_NAMES),
    }  # fmt: skip
    run_sql_file(con, "load/observations_apply.sql", **params)
    run_sql_file(con, "load/latest_documents_replace.sql", **params)
    counts = {
        listing: 0
        for listing, resource_type in LISTINGS.items()
        if resource_type in manifest.present_listings
    }
    by_type = dict(
        con.execute("SELECT resource_type, count(*) FROM staged_docs GROUP BY ALL").fetchall()
    )
    for listing in counts:
        counts[listing] = int(by_type.get(LISTINGS[listing], 0))
    counts["hashed_documents"] = hashed
    if not trust_raw:  # every resource's history is rebuilt under the new hashing
        con.execute(
            "INSERT INTO touched SELECT DISTINCT resource_type, resource_id FROM store.observations "
            "WHERE account = $account EXCEPT SELECT * FROM touched",
            {"account": account},
        )
    return counts


def _hash_changed_documents(con: duckdb.DuckDBPyConnection, hashers: Hashers) -> int:
    """Hash the staged documents not known unchanged into `staged_hashes`."""
    hashes: dict[str, list[str]] = {"resource_type": [], "resource_id": [], "content_hash": []}
    result = con.execute(
        "SELECT resource_type, resource_id, CAST(doc AS VARCHAR) FROM staged_docs WHERE NOT raw_unchanged"
    )
    while rows := result.fetchmany(BATCH_ROWS):
        for resource_type, resource_id, text in rows:
            hashes["resource_type"].append(resource_type)
            hashes["resource_id"].append(resource_id)
            hashes["content_hash"].append(
                hashers.content_hash(resource_type, json.loads(text), text)
            )
    con.register("staged_hashes_input", pa.table(hashes, schema=_HASHES_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP TABLE staged_hashes AS SELECT * FROM staged_hashes_input")
    con.unregister("staged_hashes_input")
    return len(hashes["content_hash"])


def _hash_basis_unchanged(con: duckdb.DuckDBPyConnection, account: str, hashers: Hashers) -> bool:
    """Whether the account's stored hashes were taken the way this run takes them; records
    this run's way. If not, every observation is hashed again (volatile_fields changed)."""
    key = f"content_hash_basis:{account}"
    rows = con.execute("SELECT value FROM store.meta WHERE key = $key", {"key": key}).fetchall()
    con.execute(
        "INSERT OR REPLACE INTO store.meta VALUES ($key, $value)",
        {"key": key, "value": hashers.basis},
    )
    return bool(rows) and rows[0][0] == hashers.basis


def rehash_observations(con: duckdb.DuckDBPyConnection, account: str, hashers: Hashers) -> None:
    """Hash every stored observation again under `hashers`, and join stretches that now
    hold the same content one after the other (nothing was gone in between)."""
    rows = con.execute(
        "SELECT resource_type, resource_id, first_seen_at, CAST(doc AS VARCHAR) FROM store.observations "
        "WHERE account = $account",
        {"account": account},
    )
    table: dict[str, list] = {
        "resource_type": [],
        "resource_id": [],
        "first_seen_at": [],
        "content_hash": [],
    }
    while batch := rows.fetchmany(BATCH_ROWS):
        for resource_type, resource_id, first_seen_at, text in batch:
            table["resource_type"].append(resource_type)
            table["resource_id"].append(resource_id)
            table["first_seen_at"].append(first_seen_at)
            table["content_hash"].append(
                hashers.content_hash(resource_type, json.loads(text), text)
            )
    schema = pa.schema([("resource_type", pa.string()), ("resource_id", pa.string()),
                        ("first_seen_at", pa.timestamp("us", tz="UTC")), ("content_hash", pa.string())])  # fmt: skip
    con.register("rehashed", pa.table(table, schema=schema))
    try:
        run_sql_file(con, "load/observations_rehash.sql", account=account)
    finally:
        con.unregister("rehashed")


# --- 3. rebuilding histories ---------------------------------------------------------------


@dataclass
class _Resource:
    resource_type: str
    resource_id: str
    spans: list[history.Span] = field(default_factory=list)
    records: list[history.Record] = field(default_factory=list)


class Checkpoints:
    """The account's observations, per resource type: the runs that listed the type to its
    last page, and when every run's listing began (its uncertain zone)."""

    def __init__(self, rows: list[tuple]):
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


def rebuild(
    con: duckdb.DuckDBPyConnection,
    work_dir: Path,
    hashers: Hashers,
    *,
    account: str,
    run_id: int = 0,
    manifest: Manifest | None = None,
) -> dict[str, int]:
    """Rebuild the history of every resource in the temp table `touched`; return counts.

    run_id and manifest: the run being loaded (its observation counts as a checkpoint)."""
    checkpoint_rows = fetch_sql_file(
        con, "load/checkpoints.sql", account=account, run_id=run_id,
        observed_at=manifest.observed_at if manifest else None,
        observed_from=manifest.observed_from if manifest else None,
        listings=json.dumps(manifest.listings) if manifest else None,
    )  # fmt: skip
    checkpoints = Checkpoints(checkpoint_rows)
    writer = _HistoryWriter(Path(work_dir))
    counts = {
        "rebuilt_resources": 0,
        "versions": 0,
        "unexplained_changes": 0,
        "unreplayable_changes": 0,
    }
    (feed,) = statements("load/history_feed.sql")
    # While the feed streams, the connection runs nothing else: the rows wait in the files.
    batches = con.sql(feed, params={"account": account}).to_arrow_reader(BATCH_ROWS)
    for resource in _resources(batches):
        timeline = history.build_timeline(
            resource.spans, resource.records, checkpoints.by_type.get(resource.resource_type, ()),
            hashers.of(resource.resource_type), zone_of=checkpoints.zone_of, created_at=_created_at,
        )  # fmt: skip
        writer.add(resource, timeline)
        counts["rebuilt_resources"] += 1
        counts["versions"] += len(timeline.versions)
        counts["unreplayable_changes"] += timeline.unreplayable_changes
    batches.close()  # the feed's result holds DuckDB memory until it is closed
    writer.close()
    counts["unexplained_changes"] = writer.unexplained_rows
    with writer.registered(con):
        run_sql_file(con, "load/versions_replace.sql", account=account)
    writer.remove()
    if writer.steps:
        columns = list(zip(*sorted(writer.steps), strict=True))
        steps = {
            "flow_id": list(columns[0]),
            "resource_type": list(columns[1]),
            "resource_id": list(columns[2]),
        }
        con.register("staged_flow_steps", pa.table(steps, schema=_STEPS_SCHEMA))
        try:
            run_sql_file(con, "load/flow_steps_insert.sql", account=account)
        finally:
            con.unregister("staged_flow_steps")
    if writer.connections:
        columns = list(zip(*sorted(writer.connections), strict=True))
        used = {"step_type": list(columns[0]), "step_id": list(columns[1]), "connection_id": list(columns[2])}
        con.register("staged_step_connections", pa.table(used, schema=_CONNECTIONS_SCHEMA))
        try:
            run_sql_file(con, "load/step_connections_insert.sql", account=account)
        finally:
            con.unregister("staged_step_connections")
    if writer.refs:
        columns = list(zip(*sorted(writer.refs), strict=True))
        refs = {name: list(column) for name, column in zip(_REFS_SCHEMA.names, columns, strict=True)}
        con.register("staged_resource_refs", pa.table(refs, schema=_REFS_SCHEMA))
        try:
            run_sql_file(con, "load/resource_refs_insert.sql", account=account)
        finally:
            con.unregister("staged_resource_refs")
    refresh_derived(con, account, whole=False)
    return counts


def rebuild_all(
    con: duckdb.DuckDBPyConnection, work_dir: Path, hashers: Hashers, *, account: str
) -> dict[str, int]:
    """Rebuild every resource's history of account (after a migration, or when the hashing
    changed): observations are hashed again first."""
    rehash_observations(con, account, hashers)
    con.execute(
        "INSERT OR REPLACE INTO store.meta VALUES ($key, $value)",
        {"key": f"content_hash_basis:{account}", "value": hashers.basis},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched AS "
        "SELECT resource_type, resource_id FROM store.observations WHERE account = $account "
        "UNION SELECT resource_type, resource_id FROM store.audit_records "
        "WHERE account = $account AND list_contains($types, resource_type) AND resource_id IS NOT NULL",
        {"account": account, "types": list(TYPE_NAMES)},
    )
    try:
        return rebuild(con, work_dir, hashers, account=account)
    finally:
        con.execute("DROP TABLE IF EXISTS temp.touched")


def refresh_derived(con: duckdb.DuckDBPyConnection, account: str, *, whole: bool = True) -> None:
    """Bring the directory and attribution of account up to date (queries/load/derived_refresh.sql):
    of the resources in the temp table `touched`, or (whole) of every resource."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS touched (resource_type VARCHAR, resource_id VARCHAR)"
    )
    run_sql_file(con, "load/derived_refresh.sql", account=account, whole=whole)


def _created_at(doc: dict[str, Any]) -> int | None:
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


def _resources(batches: Iterable[pa.RecordBatch]) -> Iterator[_Resource]:
    """Rows of history_feed.sql -> each resource with its spans and records, oldest first."""
    current: _Resource | None = None
    record: history.Record | None = None
    for batch in batches:
        columns = [column.to_pylist() for column in batch.columns]
        columns[16] = _decode_all(columns[16])
        columns[18] = _decode_all(columns[18])
        for (kind, resource_type, resource_id, t1, t2, t3, run1, run2, run3, text, event_id, event,
             deleted_name, position, path, old_present, old_value, new_present, new_value) in zip(*columns, strict=True):  # fmt: skip
            if (
                current is None
                or current.resource_id != resource_id
                or current.resource_type != resource_type
            ):
                if current is not None:
                    yield current
                current = _Resource(resource_type, resource_id)
                record = None
            if kind == 0:
                current.spans.append(history.Span(t1, t2, text, run1, run2, t3, run3))
                continue
            if record is None or record.event_id != event_id:
                record = history.Record(event_id, t1, event or "", run1, deleted_name)
                current.records.append(record)
            if position is not None:
                record.changes.append(
                    history.FieldChange(
                        position,
                        path or "",
                        bool(old_present),
                        old_value,
                        bool(new_present),
                        new_value,
                    )
                )
    if current is not None:
        yield current


def _decode_all(texts: list[str | None]) -> list[Any]:
    """JSON texts (None: absent) -> values, in one json.loads call for the whole batch."""
    present = [text for text in texts if text is not None]
    if not present:
        return texts
    values = iter(json.loads("[" + ",".join(present) + "]"))
    return [None if text is None else next(values) for text in texts]


class _HistoryWriter:
    """Writes rebuilt versions, their changes and unexplained differences to Parquet files
    a row group at a time; collects the steps of flow versions (small)."""

    def __init__(self, work_dir: Path):
        self.files = {
            "versions": _Table(work_dir / VERSIONS_FILE, _VERSIONS_SCHEMA),
            "changes": _Table(work_dir / CHANGES_FILE, _CHANGES_SCHEMA),
            "unexplained": _Table(work_dir / UNEXPLAINED_FILE, _UNEXPLAINED_SCHEMA),
        }
        self.steps: set[tuple[str, str, str]] = set()
        self.connections: set[tuple[str, str, str]] = set()
        self.refs: set[tuple[str, str, str, str, str]] = set()
        self.unexplained_rows = 0

    def add(self, resource: _Resource, timeline: history.Timeline) -> None:
        key = (resource.resource_type, resource.resource_id)
        versions, changes, unexplained = (
            self.files["versions"],
            self.files["changes"],
            self.files["unexplained"],
        )
        previous_doc: dict[str, Any] | None = None
        refers = key[0] in REFERRING_TYPES
        name_parts = _name_parts(key[0])
        for number, version in enumerate(timeline.versions, start=1):
            text = version.doc_text
            name = version.name if name_parts is None else (_name(version.content.doc, name_parts) or version.name)
            versions.add((*key, number, version.valid_from, version.valid_to, version.origin, version.closed_by,
                          version.event_id, version.closed_event_id, version.changed_after,
                          version.changed_before, name, version.content_hash, version.run_id,
                          text))  # fmt: skip
            if refers and may_refer(text):
                self.refs.update(
                    (*key, ref.resource_type, ref.resource_id, ref.path)
                    for ref in references(version.content.doc)
                )
            for event_id, position in version.changes:
                changes.add((*key, number, event_id, position))
            for position, difference in enumerate(version.differences):
                unexplained.add(_unexplained_row(key, number, version.changed_after, version.changed_before,
                                                 position, difference, version.run_id))  # fmt: skip
            if key[0] in FLOW_STEP_KEYS.values():
                connection = version.content.doc.get("_connectionId")
                if isinstance(connection, str) and connection:
                    self.connections.add((*key, connection))
            if key[0] == "flow":
                doc = version.content.doc
                # Steps are looked for only when a key that names them changed.
                if previous_doc is None or any(
                    doc.get(k) is not previous_doc.get(k) for k in STEP_FIELDS
                ):
                    self.steps.update((key[1], *step) for step in flow_steps(doc))
                previous_doc = doc
        for index, difference, after, before in timeline.deletions:
            version = timeline.versions[index]
            unexplained.add(
                _unexplained_row(key, index + 1, after, before, 0, difference, version.run_id)
            )
        self.unexplained_rows = unexplained.count

    def close(self) -> None:
        for table in self.files.values():
            table.close()

    @contextmanager
    def registered(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """The written files as the tables rebuilt_versions, rebuilt_changes and
        rebuilt_unexplained, streamed a row group at a time."""
        names = [f"rebuilt_{name}" for name in self.files]
        for name, table in zip(names, self.files.values(), strict=True):
            source = pq.ParquetFile(table.path)
            con.register(name, pa.RecordBatchReader.from_batches(source.schema_arrow, _row_groups(source)))
        try:
            yield
        finally:
            for name in names:
                with suppress(duckdb.Error):  # after a failed insert: keep its error
                    con.unregister(name)

    def remove(self) -> None:
        for table in self.files.values():
            table.path.unlink(missing_ok=True)


def _name_parts(resource_type: str) -> list[list[str]] | None:
    """Where the type's documents hold their name (None: in `name`, as most do)."""
    entry = BY_NAME.get(resource_type)
    if entry is None or entry.name_paths == ("name",):
        return None
    return [split_path(path) for path in entry.name_paths]


def _name(doc: dict[str, Any], paths: list[list[str]]) -> str | None:
    for parts in paths:
        value = get_path(doc, parts)
        if isinstance(value, str) and value:
            return value
    return None


def _row_groups(source: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    """The file's batches one row group at a time (the writer cuts them at WRITE_BYTES of
    text): what DuckDB converts at once stays small however large a few documents are."""
    for index in range(source.num_row_groups):
        yield from source.read_row_group(index).to_batches()


def _unexplained_row(
    key, version, after, before, position, difference: history.Difference, run_id
) -> tuple:
    return (*key, version, after, before, position, difference.path, difference.change, difference.old_present,
            difference.old_value, difference.new_present, difference.new_value, run_id)  # fmt: skip


class _Table:
    """One Parquet file written a row group at a time (always written, maybe empty)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.rows: list[tuple] = []
        self.count = 0
        self._bytes = 0
        # Plain and uncompressed: the file lives for seconds; DuckDB compresses what it stores.
        self._file = pq.ParquetWriter(path, schema, compression="none", use_dictionary=False,
                                      write_statistics=False)  # fmt: skip

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        self.count += 1
        text = row[-1]
        if isinstance(text, str):
            self._bytes += len(text)
        if len(self.rows) >= WRITE_ROWS or self._bytes >= WRITE_BYTES:
            self._write()

    def close(self) -> None:
        self._write()
        self._file.close()

    def _write(self) -> None:
        if not self.rows:
            return
        columns = [
            pa.array(values, type=f.type)
            for values, f in zip(zip(*self.rows, strict=True), self.schema, strict=True)
        ]
        self._file.write_table(pa.Table.from_arrays(columns, schema=self.schema))
        self.rows.clear()
        self._bytes = 0
