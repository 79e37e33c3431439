"""Benchmark of the simulator: generation time per size, and serving throughput (requests/s,
and pages of /v1/audit) over loopback and in-process.

    .venv/bin/python bench/bench_simulate.py [--sizes small,medium,large] [--requests 2000]

Prints a Markdown table (the numbers in BENCHMARKS.md come from it)."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import httpx

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import serve

# The rate limit is part of the product, not of the serving speed: take it out of the way.
UNLIMITED = SimulatorOptions(burst=10**9, refill_per_second=1e9)


def bench_generation(size: str) -> tuple[SimulatedAccount, dict]:
    wall, cpu = time.perf_counter(), time.process_time()
    account = SimulatedAccount.generate(size=size, seed=1, options=UNLIMITED)
    result = {"size": size, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    result.update(account.summary())
    return account, result


def bench_requests(client: httpx.Client, path: str, params: dict, count: int) -> float:
    """Requests per second for `count` sequential GETs over one keep-alive connection."""
    start = time.perf_counter()
    for _ in range(count):
        response = client.get(path, params=params)
        response.raise_for_status()
    return count / (time.perf_counter() - start)


def bench_audit_pages(client: httpx.Client, limit: int = 1000) -> dict:
    """Follow /audit to the end; pages and records per second."""
    start = time.perf_counter()
    response = client.get("/audit", params={"limit": limit})
    pages, records = 0, 0
    while True:
        response.raise_for_status()
        pages += 1
        records += len(response.json())
        if "next" not in response.links:
            break
        response = client.get(response.links["next"]["url"])
    elapsed = time.perf_counter() - start
    return {"pages": pages, "records": records, "seconds": elapsed,
            "pages_per_s": pages / elapsed, "records_per_s": records / elapsed}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    headers = {"Authorization": "Bearer demo"}

    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"httpx {httpx.__version__}, {platform.platform()}")  # fmt: skip
    print("\n| size | flows | audit records | generation wall s | generation CPU s |")
    print("|---|---:|---:|---:|---:|")
    accounts = {}
    for size in args.sizes.split(","):
        account, result = bench_generation(size)
        accounts[size] = account
        print(f"| {size} | {result['flows']:,} | {result['audit_records']:,} | "
              f"{result['wall_s']:.2f} | {result['cpu_s']:.2f} |", flush=True)  # fmt: skip
    print(f"\npeak RSS after generating: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")

    print("\n| size | transport | GET /v1/tokenInfo req/s | GET /v1/flows?limit=100 req/s | "
          "/v1/audit limit=1000 to the end |")  # fmt: skip
    print("|---|---|---:|---:|---|")
    for size, account in accounts.items():
        with serve(account) as handle:
            for label, client in (
                ("loopback HTTP/1.1", httpx.Client(base_url=handle.url, headers=headers)),
                ("in-process", httpx.Client(transport=account.transport(), base_url=account.base_url, headers=headers)),
            ):  # fmt: skip
                with client:
                    small = bench_requests(client, "/tokenInfo", {}, args.requests)
                    flows = bench_requests(client, "/flows", {"limit": 100}, max(50, args.requests // 10))
                    audit = bench_audit_pages(client)
                print(f"| {size} | {label} | {small:,.0f} | {flows:,.0f} | {audit['pages']} pages, "
                      f"{audit['records']:,} records in {audit['seconds']:.2f} s "
                      f"({audit['pages_per_s']:.1f} pages/s, {audit['records_per_s']:,.0f} records/s) |",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
