"""Resource versions from the listed documents: hash each document (Python: ~25k of them),
then let SQL decide per resource whether it is unchanged, changed, new or deleted
(queries/load/versions_*.sql). Also keeps `store.latest_documents` and `store.flow_steps`.
Runs inside the caller's transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from flowaudit.load.documents import ContentHasher, flow_steps
from flowaudit.load.sqlfiles import fetch_sql_file, run_sql_file
from flowaudit.load.staging_reader import LISTINGS, Manifest, read_documents


def stage_documents(
    con: duckdb.DuckDBPyConnection, staging_dir: Path, manifest: Manifest, hasher: ContentHasher
) -> dict[str, int]:
    """Create the temp tables `staged_docs` and `staged_flow_steps`; return docs per type."""
    columns: dict[str, list] = {
        "resource_type": [], "resource_id": [], "content_hash": [], "doc": [], "created_at": []
    }
    steps: dict[str, list[str]] = {"flow_id": [], "resource_type": [], "resource_id": []}
    counts: dict[str, int] = {}
    for listing, resource_type in LISTINGS.items():
        path = Path(staging_dir) / f"{listing}.ndjson"
        if resource_type not in manifest.present_listings:
            continue
        latest: dict[str, tuple[str, dict]] = {}
        for resource_id, text, doc in read_documents(path):
            latest[resource_id] = (text, doc)  # a document listed twice: the later one wins
        counts[listing] = len(latest)
        for resource_id, (text, doc) in latest.items():
            columns["resource_type"].append(resource_type)
            columns["resource_id"].append(resource_id)
            columns["content_hash"].append(hasher.content_hash(doc, text))
            columns["doc"].append(text)
            created = doc.get("createdAt")
            columns["created_at"].append(created if isinstance(created, str) else None)
            if resource_type == "flow":
                for step_type, step_id in set(flow_steps(doc)):
                    steps["flow_id"].append(resource_id)
                    steps["resource_type"].append(step_type)
                    steps["resource_id"].append(step_id)
    con.register("staged_docs_input", pa.table(columns, schema=_DOCS_SCHEMA))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged_docs AS SELECT resource_type, resource_id, "
        "content_hash, CAST(doc AS JSON) AS doc, store.utc_time(created_at) AS created_at "
        "FROM staged_docs_input"
    )
    con.unregister("staged_docs_input")
    replace_flow_steps_table(con, steps)
    return counts


_DOCS_SCHEMA = pa.schema(
    [(name, pa.string()) for name in ("resource_type", "resource_id", "content_hash", "doc", "created_at")]
)


def replace_flow_steps_table(con: duckdb.DuckDBPyConnection, steps: dict[str, list[str]]) -> None:
    """(Re)create the temp table `staged_flow_steps` from columns of flow steps."""
    schema = pa.schema([(name, pa.string()) for name in ("flow_id", "resource_type", "resource_id")])
    con.register("staged_flow_steps_input", pa.table(steps, schema=schema))
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
