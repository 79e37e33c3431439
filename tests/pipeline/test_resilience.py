"""Faults and kills do not change the result: a run through injected API faults, or a series
of runs killed at random points followed by a clean one, gives the database a fault-free
uninterrupted run gives, table by table."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowaudit.load.checks import run_checks
from flowaudit.load.db import connect
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.pipeline.helpers import extract, query, snapshot

ROOT = Path(__file__).resolve().parents[2]


def test_ten_percent_injected_faults_give_the_identical_database(tmp_path: Path):
    clean = SimulatedAccount.generate("small", seed=5)
    extract(tmp_path / "clean.duckdb", clean)

    faulty = SimulatedAccount.generate(
        "small",
        seed=5,
        options=SimulatorOptions(
            fault_rate=0.10,
            fault_seed=11,
            slow_seconds=0.05,
            # A small bucket so that 429s with Retry-After happen too.
            burst=8,
            refill_per_second=40,
        ),
    )
    result = extract(tmp_path / "faulty.duckdb", faulty, timeout=5, rate=1000)
    served = faulty.counters
    assert result.retries > 0, served
    assert served["by_status"].get("429", 0) + served["by_status"].get(429, 0) > 0, served
    assert snapshot(tmp_path / "faulty.duckdb") == snapshot(tmp_path / "clean.duckdb")


KILLABLE_RUN = """
import sys
from pathlib import Path
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.pipeline.helpers import extract
account = SimulatedAccount.generate("small", seed=7, options=SimulatorOptions(latency_ms=15))
print("start", flush=True)
extract(Path(sys.argv[1]), account)
print("done", flush=True)
"""


def _killed_runs(db: Path, count: int, rng: random.Random, window: float) -> int:
    completed = 0
    for _ in range(count):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLABLE_RUN, str(db)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, window))
        child.kill()
        child.wait()
        completed += "done" in child.stdout.read()
    return completed


@pytest.mark.slow
def test_runs_killed_at_random_points_then_a_clean_run_give_the_uninterrupted_result(
    tmp_path: Path,
):
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    extract(
        reference,
        SimulatedAccount.generate("small", seed=7, options=SimulatorOptions(latency_ms=15)),
    )
    run_seconds = time.monotonic() - started

    db = tmp_path / "killed.duckdb"
    _killed_runs(db, count=6, rng=random.Random(20261128), window=run_seconds)
    con = connect(db)
    try:
        assert [c for c in run_checks(con) if not c.holds] == []
    finally:
        con.close()

    extract(db, SimulatedAccount.generate("small", seed=7))
    assert snapshot(db) == snapshot(reference)
    statuses = [status for (status,) in query(db, "SELECT status FROM runs ORDER BY run_id")]
    assert statuses[-1] == "succeeded"
    assert "running" not in statuses  # every killed run was recorded as failed
