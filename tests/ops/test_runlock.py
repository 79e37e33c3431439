"""A second run on the same database exits at once; a lock left by a killed run is stale."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowaudit.errors import ExitCode, RunInProgressError
from flowaudit.runlock import lock_path_for, run_lock

HOLD_LOCK = """
import sys, time
from pathlib import Path
from flowaudit.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def _start_holder(db: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_fails_at_once_naming_the_holder(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    holder = _start_holder(db)
    try:
        started = time.monotonic()
        with pytest.raises(RunInProgressError) as caught, run_lock(db):
            pass
        assert time.monotonic() - started < 1
        assert caught.value.exit_code == ExitCode.RUN_IN_PROGRESS
        assert f"pid {holder.pid}" in caught.value.message
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    holder = _start_holder(db)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock_path_for(db).exists()  # the file stays behind; the lock does not
    with run_lock(db):
        assert str(os.getpid()) in lock_path_for(db).read_text()


def test_the_lock_is_released_after_the_run(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    with run_lock(db):
        pass
    with run_lock(db):
        pass
