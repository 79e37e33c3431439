"""`flowaudit export --format parquet`: the public views of a database into the Parquet lake,
`DIR/<view>/account=<label>/date=<YYYY-MM-DD>/part-0.parquet` (flowaudit.lake.views says
which views and which date).

Idempotent and incremental by content: each partition's rows are fingerprinted in DuckDB
(row count and an order-free sum of row hashes) and a partition is written only when its
fingerprint differs from the one recorded at its last export, or its file is missing; a date
the data no longer has is removed. Exporting the same data twice writes nothing the second
time, and never duplicates a row. Each partition is one file, written beside the lake and
renamed over the old one, so a reader sees the old partition or the new one, whole.
`since` limits the work to partitions from that date on (except snapshots, always whole):
older ones stay as their last export left them."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowaudit import __version__
from flowaudit.accounts.labels import label_problem
from flowaudit.errors import DatabaseError, ExportOutputError, FlowauditError, UsageError
from flowaudit.lake.manifest import (
    FORMAT,
    PARTITIONS_DIR,
    file_lock,
    file_sha256,
    merge_account,
    partitions_path,
    read_json,
    view_hash,
    write_json,
)
from flowaudit.lake.views import (
    ACCOUNT_COLUMN,
    LAKE_VIEWS,
    PARTITION_COLUMN,
    LakeView,
    lake_columns,
    quoted,
)
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.migrations import check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.logs import get_logger

log = get_logger(__name__)

PART_FILE = "part-0.parquet"
# DuckDB's default (80% of RAM) let an export of `large` take 1.5 GB. Less than this fails:
# the views join each version (its document included) to its audit record in memory.
EXPORT_MEMORY_LIMIT = "800MB"
# Rows of the partitions one query writes: each query reads its view whole, so few and large
# (a `large` account's biggest view is one query), but a bound on what DuckDB must sort.
CHUNK_ROWS = 500_000
BATCH_ROWS = 65_536


@dataclass
class ViewExport:
    """One view of one account: its rows in the lake and what this export did to its partitions."""

    view: str
    rows: int = 0
    partitions: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class AccountExport:
    label: str
    views: list[ViewExport] = field(default_factory=list)

    def total(self, attribute: str) -> int:
        return sum(getattr(view, attribute) for view in self.views)

    def rows_of(self, view: str) -> int:
        return next(v.rows for v in self.views if v.view == view)


@dataclass
class ExportResult:
    lake: Path
    manifest: Path
    accounts: list[AccountExport]
    seconds: float = 0.0

    def summary(self) -> str:
        def total(attribute: str) -> int:
            return sum(a.total(attribute) for a in self.accounts)

        return (
            f"exported {len(self.accounts)} account(s) into {self.lake}: {total('written')} "
            f"partitions written, {total('unchanged')} unchanged, {total('removed')} removed; "
            f"{total('rows'):,} rows in {len(LAKE_VIEWS)} views, in {self.seconds:.1f}s"
        )


def export_lake(
    db: Path,
    lake: Path,
    *,
    accounts: Sequence[str] | None = None,
    since: date | None = None,
    wait_seconds: float = 0.0,
) -> ExportResult:
    """Export the accounts (default: every account the database has runs of) into the lake."""
    started = time.monotonic()
    lake = Path(lake)
    # Read-only, file access off: DuckDB hands the rows over as Arrow batches.
    con = _open(db, wait_seconds)
    try:
        labels = _accounts_to_export(db, con, accounts)
        _prepare(lake)
        with ExitStack() as locks:
            for label in sorted(labels):  # one order everywhere: two exports never deadlock
                lock = lake / f".flowaudit-export-{label}.lock"
                locks.enter_context(file_lock(lock, f"the export of account {label} into {lake}"))
            exported, manifest = _export(db, con, lake, labels, since)
    except duckdb.Error as exc:
        raise DatabaseError(describe_duckdb_error(db, exc)) from None
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise ExportOutputError(
            f"cannot write to the export directory {lake}{where}: {exc.strerror or exc}"
        ) from None
    finally:
        con.close()
    outcome = ExportResult(lake, manifest, exported, time.monotonic() - started)
    log.info("%s", outcome.summary())
    return outcome


def _accounts_to_export(
    db: Path, con: duckdb.DuckDBPyConnection, wanted: Sequence[str] | None
) -> list[str]:
    present = [
        row[0] for row in _read(db, con, "SELECT DISTINCT account FROM runs ORDER BY account")
    ]
    labels = list(dict.fromkeys(wanted)) if wanted else present
    missing = [label for label in labels if label not in present]
    if missing:
        raise UsageError(
            f"no account {', '.join(map(repr, missing))} in {db} "
            f"(it holds: {', '.join(present) or 'none yet'})"
        )
    for label in labels:
        problem = label_problem(label)
        if problem:
            raise UsageError(f"account {label!r} cannot name a lake partition: {problem}")
    return labels


def _open(db: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    con = connect(db, read_only=True, wait_seconds=wait_seconds)
    try:
        check_schema(con)
        check_public_schema(con)
        con.execute(f"SET memory_limit = '{EXPORT_MEMORY_LIMIT}'")
    except BaseException:
        con.close()
        raise
    return con


def _read(
    db: Path, con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None
) -> list[tuple]:
    try:
        return con.execute(sql, params or {}).fetchall()
    except duckdb.Error as exc:
        raise DatabaseError(describe_duckdb_error(db, exc)) from None


def _prepare(lake: Path) -> None:
    try:
        lake.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportOutputError(
            f"cannot create the export directory {lake}: {exc.strerror or exc}"
        ) from None
    if not lake.is_dir():
        raise ExportOutputError(f"the export directory {lake} is not a directory")


def _export(db, con, lake: Path, labels: list[str], since: date | None):
    """Every view of every account (each view read once for all of them), then each
    account's partition file and its entry in `_manifest.json`."""
    previous = {label: read_json(partitions_path(lake, label)).get("views", {}) for label in labels}
    now = _utc_text(datetime.now(UTC))
    recorded: dict[str, dict[str, dict[str, Any]]] = {label: {} for label in labels}
    reports = {label: AccountExport(label) for label in labels}
    for view in LAKE_VIEWS:
        scope = None if view.snapshot else since
        for label, (partitions, report) in _export_view(
            con, lake, labels, view, scope, previous, now
        ).items():
            recorded[label][view.name] = partitions
            reports[label].views.append(report)
    manifest = lake
    for label in labels:
        manifest = _record_account(db, con, lake, label, since, recorded[label], now)
    return [reports[label] for label in labels], manifest


