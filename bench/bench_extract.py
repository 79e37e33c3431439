"""Benchmark of the extract: full and nightly runs against the simulator's `large` account
served on loopback with 50 ms latency and the API's default rate limit (burst 1,000,
300 requests/s), compared in the same session with a plain sequential extractor.

    .venv/bin/python bench/bench_extract.py [--size large] [--latency-ms 50] [--skip-per-flow]

The simulator runs in its own process (`flowaudit simulate`), and every extractor in a child
process of its own, so each child's peak memory (ru_maxrss) is its alone. Prints a JSON
summary and a Markdown table for BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-not-secret"


def start_simulator(size: str, latency_ms: float, seed: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "simulate", "--port", "0", "--size", size,
         "--seed", str(seed), "--token", TOKEN, "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise SystemExit("the simulator did not start")
    return server, url


def run_child(mode: str, url: str, db: Path, extra: list[str]) -> dict:
    """Run one extractor in a child process; return its JSON report (with its peak memory)."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--url", url, "--db", str(db), *extra],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN},
    )  # fmt: skip
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"{mode} child failed with exit code {child.returncode}")
    report = json.loads(out.strip().splitlines()[-1])
    report["wall_seconds"] = round(time.monotonic() - started, 2)
    return report


# -- children -----------------------------------------------------------------------------


def child_flowaudit(url: str, db: Path, strategy: str, rate: float | None) -> dict:
    from flowaudit.config import resolve_settings
    from flowaudit.pipeline import run_extract

    flags = {"db": db, "api_url": url}
    if rate:
        flags["rate"] = rate
    settings = resolve_settings(flags)
    result = run_extract(settings, strategy=strategy)
    manifest = result.manifest
    chains = [w.get("pages", 0) for w in manifest["audit"]["windows"]]
    chains += [listing.get("pages", 0) for listing in manifest["listings"].values()]
    return {
        "mode": result.mode,
        "strategy": strategy,
        "client_rate": settings.rate,
        "concurrency": settings.concurrency,
        "requests": result.requests,
        "retries": result.retries,
        "audit_records": result.counts.get("audit_records_read", 0),
        "audit_windows": len(manifest["audit"]["windows"]),
        "longest_chain_pages": max(chains) if chains else 0,
        "fetch_seconds": round(result.fetch_seconds, 2),
        "load_seconds": round(result.load_seconds, 2),
        "run_seconds": round(result.seconds, 2),
        "load_stages": result.counts.get("load_seconds", {}),
    }


def child_sequential(url: str, out: Path) -> dict:
    """What a simple script does: one request after another, following Link, to files."""
    requests = records = 0
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(headers=headers, timeout=60) as client, out.open("w") as sink:
        for path in ("integrations", "flows", "exports", "imports", "connections", "audit"):
            next_url: str | None = f"{url}/{path}?limit=1000"
            while next_url:
                answer = client.get(next_url)
                requests += 1
                if answer.status_code == 429:
                    time.sleep(int(answer.headers.get("Retry-After", "1")))
                    continue
                answer.raise_for_status()
                page = answer.json() if answer.status_code != 204 else []
                records += len(page)
                for item in page:
                    sink.write(json.dumps(item) + "\n")
                next_url = answer.links.get("next", {}).get("url")
    return {"mode": "sequential", "requests": requests, "records": records,
            "fetch_seconds": round(time.monotonic() - started, 2)}  # fmt: skip


def child_main(args: argparse.Namespace) -> None:
    if args.child == "sequential":
        report = child_sequential(args.url, Path(args.db).with_suffix(".ndjson"))
    else:
        report = child_flowaudit(args.url, Path(args.db), args.strategy, args.rate)
    report["peak_rss_mb_self"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report))


# -- the benchmark --------------------------------------------------------------------------


def bound_seconds(report: dict, latency: float, api_rate: float = 300.0, burst: int = 1000) -> float:
    """The least time the requests made can take: the slowest of the client's own rate cap,
    the account's leaky bucket beyond its burst, and the longest chain of pages that must
    follow one another (each Link must be read before the next page is asked for)."""
    n = report["requests"]
    return max(
        n / report["client_rate"],
        max(0, n - burst) / api_rate,
        report["longest_chain_pages"] * latency,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--db")
    parser.add_argument("--strategy", default="windows")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--skip-per-flow", action="store_true")
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    latency = args.latency_ms / 1000
    work = Path(tempfile.mkdtemp(prefix="bench-extract-"))
    generated = time.monotonic()
    server, url = start_simulator(args.size, args.latency_ms, args.seed)
    results: dict[str, dict] = {"simulator_start_seconds": round(time.monotonic() - generated, 1)}
    try:
        results["sequential"] = run_child("sequential", url, work / "seq.duckdb", [])
        results["full"] = run_child("flowaudit", url, work / "fa.duckdb", [])
        if not args.skip_per_flow:
            results["full_per_flow"] = run_child(
                "flowaudit", url, work / "pf.duckdb", ["--strategy", "per-flow"]
            )
        httpx.post(url.replace("/v1", "/_sim/advance"), params={"hours": 24}, timeout=120)
        results["nightly"] = run_child("flowaudit", url, work / "fa.duckdb", [])
    finally:
        server.terminate()
        server.wait()

    full = results["full"]
    full["bound_seconds"] = round(bound_seconds(full, latency), 2)
    full["ratio_to_bound"] = round(full["fetch_seconds"] / full["bound_seconds"], 2)
    audit_step = full["load_stages"].get("audit") or full["load_seconds"]
    full["audit_step_records_per_second"] = round(full["audit_records"] / max(audit_step, 1e-9))
    results["speedup_vs_sequential"] = round(
        results["sequential"]["fetch_seconds"] / full["fetch_seconds"], 1
    )
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
