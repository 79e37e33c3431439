"""Versions: from what a run listed and what the audit log says, the history of every
resource (inside the caller's transaction).

1. `stage_listing_lines` (before the transaction): DuckDB reads and checks every listing line.
2. `observe`: the listed documents become observations (store.observations: one row per
   stretch of runs that listed the same content); only documents whose text changed are
   parsed and hashed in Python. The resources whose history must be rebuilt go into the
   temp table `touched`.
3. `rebuild`: the history of every touched resource is rebuilt whole from its observations
   and audit records (flowaudit.load.history), streamed from DuckDB one resource after
   another (shared with worker processes when it is large: flowaudit.load.rebuild_pool) and
   written back through Arrow files (written and memory-mapped by pyarrow, so the connection
   needs no file access) in one insert per table, so memory stays flat on large accounts.
   The directory and the attribution of steps to flows follow."""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from flowaudit.documents.canonical import content_hash
from flowaudit.documents.volatility import VolatileFields, volatile_fields_for
from flowaudit.errors import ApiContractError
from flowaudit.load.db import fetch_sql_file, run_sql_file, statements
from flowaudit.load.history_rows import TABLES, Checkpoints, HistoryFiles, read_tables
from flowaudit.load.rebuild_pool import MIN_ROWS_FOR_WORKERS, RebuildPool
from flowaudit.load.staging_reader import LISTINGS, Manifest, read_listing_lines
from flowaudit.logs import get_logger
from flowaudit.registry import TYPE_NAMES

log = get_logger(__name__)

