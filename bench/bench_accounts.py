"""Benchmark of many accounts in one run: two simulated accounts extracted one after the
other, then both in one `extract --accounts`; a simulated day later the same nightly; then
the Parquet export. Also the per-account sizing numbers of docs/scale-out.md.

    .venv/bin/python bench/bench_accounts.py [--size medium] [--latency-ms 100] [--work DIR]
    .venv/bin/python bench/bench_accounts.py --size large --single   # one account: sizing only
    .venv/bin/python bench/bench_accounts.py --latency-ms 500 --no-export

Two `flowaudit simulate` processes serve the accounts (seeds 1 and 2, a token each), with the
API's own rate limit (burst 1,000, 300 requests/s) and the given latency on every answer.
Every `flowaudit` command runs in a child process of its own and is reaped with wait4, so
its CPU time (user + system) and peak memory are its alone. Requests, fetch and load seconds
come from the runs table; the staging folders' peak size is sampled every 0.2 s."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKENS = {"a": "bench-token-a-not-secret", "b": "bench-token-b-not-secret"}
SEEDS = {"a": 1, "b": 2}


def start_simulator(
    size: str, seed: int, token: str, latency_ms: float
) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "simulate", "--port", "0", "--size", size,
         "--seed", str(seed), "--token", token, "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise SystemExit("the simulator did not start")
    return server, url


class StagingPeak:
    """The largest total size of the staging folders under a directory, sampled."""

    def __init__(self, folder: Path):
        self.folder, self.peak, self._stop = folder, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StagingPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            # Staging folders sit beside their database, at the top of the work folder.
            for staging in self.folder.glob(".flowaudit-staging-*"):
                for root, _, files in os.walk(staging):
                    for name in files:
                        with contextlib.suppress(OSError):
                            total += os.stat(os.path.join(root, name)).st_size
            self.peak = max(self.peak, total)


def flowaudit(work: Path, args: list[str], env: dict[str, str]) -> dict:
    """Run one flowaudit command in a child process: wall, CPU and peak memory."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", *args, "--quiet"], cwd=ROOT,
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    with StagingPeak(work) as staging:
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    stderr = child.stderr.read().decode() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(
            f"flowaudit {' '.join(args)} failed ({child.returncode}): {stderr.strip()}"
        )
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "staging_peak_mb": round(staging.peak / 1e6, 1),
    }


def runs_of(db: Path, first_run: int) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT account, run_id, status, requests, epoch(finished_at - started_at), counts "
            "FROM runs WHERE run_id >= ? ORDER BY run_id",
            [first_run],
        ).fetchall()
    finally:
        con.close()
    result = []
    for account, run_id, status, requests, seconds, counts in rows:
        load = sum(json.loads(counts or "{}").get("load_seconds", {}).values())
        result.append({"account": account, "run_id": run_id, "status": status, "requests": requests,
                       "run_s": round(seconds, 2), "load_s": round(load, 2),
                       "new_audit_records": json.loads(counts or "{}").get("new_audit_records")})  # fmt: skip
    return result


def size_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="medium")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--work", type=Path, default=None, help="keep the databases and lake here")
    parser.add_argument("--single", action="store_true", help="one account only (sizing)")
    parser.add_argument("--no-export", action="store_true", help="skip the Parquet exports")
    options = parser.parse_args()
    work = options.work or Path(tempfile.mkdtemp(prefix="bench-accounts-"))
    work.mkdir(parents=True, exist_ok=True)
    labels = ["a"] if options.single else ["a", "b"]
    servers = {
        label: start_simulator(options.size, SEEDS[label], TOKENS[label], options.latency_ms)
        for label in labels
    }
    report: dict = {"size": options.size, "latency_ms": options.latency_ms, "machine": platform.platform(),
                    "load_average": os.getloadavg()}  # fmt: skip
    try:
        accounts = work / "accounts.toml"
        accounts.write_text("".join(
            f'[accounts.{label}]\napi_url = "{servers[label][1]}"\ntoken_env = "TOKEN_{label.upper()}"\n\n'
            for label in labels
        ))  # fmt: skip
        env = {f"TOKEN_{label.upper()}": TOKENS[label] for label in labels}
        alone = {label: work / f"alone-{label}.duckdb" for label in labels}
        both = work / "both.duckdb"
        for night in ("full", "nightly"):
            if night == "nightly":
                for _, url in servers.values():
                    httpx.post(
                        url.removesuffix("/v1") + "/_sim/advance?hours=24&silent=2", timeout=600
                    )
            for label in labels:
                first = 1 if night == "full" else 2
                measured = flowaudit(work, ["extract", "--api-url", servers[label][1], "--db", str(alone[label])],
                                     {"FLOWAUDIT_TOKEN": TOKENS[label]})  # fmt: skip
                report[f"{night} alone {label}"] = {**measured, "runs": runs_of(alone[label], first),
                                                    "db_mb": size_mb(alone[label])}  # fmt: skip
            if not options.single:
                first = 1 if night == "full" else 3
                measured = flowaudit(
                    work, ["extract", "--accounts", str(accounts), "--db", str(both)], env
                )
                report[f"{night} together"] = {
                    **measured,
                    "runs": runs_of(both, first),
                    "db_mb": size_mb(both),
                }
            if options.no_export:
                continue
            source = both if not options.single else alone["a"]
            measured = flowaudit(
                work, ["export", "--out", str(work / "lake"), "--db", str(source)], {}
            )
            report[f"{night} export"] = {**measured, "lake_mb": size_mb(work / "lake")}
        report["load_average_after"] = os.getloadavg()
    finally:
        for server, _ in servers.values():
            server.kill()
            server.wait()
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
