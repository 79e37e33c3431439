"""Faults and kills at scale (the `medium` account: 1,000 flows, ~100,000 audit records): a run
through 10% random faults of every kind, and twenty runs killed at random points followed by
a clean run, each give the database a fault-free uninterrupted run gives, table by table."""

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
from tests.ops.cli import ROOT
from tests.pipeline.helpers import extract, query, snapshot

pytestmark = pytest.mark.slow

SEED = 21
FAST = {"rate": 100_000, "concurrency": 16}  # the simulator has no rate limit of its own here
KILLS = 20


def _medium(**options) -> SimulatedAccount:
    return SimulatedAccount.generate("medium", seed=SEED, options=SimulatorOptions(**options))


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
        burst=10,  # a small bucket, so that 429s with Retry-After happen too
        refill_per_second=30,
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


KILLABLE_RUN = """
import sys
from pathlib import Path
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract
account = SimulatedAccount.generate("medium", seed=int(sys.argv[2]))
print("start", flush=True)
extract(Path(sys.argv[1]), account, rate=100_000, concurrency=16)
print("done", flush=True)
"""


def test_twenty_runs_killed_at_random_points_then_a_clean_run_give_the_identical_database(
    reference: tuple[dict, float], tmp_path: Path
):
    expected, run_seconds = reference
    db = tmp_path / "a.duckdb"
    rng = random.Random(20261128)
    outcomes = []
    for index in range(KILLS):
        # Kill points spread over the whole run: one in each twentieth of it, at random.
        delay = (index + rng.random()) / KILLS * run_seconds
        outcomes.append(_run_and_kill(db, delay))
    assert outcomes.count("killed") >= KILLS // 2, outcomes

    con = connect(db)
    try:
        assert [check.name for check in run_checks(con) if not check.holds] == []
    finally:
        con.close()

    extract(db, _medium(), **FAST)
    assert snapshot(db) == expected
    statuses = [status for (status,) in query(db, "SELECT status FROM runs ORDER BY run_id")]
    assert statuses[-1] == "succeeded" and "running" not in statuses
    assert statuses.count("failed") >= outcomes.count("killed") - 1
    assert not list(tmp_path.glob(".flowaudit-staging-*")), "killed runs' staging left behind"


def _run_and_kill(db: Path, delay: float) -> str:
    child = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_RUN, str(db), str(SEED)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "start"
    time.sleep(delay)
    child.kill()
    child.wait()
    return "completed" if "done" in child.stdout.read() else "killed"