def _record_account(db, con, lake: Path, label: str, since, recorded, now: str) -> Path:
    detail = partitions_path(lake, label)
    write_json(detail, {"format": FORMAT, "account": label, "exported_at": now, "views": recorded})
    runs = _read(
        db, con,
        "SELECT max(run_id), max(observed_at) FILTER (WHERE status = 'succeeded') FROM runs WHERE account = $a",
        {"a": label},
    )  # fmt: skip
    last_run, data_as_of = runs[0]
    entry = {
        "exported_at": now,
        "flowaudit_version": __version__,
        "database": str(db),
        "last_run_id": last_run,
        "data_as_of": _utc_text(data_as_of) if data_as_of else None,
        "since": since.isoformat() if since else None,
        "partitions_file": f"{PARTITIONS_DIR}/{detail.name}",
        "views": {
            name: {
                "rows": sum(p["rows"] for p in parts.values()),
                "partitions": len(parts),
                "sha256": view_hash(parts),
            }
            for name, parts in recorded.items()
        },
    }
    views = {v.name: {"date_column": v.date_column, "snapshot": v.snapshot} for v in LAKE_VIEWS}
    return merge_account(lake, label, entry, views)


def _export_view(con, lake: Path, labels: list[str], view: LakeView, since, previous, now: str):
    """One view for every account: {label: (its partitions as recorded, what was done)}."""
    rows = (
        f"SELECT {ACCOUNT_COLUMN}, {', '.join(lake_columns(con, view))} "
        f"FROM main.{quoted(view.name)} WHERE {ACCOUNT_COLUMN} IN (SELECT unnest(CAST($accounts AS VARCHAR[])))"
    )
    fingerprints = _fingerprints(con, view, rows, labels, since)
    first = since.isoformat() if since else None
    plans = {}
    for label in labels:
        old = previous[label].get(view.name, {})
        found = fingerprints.get(label, {})
        target = _target(lake, view, label)
        todo = [
            day for day, (count, content) in found.items()
            if old.get(day, {}).get("content") != content or old[day].get("rows") != count
            or not (target / f"{PARTITION_COLUMN}={day}" / PART_FILE).is_file()
        ]  # fmt: skip
        plans[label] = (old, found, todo)
    written = _write_partitions(con, view, rows, lake, {label: plan[2] for label, plan in plans.items()},
                                fingerprints, now)  # fmt: skip
    result = {}
    for label, (old, found, todo) in plans.items():
        kept = {day: entry for day, entry in old.items() if first is not None and day < first}
        unchanged = {day: old[day] for day in found if day not in todo}
        mine = written.get(label, {})
        removed = _remove_partitions(
            _target(lake, view, label), keep=set(found) | set(kept), first=first
        )
        partitions = dict(sorted({**kept, **unchanged, **mine}.items()))
        report = ViewExport(
            view.name, rows=sum(p["rows"] for p in partitions.values()), partitions=len(partitions),
            written=len(mine), unchanged=len(unchanged), removed=len(removed),
        )  # fmt: skip
        result[label] = (partitions, report)
    return result


