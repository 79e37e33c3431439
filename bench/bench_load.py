"""Load throughput of the store on a synthetic `large`-sized staging area (no network).

    .venv/bin/python bench/bench_load.py [--records 500000] [--docs 25000] [--db PATH]

Writes a staging area (listings + audit.ndjson), then times a first full load (audit
records, field changes, versions, backwards replay), a second identical load, and reports
audit records per second and the process's peak memory."""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from flowaudit.load.migrations import migrate
from flowaudit.load.runs import begin_run
from flowaudit.load.save import load_staging

NOW = datetime(2026, 3, 1, 2, tzinfo=UTC)


def api_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hexid(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def write_staging(directory: Path, records: int, docs: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    share = {"integrations": 0.04, "connections": 0.08, "exports": 0.34, "imports": 0.34}
    ids = {kind: [hexid(rng) for _ in range(int(docs * f))] for kind, f in share.items()}
    ids["flows"] = [hexid(rng) for _ in range(docs - sum(len(v) for v in ids.values()))]
    created = api_time(NOW - timedelta(days=400))
    listings: dict[str, list[dict]] = {}
    for kind, kind_ids in ids.items():
        listings[kind] = []
        for n, rid in enumerate(kind_ids):
            doc = {"_id": rid, "name": f"{kind[:-1]} {n}", "createdAt": created,
                   "lastModified": api_time(NOW - timedelta(days=1))}
            if kind == "flows":
                doc.update({
                    "_integrationId": rng.choice(ids["integrations"]), "disabled": rng.random() < 0.2,
                    "schedule": "? 0 2 ? * *", "timezone": "Europe/Berlin",
                    "pageGenerators": [{"_exportId": rng.choice(ids["exports"])}],
                    "pageProcessors": [{"type": "import", "_importId": rng.choice(ids["imports"])},
                                       {"type": "export", "_exportId": rng.choice(ids["exports"])}],
                    "lastExecutedAt": api_time(NOW - timedelta(hours=3)),
                })
            elif kind in ("exports", "imports"):
                doc.update({"_connectionId": rng.choice(ids["connections"]),
                            "adaptorType": "HTTPExport" if kind == "exports" else "HTTPImport",
                            "http": {"relativeURI": f"/v1/items/{n}", "method": "GET",
                                     "paging": {"method": "link", "maxPagePath": "next"}},
                            "mapping": {"fields": [{"extract": f"a{i}", "generate": f"b{i}"} for i in range(8)]}})
            else:
                doc.update({"type": "rest", "rest": {"baseURI": "https://x.example.com", "bearerToken": "******"}})
            listings[kind].append(doc)
        with open(directory / f"{kind}.ndjson", "w") as out:
            for doc in listings[kind]:
                out.write(json.dumps(doc, separators=(",", ":")) + "\n")
    everything = [(kind[:-1], rid) for kind, kind_ids in ids.items() for rid in kind_ids]
    start = NOW - timedelta(days=365)
    span = (NOW - start).total_seconds()
    with open(directory / "audit.ndjson", "w") as out:
        for n in range(records):
            resource_type, rid = everything[n % len(everything)] if n < len(everything) else rng.choice(everything)
            create = n < len(everything)
            moment = start + timedelta(seconds=(n / records) * span)
            changes = [] if create else [
                rng.choice([
                    {"fieldPath": "disabled", "oldValue": True, "newValue": False},
                    {"fieldPath": "name", "oldValue": f"old {n}", "newValue": f"new {n}"},
                    {"fieldPath": "http.relativeURI", "oldValue": f"/v0/{n}", "newValue": f"/v1/{n}"},
                    {"fieldPath": "description", "newValue": "set"},
                ])
                for _ in range(1 + (n % 5 == 0))
            ]
            record = {"_id": hexid(rng), "resourceType": resource_type, "_resourceId": rid,
                      "source": rng.choice(["ui", "api"]), "event": "create" if create else "update",
                      "time": api_time(moment), "fieldChanges": changes,
                      "byUser": {"_id": "u1", "name": "Ada", "email": "ada@example.com"}}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    manifest = {
        "account": "default", "observed_at": api_time(NOW),
        "listings": {k: {"complete": True, "count": len(v), "pages": 1} for k, v in listings.items()},
        "audit": {"mode": "full", "complete": True,
                  "windows": [{"from": None, "to": api_time(NOW), "records": records, "pages": 1}]},
        "requests": 0, "retries": 0,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--docs", type=int, default=25_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        staging = work / "staging"
        t = time.perf_counter()
        write_staging(staging, args.records, args.docs)
        print(f"wrote staging ({args.docs} docs, {args.records} audit records) in {time.perf_counter() - t:.1f}s")
        db = args.db or work / "bench.duckdb"
        con = duckdb.connect(str(db))
        migrate(con)
        for label in ("first load", "second identical load"):
            run_id = begin_run(con, "default", "full", "bench")
            t = time.perf_counter()
            counts = load_staging(con, staging, run_id)
            seconds = time.perf_counter() - t
            print(f"{label}: {seconds:.2f}s, {counts['audit_records_read'] / seconds:,.0f} audit records/s; "
                  f"new records {counts['new_audit_records']}, field changes {counts['new_field_changes']}, "
                  f"versions {counts['new_versions']}, reconstructed {counts['reconstructed_versions']}")
            print(f"  stages: {counts['load_seconds']}")
        con.close()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS) {peak_mb:.0f} MB; database {db.stat().st_size / 1e6:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
