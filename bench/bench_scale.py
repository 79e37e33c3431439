"""Issue 13's targets measured as a new user meets them: whole `flowaudit` processes against
the simulator served on loopback with 50 ms latency and the account's bucket (burst 1,000,
300 requests/s), beside a plain sequential extractor in the same session.

    .venv/bin/python bench/bench_scale.py [--size deep] [--repeat 3] [--code DIR] [--skip-sequential]

Per size: the simulator runs in its own process (`flowaudit simulate`, from this tree); each
step is a child process (`python -m flowaudit ...` from `--code`, default this tree, so a
base commit's code can be measured against the same simulator), timed on the wall clock with
its own peak RSS (wait4). Steps, each repeated `--repeat` times on fresh copies, best kept:
1. first full run: `flowaudit extract` into a new database (fetch + load, whole process);
2. first report: `flowaudit report` of that database into an empty folder (time, peak
   memory, folder size and files);
3. after `POST /_sim/advance?hours=24` (a simulated day: ~500 audited changes on deep):
   the nightly `flowaudit run` (extract + report into the folder of step 2), and the same
   night as `flowaudit extract` then `flowaudit report`, to time the night's report alone.
The network bound of the full run is the least time its requests can take (as in
bench/bench_extract.py): the slowest of the client's rate cap, the bucket beyond its burst,
and the longest chain of pages that must follow one another times the latency."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_extract import TOKEN, run_child, start_simulator  # noqa: E402


def timed(code: Path, args: list[str], cwd: Path) -> dict:
    """Run `python -m flowaudit ARGS` from the source tree `code`; wall seconds, peak RSS."""
    env = {**os.environ, "FLOWAUDIT_TOKEN": TOKEN, "PYTHONPATH": str(code)}
    env = {k: v for k, v in env.items() if not k.startswith("FLOWAUDIT_") or k == "FLOWAUDIT_TOKEN"}
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "flowaudit", *args], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    child.stdout.close()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"flowaudit {' '.join(args)} failed: {err.strip()[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024), "out": out}


def run_facts(db: Path) -> dict:
    """Requests and page chains of the newest run (for the network bound)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, requests, listings = con.execute(
            "SELECT run_id, requests, listings FROM store.runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()[0]
        chains = [p for (p,) in con.execute(
            "SELECT pages FROM store.audit_windows WHERE run_id = ?", [run_id]).fetchall()]  # fmt: skip
    finally:
        con.close()
    listings = json.loads(listings) if isinstance(listings, str) else listings or {}
    chains += [int(v.get("pages", 0)) for v in listings.values()]
    return {"requests": int(requests), "longest_chain_pages": max(chains, default=0)}


def bound_seconds(facts: dict, latency: float, client_rate: float = 150.0) -> float:
    n = facts["requests"]
    return max(n / client_rate, max(0, n - 1000) / 300.0, facts["longest_chain_pages"] * latency)


def folder_facts(out: Path) -> dict:
    dated = sorted(p for p in out.iterdir() if p.is_dir() and p.name[:1].isdigit())
    folder = dated[-1]
    files = [p for p in folder.rglob("*") if p.is_file()]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
            "largest_kb": round(max(p.stat().st_size for p in files) / 1e3)}  # fmt: skip


def best(results: list[dict]) -> dict:
    top = min(results, key=lambda r: r["seconds"])
    return {**top, "all_seconds": [r["seconds"] for r in results],
            "max_peak_mb": max(r["peak_mb"] for r in results)}  # fmt: skip


def bench(size: str, code: Path, repeat: int, latency_ms: float, sequential: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{size}-"))
    server, url = start_simulator(size, latency_ms, 1)
    result: dict = {"size": size, "code": str(code), "load_before": os.getloadavg()}
    try:
        if sequential:
            result["sequential"] = run_child("sequential", url, work / "seq.duckdb", [])
        runs = []
        for n in range(repeat):
            folder = work / f"full-{n}"
            folder.mkdir()
            run = timed(code, ["extract", "--db", "flowaudit.duckdb", "--api-url", url, "-q"], folder)
            runs.append({**run, **run_facts(folder / "flowaudit.duckdb")})
        result["full_run"] = best(runs)
        result["full_run"]["bound_seconds"] = round(bound_seconds(runs[0], latency_ms / 1000), 2)
        base = work / "full-0"
        reports = []
        for n in range(repeat):
            out = work / f"report-{n}"
            report = timed(code, ["report", "--db", str(base / "flowaudit.duckdb"), "--out", str(out), "-q"], base)
            reports.append({**report, **folder_facts(out)})
            if n:
                shutil.rmtree(out)
        result["first_report"] = best(reports)
        httpx.post(url.replace("/v1", "/_sim/advance"), params={"hours": 24}, timeout=300)
        nightly, split_extract, split_report = [], [], []
        for n in range(repeat):
            night = work / f"night-{n}"
            shutil.copytree(base, night)
            shutil.copytree(work / "report-0", night / "out")
            before = work / f"night-split-{n}"
            shutil.copytree(night, before)
            # The copies on disk before the night: their writing back is not the night's work
            # (the first checkpoint of a database copied just before flushes it, ~0.2 s).
            os.sync()
            nightly.append(timed(code, ["run", "--db", "flowaudit.duckdb", "--out", "out", "--api-url", url, "-q"], night))
            split_extract.append(timed(code, ["extract", "--db", "flowaudit.duckdb", "--api-url", url, "-q"], before))
            report = timed(code, ["report", "--db", "flowaudit.duckdb", "--out", "out", "-q"], before)
            split_report.append({**report, **folder_facts(before / "out")})
            shutil.rmtree(night)
            shutil.rmtree(before)
        result["nightly_run"] = best(nightly)
        result["nightly_extract"] = best(split_extract)
        result["nightly_report"] = best(split_report)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    result["load_after"] = os.getloadavg()
    for step in result.values():
        if isinstance(step, dict):
            step.pop("out", None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="deep, large, ... (repeatable; default deep)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree of the flowaudit measured")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    for size in args.size or ["deep"]:
        result = bench(size, args.code.resolve(), args.repeat, args.latency_ms, not args.skip_sequential)
        print(json.dumps(result, indent=1), flush=True)


if __name__ == "__main__":
    main()
