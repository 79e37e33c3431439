"""Benchmark of reading jobs and open errors: a full run, then a night, against the
simulator's `large` account served on loopback (50 ms latency, the API's default rate limit:
burst 1,000, 300 requests/s), with every request counted by route.

    .venv/bin/python bench/bench_jobs.py [--size large] [--latency-ms 50] [--seed 1]

After the night, the same night is run again into a copy of the database made before it,
without reading jobs and open errors: the difference is what jobs cost a night.

The simulator runs in its own process (`flowaudit simulate`), each extract in a child
process of its own (its ru_maxrss is the whole run's peak: fetch and load). The requests
by route are the simulator's own counters (`GET /_sim/counters`) around each run. CPU
seconds are counted for the extract and for the simulator apart (on a busy machine the
wall times mostly measure the other jobs). Prints a JSON summary; BENCHMARKS.md ("Jobs")
holds the numbers."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_extract import TOKEN, start_simulator  # noqa: E402


def child(url: str, db: Path, jobs: bool) -> dict:
    """One flowaudit extract (default settings) into db; what it did, read back from it.
    jobs False: the same run without reading jobs and open errors (for comparison)."""
    from flowaudit import pipeline
    from flowaudit.config import resolve_settings
    from flowaudit.load.db import connect

    if not jobs:
        fetch = pipeline._fetch

        async def without_jobs(*args):  # the run's own _fetch, with no JobsRequest
            # (settings, token, transport, staging, watermark, progress, strategy, clock,
            # scripts, jobs, shared_cap): jobs is the tenth.
            return await fetch(*args[:9], None, *args[10:])

        pipeline._fetch = without_jobs
    result = pipeline.run_extract(resolve_settings({"db": db, "api_url": url}))
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT mode, complete, windows, pages, jobs_read, new_jobs, updated_jobs, error_flows, "
            "error_requests FROM job_reads WHERE run_id = ?",
            [result.run_id],
        ).fetchall()
        read = rows[0] if rows else (None,) * 9
        stored = con.execute("SELECT count(*) FROM store.jobs").fetchall()[0][0]
    finally:
        con.close()
    names = ("mode", "complete", "windows", "pages", "jobs_read", "new_jobs", "updated_jobs",
             "error_flows", "error_requests")  # fmt: skip
    return {
        "run_mode": result.mode,
        "requests": result.requests,
        "retries": result.retries,
        "fetch_seconds": round(result.fetch_seconds, 2),
        "load_seconds": round(result.load_seconds, 2),
        "run_seconds": round(result.seconds, 2),
        "load_stages": result.counts.get("load_seconds", {}),
        "jobs": dict(zip(names, read, strict=True)),
        "jobs_stored": stored,
        "audit_records_read": result.counts.get("audit_records_read", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_seconds": round(_cpu(resource.getrusage(resource.RUSAGE_SELF)), 2),
    }


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(url: str, db: Path, *, jobs: bool = True) -> dict:
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, __file__, "--child", "--url", url, "--db", str(db), *([] if jobs else ["--no-jobs"])],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN},
    )  # fmt: skip
    if process.returncode != 0:
        raise SystemExit(f"the extract failed: {process.stderr.strip().splitlines()[-1:]}")
    report = json.loads(process.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = round(time.monotonic() - started, 2)
    return report


def routes(url: str) -> Counter:
    counters = httpx.get(url.replace("/v1", "/_sim/counters"), timeout=60).json()
    return Counter(counters["by_route"])


def grouped(before: Counter, after: Counter) -> dict[str, int]:
    """Requests of a run by what they read."""
    spent = after - before
    groups: Counter = Counter()
    for route, count in spent.items():
        if route == "GET /v1/jobs":
            groups["jobs"] += count
        elif route.endswith("/errors"):
            groups["open errors"] += count
        elif route == "GET /v1/audit":
            groups["audit"] += count
        else:
            groups["listings and other"] += count
    groups["total"] = sum(spent.values())
    return dict(groups)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--db")
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--no-jobs", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.url, Path(args.db), not args.no_jobs)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    started = time.monotonic()
    server, url = start_simulator(args.size, args.latency_ms, args.seed)
    results: dict = {"simulator_start_seconds": round(time.monotonic() - started, 1)}
    try:
        before, cpu = routes(url), process_cpu(server.pid)
        results["full"] = run_child(url, work / "a.duckdb")
        results["full"]["simulator_cpu_seconds"] = round(process_cpu(server.pid) - cpu, 2)
        results["full"]["requests_by_route"] = grouped(before, routes(url))
        shutil.copyfile(work / "a.duckdb", work / "b.duckdb")  # the same night, without jobs
        # On disk before the night: otherwise the kernel writes the copy back during the
        # nights, and the run on the copy flushes it at its first checkpoint (~0.2 s).
        os.sync()
        advanced = httpx.post(
            url.replace("/v1", "/_sim/advance"), params={"hours": 24}, timeout=300
        )
        results["advance"] = {k: v for k, v in advanced.json().items() if isinstance(v, int | str)}
        before_night, cpu = routes(url), process_cpu(server.pid)
        results["nightly"] = run_child(url, work / "a.duckdb")
        results["nightly"]["simulator_cpu_seconds"] = round(process_cpu(server.pid) - cpu, 2)
        results["nightly"]["requests_by_route"] = grouped(before_night, routes(url))
        before_night, cpu = routes(url), process_cpu(server.pid)
        results["nightly_without_jobs"] = run_child(url, work / "b.duckdb", jobs=False)
        results["nightly_without_jobs"]["simulator_cpu_seconds"] = round(
            process_cpu(server.pid) - cpu, 2
        )
        results["nightly_without_jobs"]["requests_by_route"] = grouped(before_night, routes(url))
    finally:
        server.terminate()
        server.wait()
    results["database_mb"] = round((work / "a.duckdb").stat().st_size / 1_048_576, 1)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
