"""Faults and kills at scale (the `medium` account: 1,000 flows, ~100,000 audit records): a run
through 10% random faults of every kind, and ten runs killed at random points followed by
a clean run, each give the database a fault-free uninterrupted run gives, table by table."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowaudit.load.checks import run_checks
from flowaudit.load.db import connect
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import serve
from tests.ops.cli import ROOT
from tests.pipeline.helpers import extract, query, snapshot

pytestmark = pytest.mark.slow

SEED = 21
TOKEN = "kill-test-token-1234"
FAST = {"rate": 100_000, "concurrency": 16}  # the simulator has no rate limit of its own here
KILLS = 10  # one kill in each tenth of a run (tests/pipeline/test_resilience.py kills the small account's)


def _medium(**options) -> SimulatedAccount:
    return SimulatedAccount.generate(
        "medium", seed=SEED, token=TOKEN, options=SimulatorOptions(**options)
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, float]:
    """The fault-free, uninterrupted run's store, and how long that run took."""
    db = tmp_path_factory.mktemp("reference") / "a.duckdb"
    result = extract(db, _medium(), **FAST)
    return snapshot(db), result.seconds


def test_a_run_through_ten_percent_random_faults_gives_the_identical_database(
    reference: tuple[dict, float], tmp_path: Path
):
    faulty = _medium(
        fault_rate=0.10,
        fault_seed=3,  # every kind: 500/502/503, dropped connections, slow, truncated, malformed
        slow_seconds=0.3,
        # A bucket smaller than the 16 requests in flight, so that 429s with Retry-After
        # happen too; refilled at the API's own 300/s (30/s doubled the test's time, ~110 s).
        burst=10,
        refill_per_second=300,
    )
    result = extract(tmp_path / "a.duckdb", faulty, timeout=5, **FAST)
    served = {str(status): n for status, n in faulty.counters["by_status"].items()}
    assert result.retries > 5, served
    assert (
        served.get("429", 0) > 0
        and served.get("503", 0) + served.get("502", 0) + served.get("500", 0) > 0
    ), served
    assert faulty.counters["dropped"] > 0, faulty.counters
    assert snapshot(tmp_path / "a.duckdb") == reference[0]


@pytest.fixture(scope="module")
def served_medium():
    """The same medium account served on loopback: killed runs are real `flowaudit extract`
    processes, as cron starts them, and the account is generated once, not once per run."""
    with serve(_medium()) as handle:
        yield handle.url


def _extract_process(url: str, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "extract", "--api-url", url, "--db", str(db),
         "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_RATE": "100000",
             "FLOWAUDIT_CONCURRENCY": "16"},
    )  # fmt: skip


def test_ten_runs_killed_at_random_points_then_a_clean_run_give_the_identical_database(
    served_medium: str, tmp_path: Path
):
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    assert _extract_process(served_medium, reference).wait(timeout=300) == 0
    run_seconds = time.monotonic() - started

    db = tmp_path / "a.duckdb"
    rng = random.Random(20261128)
    outcomes = []
    for index in range(KILLS):
        # Kill points spread over the whole run: one in each tenth of it, at random.
        delay = (index + rng.random()) / KILLS * run_seconds
        child = _extract_process(served_medium, db)
        time.sleep(delay)
        child.kill()
        outcomes.append("completed" if child.wait() == 0 else "killed")
    assert outcomes.count("killed") >= KILLS // 2, outcomes

    con = connect(db)
    try:
        assert [check.name for check in run_checks(con) if not check.holds] == []
    finally:
        con.close()

    assert _extract_process(served_medium, db).wait(timeout=300) == 0
    assert snapshot(db) == snapshot(reference)
    statuses = [status for (status,) in query(db, "SELECT status FROM runs ORDER BY run_id")]
    assert statuses[-1] == "succeeded" and "running" not in statuses
    # A kill during start-up comes before the run's row exists; any later one leaves a row
    # that the next start marks failed.
    assert statuses.count("failed") >= 1
    assert not list(tmp_path.glob(".flowaudit-staging-*")), "killed runs' staging left behind"
