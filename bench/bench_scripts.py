"""Benchmark of reading the whole account: how many requests scripts' code costs (a full run
reads every script by id; a nightly run only those whose lastModified moved), and what the
new listings, the recycle bin and scrubbing cost a run.

    .venv/bin/python bench/bench_scripts.py [--sizes small,medium,large] [--nights 2]

In-process (the simulator's transport, no latency, rate limit out of the way): per size, a
full extract into a new database, then `--nights` times a simulated day (advance 24 h) and a
nightly extract. Request counts come from the simulator's own counters by route, so they do
not depend on the machine; seconds do (the machine is shared)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flowaudit.config import resolve_settings
from flowaudit.pipeline import run_extract
from flowaudit.simulate import SimulatedAccount, SimulatorOptions

ROOMY = SimulatorOptions(burst=10**9, refill_per_second=10**9)


def _extract(db: Path, account: SimulatedAccount):
    settings = resolve_settings({"db": db, "api_url": account.base_url, "rate": 100_000, "concurrency": 16},
                                environ={"FLOWAUDIT_TOKEN": account.token})  # fmt: skip
    return run_extract(
        settings, transport=account.async_transport(), wall_clock=lambda: account.now
    )


def _routes(account: SimulatedAccount) -> dict[str, int]:
    return dict(account.counters["by_route"])


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def bench(size: str, nights: int) -> list[dict]:
    started = time.perf_counter()
    account = SimulatedAccount.generate(size, seed=1, options=ROOMY)
    generated = time.perf_counter() - started
    rows = []
    with tempfile.TemporaryDirectory() as work:
        db = Path(work) / "bench.duckdb"
        previous: dict[str, str] = {}
        for night in range(nights + 1):
            if night:
                account.advance(hours=24)
            before = _routes(account)
            scripts_before = {d["_id"]: d["lastModified"] for d in account.resources("scripts")}
            moved = sum(
                1 for sid, modified in scripts_before.items() if previous.get(sid) != modified
            )
            previous = scripts_before
            result = _extract(db, account)
            routes = _delta(_routes(account), before)
            rows.append({
                "size": size, "run": "full" if night == 0 else f"night {night}",
                "scripts": len(scripts_before), "moved": moved,
                "requests": sum(routes.values()),
                "script_by_id": routes.get("GET /v1/scripts/<id>", 0),
                "listing_requests": sum(v for k, v in routes.items() if k.count("/") == 2 and "audit" not in k),
                "audit_requests": routes.get("GET /v1/audit", 0),
                "scrubbed": result.manifest["scrubbed"],
                "fetch_s": round(result.fetch_seconds, 2), "load_s": round(result.load_seconds, 2),
                "generated_s": round(generated, 1),
            })  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--nights", type=int, default=2)
    args = parser.parse_args()
    print(
        "| size | run | scripts | requests | scripts' code by id | listing pages | audit pages | captured replaced | secrets masked | fetch s | load s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        for r in bench(size.strip(), args.nights):
            print(f"| {r['size']} | {r['run']} | {r['scripts']} | {r['moved']} | {r['requests']} | {r['script_by_id']} | "
                  f"{r['listing_requests']} | {r['audit_requests']} | {r['scrubbed']['captured_fields']} | "
                  f"{r['scrubbed']['secrets_masked']} | {r['fetch_s']} | {r['load_s']} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