def _target(lake: Path, view: LakeView, label: str) -> Path:
    return lake / view.name / f"{ACCOUNT_COLUMN}={label}"


def _fingerprints(con, view: LakeView, rows: str, labels: list[str], since: date | None):
    """{label: {day: (rows, an order-free content fingerprint)}}. The fingerprint is DuckDB's
    row hash summed (columns computed from another hashed column left out); a DuckDB version
    that hashes differently only rewrites every partition once."""
    where = f"WHERE {PARTITION_COLUMN} >= $since" if since else ""
    params: dict[str, Any] = {"accounts": labels, **({"since": since} if since else {})}
    hashed = ", ".join(f"t.{quoted(c)}" for c in _column_names(con, view) if c not in view.derived)
    found = con.execute(
        f"SELECT {ACCOUNT_COLUMN}, CAST({PARTITION_COLUMN} AS VARCHAR), count(*), "
        f"CAST(sum(hash({hashed})) AS VARCHAR) FROM ({rows}) t {where} GROUP BY ALL",
        params,
    ).fetchall()
    result: dict[str, dict[str, tuple[int, str]]] = {}
    for label, day, count, total in found:
        if day is None:
            raise DatabaseError(
                f"view {view.name} has rows without {view.date_column}: they cannot be partitioned by date"
            )
        result.setdefault(label, {})[day] = (int(count), f"duckdb {duckdb.__version__}:{total}")
    return result


def _column_names(con, view: LakeView) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $v "
        "ORDER BY column_index",
        {"v": view.name},
    ).fetchall()
    return [name for (name,) in rows if name != ACCOUNT_COLUMN] + [PARTITION_COLUMN]


_KEY = "__flowaudit_partition"


def _write_partitions(
    con, view, rows: str, lake: Path, todo: dict[str, list[str]], fingerprints, now: str
):
    """Write each (account, day) of todo, a few partitions at a time: their rows streamed from
    DuckDB sorted by account and date, one file per partition written beside the old one and
    renamed over it (atomic for readers). Returns {label: {day: entry}}."""
    written: dict[str, dict[str, dict[str, Any]]] = {}
    for chunk in _chunks(todo, fingerprints):
        _write_chunk(con, view, rows, lake, chunk, fingerprints, now, written)
    missing = [
        (label, day)
        for label, days in todo.items()
        for day in days
        if day not in written.get(label, {})
    ]
    if missing:
        raise FlowauditError(
            f"internal error: the {view.name} rows of {missing[0][0]} for {missing[0][1]} were not read back"
        )
    return written


def _chunks(todo: dict[str, list[str]], fingerprints) -> list[list[tuple[str, str]]]:
    """The partitions to write, in groups of at most about CHUNK_ROWS rows (DuckDB sorts one
    group at a time)."""
    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for label in sorted(todo):
        for day in sorted(todo[label]):
            rows = fingerprints[label][day][0]
            if current and size + rows > CHUNK_ROWS:
                chunks.append(current)
                current, size = [], 0
            current.append((label, day))
            size += rows
    if current:
        chunks.append(current)
    return chunks


