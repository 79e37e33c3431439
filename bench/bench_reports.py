"""Report rendering time and page sizes on simulated accounts: a first full rendering, then
a nightly one after a simulated day (pages whose inputs did not change are carried over).

Usage: .venv/bin/python bench/bench_reports.py [--cache DIR] [medium large ...]
The first extract of each size is built once with the simulator and kept in
DIR/<size>-base.duckdb (default bench/results/, git-ignored), and so is the database one
night later (DIR/<size>-night2.duckdb: the same account, seed 1, 24 simulated hours with two
silent changes, extracted incrementally). Every measurement works on copies: a full
rendering of the first night into an empty folder, then the second night's rendering into
the same folder (pages whose inputs did not change are carried over)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowaudit.config import Settings
from flowaudit.load.db import connect
from flowaudit.report.render import render_reports
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract


def base_database(cache: Path, size: str) -> Path:
    """The first full extract of the simulated account, built once and reused."""
    path = cache / f"{size}-base.duckdb"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        account = SimulatedAccount.generate(size=size, seed=1, token="bench")
        started = time.perf_counter()
        extract(path, account, rate=100000, concurrency=16)
        print(f"# built {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return path


def next_night_database(cache: Path, size: str) -> Path:
    """The base database after one more night: 24 simulated hours (two silent changes), then
    an incremental extract. Built once and reused, so the timings below are rendering only."""
    path = cache / f"{size}-night2.duckdb"
    if not path.exists():
        staging = path.with_name(path.name + ".partial")
        shutil.copyfile(base_database(cache, size), staging)
        account = SimulatedAccount.generate(size=size, seed=1, token="bench")
        account.advance(hours=24, silent_changes=2)
        extract(staging, account, rate=100000, concurrency=16)
        staging.rename(path)
    return path


def observed_at(db: Path):
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT max(observed_at) FROM runs WHERE status = 'succeeded'").fetchall()[0][0]
    finally:
        con.close()


def folder_stats(folder: Path, previous: Path | None) -> dict:
    pages = [p for p in folder.rglob("*.html")]
    sizes = sorted((p.stat().st_size for p in pages), reverse=True)
    flows = sorted(p.stat().st_size for p in (folder / "flows").glob("*.html"))
    old_inodes = {p.stat().st_ino for p in previous.rglob("*.html")} if previous else set()
    fresh = [p for p in pages if p.stat().st_ino not in old_inodes]
    new_bytes = sum(p.stat().st_size for p in fresh)
    largest = max(pages, key=lambda p: p.stat().st_size)
    return {
        "pages": len(pages),
        "rendered": len(fresh),
        "total_mb": sum(sizes) / 1e6,
        "new_mb": new_bytes / 1e6,
        "largest": f"{largest.relative_to(folder)} {largest.stat().st_size / 1e6:.2f} MB",
        "flow_median_kb": flows[len(flows) // 2] / 1e3 if flows else 0,
        "flow_max_kb": flows[-1] / 1e3 if flows else 0,
    }


def bench(size: str, cache: Path) -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-reports-{size}-"))
    db = workdir / "flowaudit.duckdb"
    shutil.copyfile(base_database(cache, size), db)
    out = workdir / "out"
    settings = Settings(db=db)
    night = observed_at(db)

    started = time.perf_counter()
    first = render_reports(db, out, settings, now=night).parent
    full = {"step": "first full rendering", "seconds": time.perf_counter() - started, **folder_stats(first, None)}

    shutil.copyfile(next_night_database(cache, size), db)
    started = time.perf_counter()
    second = render_reports(db, out, settings, now=night + timedelta(days=1)).parent
    nightly = {"step": "nightly after 24 h", "seconds": time.perf_counter() - started,
               **folder_stats(second, first)}
    shutil.rmtree(workdir, ignore_errors=True)
    return [full, nightly]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["medium", "large"])
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print("| account | rendering | time (s) | pages (rendered) | total (MB) | new on disk (MB) | flow page median / max (KB) | largest page |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for size in args.sizes:
        for r in bench(size, args.cache):
            print(f"| {size} | {r['step']} | {r['seconds']:.1f} | {r['pages']} ({r['rendered']}) | {r['total_mb']:.1f} | "
                  f"{r['new_mb']:.1f} | {r['flow_median_kb']:.0f} / {r['flow_max_kb']:.0f} | {r['largest']} |",
                  flush=True)


if __name__ == "__main__":
    main()
