"""Resource versions from the listed documents. DuckDB reads and checks the listing lines
and sets apart the documents whose text is what the store already holds: only the others
(new or changed ones, a few hundred on a nightly run) are parsed and hashed in Python.
SQL then decides per resource whether it is unchanged, changed, new or deleted
(queries/load/versions_*.sql), and keeps `store.latest_documents` and `store.flow_steps`.
Runs inside the caller's transaction."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from flowaudit.errors import ApiContractError
from flowaudit.load.documents import ContentHasher, flow_steps
from flowaudit.load.sqlfiles import fetch_sql_file, run_sql_file
from flowaudit.load.staging_reader import LISTINGS, Manifest, read_listing_lines

# Rows per batch handed between Python and DuckDB: bounds the memory either side holds.
BATCH_ROWS = 20_000

_LINES_SCHEMA = pa.schema(
    [("listing", pa.string()), ("listing_order", pa.int32()), ("resource_type", pa.string()),
     ("line_no", pa.int64()), ("text", pa.string())]
)
_HASHES_SCHEMA = pa.schema([(n, pa.string()) for n in ("resource_type", "resource_id", "content_hash")])
_STEPS_SCHEMA = pa.schema([(n, pa.string()) for n in ("flow_id", "resource_type", "resource_id")])


def stage_listing_lines(con: duckdb.DuckDBPyConnection, staging_dir: Path, manifest: Manifest) -> None:
    """Read every listing line into the temp table `staged_lines`; ApiContractError (one
    line naming the file and line) if one cannot be a document. Call it outside a
    transaction: a line DuckDB cannot parse fails a statement, which would abort it."""
    _stage_lines(con, staging_dir, manifest)
    problem = fetch_sql_file(con, "load/documents_problems.sql")
    if problem:
        listing, line_no, what = problem[0]
        raise ApiContractError(f"{listing}.ndjson line {line_no}: {what}")


def stage_documents(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, hasher: ContentHasher, *, account: str
) -> dict[str, int]:
    """From `staged_lines`, create the temp tables `staged_docs` (one row per listed
    resource), `staged_hashes` (content hashes of those not known unchanged) and
    `staged_flow_steps`; return counts."""
    trust_raw = _hash_basis_unchanged(con, account, hasher)
    run_sql_file(con, "load/documents_stage.sql", account=account, trust_raw=trust_raw)
    con.execute("DROP TABLE temp.staged_lines")
    hashed = _hash_changed_documents(con, hasher)
    counts = {
        listing: 0 for listing, resource_type in LISTINGS.items()
        if resource_type in manifest.present_listings
    }
    by_type = dict(con.execute("SELECT resource_type, count(*) FROM staged_docs GROUP BY ALL").fetchall())
    for listing in counts:
        counts[listing] = int(by_type.get(LISTINGS[listing], 0))
    counts["hashed_documents"] = hashed
    return counts


def _stage_lines(con: duckdb.DuckDBPyConnection, staging_dir: Path, manifest: Manifest) -> None:
    """The temp table `staged_lines`: every listing line, parsed by DuckDB (doc NULL: not
    JSON), with its `_id` and `createdAt` as JSON values."""
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


def _insert_lines(con, listing: str, order: int, resource_type: str, lines: list[tuple[int, str]]) -> None:
    numbers, texts = zip(*lines, strict=True)
    n = len(lines)
    table = pa.table(
        [pa.array([listing] * n), pa.array([order] * n, pa.int32()),
         pa.array([resource_type] * n), pa.array(numbers, pa.int64()), pa.array(texts)],
        schema=_LINES_SCHEMA,
    )
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


def _hash_changed_documents(con: duckdb.DuckDBPyConnection, hasher: ContentHasher) -> int:
    """Hash the staged documents not known unchanged into `staged_hashes`, and collect the
    steps of those that are flows into `staged_flow_steps` (an unchanged flow's steps are
    stored already); return how many were hashed."""
    hashes: dict[str, list[str]] = {"resource_type": [], "resource_id": [], "content_hash": []}
    steps: dict[str, list[str]] = {"flow_id": [], "resource_type": [], "resource_id": []}
    result = con.execute(
        "SELECT resource_type, resource_id, CAST(doc AS VARCHAR) FROM staged_docs WHERE NOT raw_unchanged"
    )
    while rows := result.fetchmany(BATCH_ROWS):
        for resource_type, resource_id, text in rows:
            doc = json.loads(text)
            hashes["resource_type"].append(resource_type)
            hashes["resource_id"].append(resource_id)
            hashes["content_hash"].append(hasher.content_hash(doc, text))
            if resource_type == "flow":
                for step_type, step_id in set(flow_steps(doc)):
                    steps["flow_id"].append(resource_id)
                    steps["resource_type"].append(step_type)
                    steps["resource_id"].append(step_id)
    con.register("staged_hashes_input", pa.table(hashes, schema=_HASHES_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP TABLE staged_hashes AS SELECT * FROM staged_hashes_input")
    con.unregister("staged_hashes_input")
    replace_flow_steps_table(con, steps)
    return len(hashes["content_hash"])


def _hash_basis_unchanged(con: duckdb.DuckDBPyConnection, account: str, hasher: ContentHasher) -> bool:
    """Whether the account's stored hashes were taken the way this run takes them; records
    this run's way. If not, every document is hashed again (as when volatile_fields change)."""
    key = f"content_hash_basis:{account}"
    rows = con.execute("SELECT value FROM store.meta WHERE key = $key", {"key": key}).fetchall()
    con.execute(
        "INSERT OR REPLACE INTO store.meta VALUES ($key, $value)", {"key": key, "value": hasher.basis}
    )
    return bool(rows) and rows[0][0] == hasher.basis


def replace_flow_steps_table(con: duckdb.DuckDBPyConnection, steps: dict[str, list[str]]) -> None:
    """(Re)create the temp table `staged_flow_steps` from columns of flow steps."""
    con.register("staged_flow_steps_input", pa.table(steps, schema=_STEPS_SCHEMA))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged_flow_steps AS SELECT * FROM staged_flow_steps_input"
    )
    con.unregister("staged_flow_steps_input")


def save_versions(
    con: duckdb.DuckDBPyConnection, manifest: Manifest, *, account: str, run_id: int
) -> dict[str, int]:
    """Apply the staged documents to the version history; return counts."""
    params = {
        "account": account,
        "run_id": run_id,
        "observed_at": manifest.observed_at,
        "complete_types": list(manifest.complete_listings),
    }
    run_sql_file(con, "load/versions_plan.sql", **params)
    new_by_type = dict(
        con.execute(
            "SELECT resource_type, count(*) FROM version_plan WHERE NOT unchanged GROUP BY ALL"
        ).fetchall()
    )
    run_sql_file(con, "load/versions_apply.sql", **params)
    deleted = fetch_sql_file(con, "load/versions_close_deleted.sql", **params)[0][0]
    run_sql_file(con, "load/latest_documents_replace.sql", **params)
    run_sql_file(con, "load/flow_steps_insert.sql", **params)
    counts = {f"new_{t}_versions": int(new_by_type.get(t, 0)) for t in LISTINGS.values()}
    counts["new_versions"] = sum(new_by_type.values())
    counts["deleted"] = int(deleted)
    return counts
