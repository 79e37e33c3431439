"""Benchmark of the load: whole runs (fetch + load) of the simulator's `large` account, and
the load alone on a synthetic staging area.

    .venv/bin/python bench/bench_load.py [--size large] [--repeat 3]
    .venv/bin/python bench/bench_load.py --synthetic [--records 500000] [--docs 25000]

Simulated (default): the simulator runs in its own process (`flowaudit simulate`, no latency,
rate limit out of the way); each repetition starts it afresh, runs a full extract into a new
database, advances the account a day (`POST /_sim/advance?hours=24`) and runs the nightly
extract. Every extract runs in a child process of its own, so its peak memory (ru_maxrss)
is the whole run's: fetch and load. Reports fetch and load seconds, the load's stages, the
audit stage's records per second, and the best of the repetitions (the machine is shared).

Synthetic: writes a staging area (listings + audit.ndjson), then times a first full load
and a second identical one in this process, with no network."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx

from flowaudit.load.loader import load_staging
from flowaudit.load.migrations import migrate
from flowaudit.load.runs import begin_run

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-not-secret"
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


def synthetic(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        staging = work / "staging"
        t = time.perf_counter()
        write_staging(staging, args.records, args.docs)
        print(f"wrote staging ({args.docs} docs, {args.records} audit records) in {time.perf_counter() - t:.1f}s")
        db = Path(args.db) if args.db else work / "bench.duckdb"
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


# -- simulated: whole runs against the served simulator ----------------------------------------


def start_simulator(size: str, seed: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "simulate", "--port", "0", "--size", size,
         "--seed", str(seed), "--token", TOKEN, "--rate", "1000000", "--burst", "1000000"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise SystemExit("the simulator did not start")
    return server, url


def run_child(url: str, db: Path) -> dict:
    """One extract (fetch + load) in a child process; its JSON report with its peak memory."""
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--url", url, "--db", str(db)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN},
        check=False,
    )  # fmt: skip
    if child.returncode != 0:
        raise SystemExit(f"the extract child failed with exit code {child.returncode}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def child_main(url: str, db: Path) -> None:
    from flowaudit.config import resolve_settings
    from flowaudit.pipeline import run_extract

    settings = resolve_settings({"db": db, "api_url": url, "rate": 100_000, "concurrency": 16})
    result = run_extract(settings)
    stages = result.counts["load_seconds"]
    records = result.counts.get("audit_records_read", 0)
    print(json.dumps({
        "mode": result.mode,
        "run_seconds": round(result.seconds, 2),
        "fetch_seconds": round(result.fetch_seconds, 2),
        "load_seconds": round(result.load_seconds, 2),
        "stages": stages,
        "audit_records": records,
        "new_field_changes": result.counts.get("new_field_changes", 0),
        "audit_records_per_second": round(records / stages["audit"]) if stages.get("audit") else None,
        "new_versions": result.counts.get("new_versions", 0),
        "reconstructed_versions": result.counts.get("reconstructed_versions", 0),
        "hashed_documents": result.counts.get("hashed_documents", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "db_mb": round(db.stat().st_size / 1e6),
    }))  # fmt: skip


def simulated(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    runs: list[dict] = []
    try:
        for repetition in range(1, args.repeat + 1):
            server, url = start_simulator(args.size, args.seed)
            try:
                db = work / f"run{repetition}.duckdb"
                full = run_child(url, db)
                httpx.post(url.replace("/v1", "/_sim/advance"), params={"hours": 24}, timeout=300)
                nightly = run_child(url, db)
            finally:
                server.terminate()
                server.wait()
            runs.append({"full": full, "nightly": nightly, "load_average": os.getloadavg()[0]})
            print(json.dumps(runs[-1]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {
        kind: {
            "run_seconds": min(r[kind]["run_seconds"] for r in runs),
            "fetch_seconds": min(r[kind]["fetch_seconds"] for r in runs),
            "load_seconds": min(r[kind]["load_seconds"] for r in runs),
            "peak_rss_mb": min(r[kind]["peak_rss_mb"] for r in runs),
            "audit_records_per_second": max(r[kind]["audit_records_per_second"] or 0 for r in runs),
        }
        for kind in ("full", "nightly")
    }
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "duckdb": duckdb.__version__, "platform": platform.platform()}  # fmt: skip
    print(json.dumps({"size": args.size, "repeat": args.repeat, "best": best, "machine": machine}, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--docs", type=int, default=25_000)
    parser.add_argument("--db")
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child_main(args.url, Path(args.db))
    elif args.synthetic:
        synthetic(args)
    else:
        simulated(args)


if __name__ == "__main__":
    main()
