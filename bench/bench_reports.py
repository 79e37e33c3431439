"""Report rendering time and page sizes on simulated accounts.

Usage: .venv/bin/python bench/bench_reports.py [medium large ...]
Builds each account with the simulator, extracts it twice (a simulated day apart, with a
silent change), then times render_reports and prints the largest pages."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from flowaudit.config import Settings
from flowaudit.pipeline import run_extract
from flowaudit.report.render import render_reports
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount


def bench(size: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-reports-{size}-"))
    account = SimulatedAccount.generate(size=size, seed=1, token="bench")
    settings = Settings(db=workdir / "flowaudit.duckdb", token=Secret("bench"), api_url=account.base_url)
    run_extract(settings, transport=account.async_transport(), full=True)
    account.advance(hours=24, silent_changes=2)
    run_extract(settings, transport=account.async_transport(), full=True)
    started = time.perf_counter()
    index = render_reports(settings.db, workdir / "out", settings)
    seconds = time.perf_counter() - started
    pages = sorted(index.parent.rglob("*.html"), key=lambda p: p.stat().st_size, reverse=True)
    return {
        "size": size,
        "seconds": seconds,
        "pages": len(pages),
        "total_mb": sum(p.stat().st_size for p in pages) / 1e6,
        "largest": [(str(p.relative_to(index.parent)), p.stat().st_size / 1e6) for p in pages[:3]],
    }


def main(sizes: list[str]) -> None:
    print("| account | render time (s) | pages | total (MB) | largest page (MB) |")
    print("|---|---:|---:|---:|---|")
    for size in sizes:
        r = bench(size)
        largest = ", ".join(f"{name} {mb:.2f}" for name, mb in r["largest"])
        print(f"| {r['size']} | {r['seconds']:.1f} | {r['pages']} | {r['total_mb']:.1f} | {largest} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["medium", "large"])