def _write_chunk(con, view, rows: str, lake: Path, pairs, fingerprints, now: str, written) -> None:
    reader = con.sql(
        f"SELECT t.*, t.{ACCOUNT_COLUMN} || '/' || CAST(t.{PARTITION_COLUMN} AS VARCHAR) AS {_KEY} "
        f"FROM ({rows}) t SEMI JOIN (SELECT unnest(CAST($labels AS VARCHAR[])) AS account, "
        f"unnest(CAST($days AS DATE[])) AS day) k ON t.{ACCOUNT_COLUMN} = k.account AND t.{PARTITION_COLUMN} = k.day "
        f"ORDER BY t.{ACCOUNT_COLUMN}, t.{PARTITION_COLUMN}",
        params={
            "accounts": sorted({label for label, _ in pairs}),
            "labels": [label for label, _ in pairs],
            "days": [day for _, day in pairs],
        },
    ).to_arrow_reader(BATCH_ROWS)
    schema = reader.schema
    for column in (ACCOUNT_COLUMN, PARTITION_COLUMN, _KEY):
        schema = schema.remove(schema.get_field_index(column))
    current: _PartitionFile | None = None

    def finish(part: _PartitionFile) -> None:
        written.setdefault(part.label, {})[part.day] = part.finish(fingerprints[part.label], now)

    for batch in reader:
        for key, rows_of_partition in _split_by_partition(batch):
            label, day = key.rsplit("/", 1)
            if current is None or (current.label, current.day) != (label, day):
                if current is not None:
                    finish(current)
                current = _PartitionFile(_target(lake, view, label), day, schema, view.name, label)
            current.write(rows_of_partition)
    if current is not None:
        finish(current)


def _split_by_partition(batch: pa.RecordBatch) -> list[tuple[str, pa.RecordBatch]]:
    """A batch sorted by partition, as (account/day, its rows without those columns) slices."""
    runs = pc.run_end_encode(batch.column(_KEY))
    rows = batch.drop_columns([ACCOUNT_COLUMN, PARTITION_COLUMN, _KEY])
    slices, start = [], 0
    for key, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        slices.append((key, rows.slice(start, end - start)))
        start = end
    return slices


class _PartitionFile:
    """One partition's new file, written under a hidden name in its folder until it is whole."""

    def __init__(self, target: Path, day: str, schema: pa.Schema, view: str, label: str):
        self.day, self.view, self.label = day, view, label
        self.final = target / f"{PARTITION_COLUMN}={day}" / PART_FILE
        self.final.parent.mkdir(parents=True, exist_ok=True)
        # Fixed name: exports of one account never overlap (its lock), and readers skip dot files.
        self.partial = self.final.with_name(f".{PART_FILE}.partial")
        self.writer = pq.ParquetWriter(self.partial, schema, compression="zstd")
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)
        self.rows += batch.num_rows

    def finish(self, fingerprints: dict[str, tuple[int, str]], now: str) -> dict[str, Any]:
        self.writer.close()
        expected, content = fingerprints[self.day]
        if self.rows != expected:
            raise FlowauditError(
                f"internal error: the {self.view} partition {self.day} of {self.label} has "
                f"{self.rows} rows, its fingerprint {expected}"
            )
        entry = {"rows": self.rows, "content": content, "sha256": file_sha256(self.partial),
                 "bytes": self.partial.stat().st_size, "exported_at": now}  # fmt: skip
        os.replace(self.partial, self.final)  # atomic: readers see the old partition or this one
        return entry


def _remove_partitions(target: Path, *, keep: set[str], first: str | None) -> list[str]:
    """Remove the dates (from `first` on) the data no longer has; return them."""
    if not target.is_dir():
        return []
    removed = []
    prefix = f"{PARTITION_COLUMN}="
    for child in sorted(target.iterdir()):
        day = child.name[len(prefix) :] if child.name.startswith(prefix) else None
        if day is None or day in keep or (first is not None and day < first) or not child.is_dir():
            continue
        shutil.rmtree(child)
        removed.append(day)
    return removed


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