# Rows per batch handed between Python and DuckDB: bounds the memory either side holds.
BATCH_ROWS = 20_000
_LINES_SCHEMA = pa.schema(
    [("listing", pa.string()), ("listing_order", pa.int32()), ("resource_type", pa.string()),
     ("line_no", pa.int64()), ("text", pa.string())]
)  # fmt: skip
_HASHES_SCHEMA = pa.schema(
    [(n, pa.string()) for n in ("resource_type", "resource_id", "content_hash")]
)
_REFS_SCHEMA = pa.schema(
    [(n, pa.string()) for n in ("resource_type", "resource_id", "ref_type", "ref_id", "path")]
)
_STEPS_SCHEMA = pa.schema([(n, pa.string()) for n in ("flow_id", "resource_type", "resource_id")])
_CONNECTIONS_SCHEMA = pa.schema([(n, pa.string()) for n in ("step_type", "step_id", "connection_id")])
_KEPT_SCHEMA = pa.schema([("resource_type", pa.string()), ("resource_id", pa.string()), ("kept", pa.int32())])


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
        # Those only the audit log knows (deleted before the first run) too: the new
        # volatile fields change which of their records make versions.
        con.execute(
            "INSERT INTO touched SELECT DISTINCT resource_type, resource_id FROM ("
            "SELECT resource_type, resource_id FROM store.observations WHERE account = $account "
            "UNION SELECT resource_type, resource_id FROM store.audit_records WHERE account = $account "
            "AND list_contains($types, resource_type) AND resource_id IS NOT NULL) "
            "EXCEPT SELECT * FROM touched",
            {"account": account, "types": list(TYPE_NAMES)},
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


def rebuild(
    con: duckdb.DuckDBPyConnection,
    work_dir: Path,
    hashers: Hashers,
    *,
    account: str,
    run_id: int = 0,
    manifest: Manifest | None = None,
    pool: RebuildPool | None = None,
    resume: bool = False,
) -> dict[str, int]:
    """Rebuild the history of every resource in the temp table `touched`; return counts.

    run_id and manifest: the run being loaded (its observation counts as a checkpoint).
    pool: worker processes to share the work with (one is started here when the rebuild is
    large and none is given). resume: derive each history from where the stored one can be
    resumed (a nightly load, whose store this code derived)."""
    # Versions stored exactly as rebuilt are kept, not written again: a night touches a few
    # thousand resources whose older versions stay as they were.
    derived = derive_history(con, work_dir, hashers, account=account, run_id=run_id, manifest=manifest,
                             pool=pool, keep_stored=True, resume=resume)  # fmt: skip
    try:
        counts = _store_rebuilt(con, account, derived.results)
    finally:
        derived.remove()
    refresh_derived(con, account, whole=False)
    return counts


@dataclass
class DerivedHistory:
    """The history derive_history wrote: one result per writer (its Arrow files by table,
    counts, flow steps and step connections)."""

    results: list[dict[str, Any]]

    def table(self, name: str) -> pa.Table:
        """The rows of one table (versions, changes or unexplained), memory-mapped."""
        return read_tables([r["paths"][name] for r in self.results], TABLES[name])

    def remove(self) -> None:
        for result in self.results:
            for path in result["paths"].values():
                Path(path).unlink(missing_ok=True)


def derive_history(
    con: duckdb.DuckDBPyConnection,
    work_dir: Path,
    hashers: Hashers,
    *,
    account: str,
    run_id: int = 0,
    manifest: Manifest | None = None,
    pool: RebuildPool | None = None,
    keep_stored: bool = False,
    resume: bool = False,
) -> DerivedHistory:
    """Derive the history of every resource in the temp table `touched` into Arrow files in
    work_dir (the store is only read; `flowaudit verify` derives it again this way).

    keep_stored: leave out each resource's first versions that the store holds exactly as
    derived (the results' "kept" counts say how many); else every version is written.
    resume (with keep_stored): derive each history only from where it can be resumed
    (queries/load/history_resume.sql); the versions before stay as stored."""
    checkpoint_rows = fetch_sql_file(
        con, "load/checkpoints.sql", account=account, run_id=run_id,
        observed_at=manifest.observed_at if manifest else None,
        observed_from=manifest.observed_from if manifest else None,
        listings=json.dumps(manifest.listings) if manifest else None,
    )  # fmt: skip
    checkpoints = Checkpoints(checkpoint_rows)
    run_sql_file(con, "load/history_resume.sql", account=account, run_id=run_id,
                 resume=resume and keep_stored)  # fmt: skip
    (feed,) = statements("load/history_feed.sql")
    own_pool = None
    if pool is None and _feed_rows(con, account) >= MIN_ROWS_FOR_WORKERS:
        try:
            pool = own_pool = RebuildPool(Path(work_dir), hashers.setting)
        except RuntimeError as exc:  # no processes to be had: the rebuild runs here, slower
            log.warning("%s; rebuilding the history in this process", exc)
    try:
        # While the feed streams, the connection runs nothing else: the rows wait in the files.
        batches = con.sql(feed, params={"account": account, "with_stored": keep_stored}).to_arrow_reader(BATCH_ROWS)
        try:
            if pool is not None:
                results = pool.run(batches, checkpoints)
            else:
                files = HistoryFiles(Path(work_dir), "main")
                try:
                    files.rebuild(batches, checkpoints, hashers)
                finally:
                    results = [files.close()]
        finally:
            batches.close()  # the feed's result holds DuckDB memory until it is closed
    finally:
        if own_pool is not None:
            own_pool.close()
    return DerivedHistory(results)


def _feed_rows(con: duckdb.DuckDBPyConnection, account: str) -> int:
    """About how many rows the feed holds (records and observations of touched resources)."""
    return int(
        con.execute(
            "SELECT (SELECT count(*) FROM store.audit_records AS a SEMI JOIN touched USING (resource_type, resource_id) "
            "LEFT JOIN resume_points AS r USING (resource_type, resource_id) "
            "WHERE account = $account AND (r.resume_at IS NULL OR a.time >= r.resume_at)) "
            "+ (SELECT count(*) FROM touched)",
            {"account": account},
        ).fetchall()[0][0]
    )


def _store_rebuilt(con: duckdb.DuckDBPyConnection, account: str, results: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rebuilt rows the writers left in their files; flow steps and connections."""
    counts = {"rebuilt_resources": 0, "resumed_resources": 0, "versions": 0, "unexplained_changes": 0,
              "unreplayable_changes": 0, "kept_versions": 0}  # fmt: skip
    kept: dict[tuple[str, str], int] = {}
    steps: set[tuple[str, str, str]] = set()
    connections: set[tuple[str, str, str]] = set()
    refs: set[tuple[str, str, str, str, str]] = set()
    for result in results:
        for name in counts:
            counts[name] += result["counts"][name]
        steps |= result["steps"]
        connections |= result["connections"]
        refs |= result["refs"]
        kept.update(result["kept"])
    names = []
    try:
        for table, schema in TABLES.items():
            name = f"rebuilt_{table}"
            con.register(name, read_tables([r["paths"][table] for r in results], schema))
            names.append(name)
        keys = list(zip(*kept, strict=True)) or [[], []]
        con.register("rebuilt_kept", pa.table(
            {"resource_type": list(keys[0]), "resource_id": list(keys[1]), "kept": list(kept.values())},
            schema=_KEPT_SCHEMA,
        ))  # fmt: skip
        names.append("rebuilt_kept")
        run_sql_file(con, "load/versions_replace.sql", account=account)
    finally:
        for name in names:
            with suppress(duckdb.Error):  # after a failed insert: keep its error
                con.unregister(name)
    if steps:
        columns = list(zip(*sorted(steps), strict=True))
        table = {"flow_id": list(columns[0]), "resource_type": list(columns[1]), "resource_id": list(columns[2])}
        con.register("staged_flow_steps", pa.table(table, schema=_STEPS_SCHEMA))
        try:
            run_sql_file(con, "load/flow_steps_insert.sql", account=account)
        finally:
            con.unregister("staged_flow_steps")
    if connections:
        columns = list(zip(*sorted(connections), strict=True))
        used = {"step_type": list(columns[0]), "step_id": list(columns[1]), "connection_id": list(columns[2])}
        con.register("staged_step_connections", pa.table(used, schema=_CONNECTIONS_SCHEMA))
        try:
            run_sql_file(con, "load/step_connections_insert.sql", account=account)
        finally:
            con.unregister("staged_step_connections")
    if refs:
        columns = list(zip(*sorted(refs), strict=True))
        table = {name: list(column) for name, column in zip(_REFS_SCHEMA.names, columns, strict=True)}
        con.register("staged_resource_refs", pa.table(table, schema=_REFS_SCHEMA))
        try:
            run_sql_file(con, "load/resource_refs_insert.sql", account=account)
        finally:
            con.unregister("staged_resource_refs")
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
    touch_every_resource(con, account)
    try:
        return rebuild(con, work_dir, hashers, account=account)
    finally:
        con.execute("DROP TABLE IF EXISTS temp.touched")


def touch_every_resource(con: duckdb.DuckDBPyConnection, account: str) -> None:
    """The temp table `touched` with every resource of account that has a history: what it
    was listed as, and what its audit records name."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE touched AS "
        "SELECT resource_type, resource_id FROM store.observations WHERE account = $account "
        "UNION SELECT resource_type, resource_id FROM store.audit_records "
        "WHERE account = $account AND list_contains($types, resource_type) AND resource_id IS NOT NULL",
        {"account": account, "types": list(TYPE_NAMES)},
    )


def refresh_derived(con: duckdb.DuckDBPyConnection, account: str, *, whole: bool = True) -> None:
    """Bring the directory and attribution of account up to date (queries/load/derived_refresh.sql):
    of the resources in the temp table `touched`, or (whole) of every resource."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS touched (resource_type VARCHAR, resource_id VARCHAR)"
    )
    run_sql_file(con, "load/derived_refresh.sql", account=account, whole=whole)
