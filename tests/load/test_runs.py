"""The run ledger: begin, fail, stale runs, and the watermark written with the load."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flowaudit.errors import DatabaseError
from flowaudit.load.loader import load_staging
from flowaudit.load.runs import INTERRUPTED_MESSAGE, audit_watermark, begin_run, fail_run
from flowaudit.load.staging_reader import StagingError
from flowaudit.secrets import register_secret

from .staging import flow, oid, write_staging


def _run(con, run_id):
    return con.execute(
        "SELECT status, error, finished_at IS NOT NULL FROM runs WHERE run_id = $id", {"id": run_id}
    ).fetchall()[0]


def test_a_run_left_running_is_marked_failed_when_the_next_one_begins(con):
    first = begin_run(con, "default", "full", "test")
    other_account = begin_run(con, "sandbox", "full", "test")
    second = begin_run(con, "default", "full", "test")
    assert second == other_account + 1
    assert _run(con, first) == ("failed", INTERRUPTED_MESSAGE, True)
    assert _run(con, other_account)[0] == "running"


def test_fail_run_records_one_scrubbed_line(con):
    register_secret("tok-very-secret-123")
    run_id = begin_run(con, "default", "full", "test")
    fail_run(con, run_id, "401 for tok-very-secret-123\nsecond line")
    status, error, finished = _run(con, run_id)
    assert (
        status == "failed" and finished and "tok-very-secret-123" not in error and "\n" not in error
    )


def test_a_load_marks_its_run_succeeded_and_moves_the_watermark(con, tmp_path):
    assert audit_watermark(con, "default") is None
    run_id = begin_run(con, "default", "full", "test")
    staging = write_staging(
        tmp_path / "s", observed_at="2026-03-01T02:00:00.000Z", flows=[flow(oid(), "F")]
    )
    counts = load_staging(con, staging, run_id)
    row = con.execute(
        "SELECT status, observed_at, audit_to, requests, retries, counts ->> '$.flows' FROM runs"
    ).fetchall()
    assert row == [
        (
            "succeeded",
            datetime(2026, 3, 1, 2, tzinfo=UTC),
            datetime(2026, 3, 1, 2, tzinfo=UTC),
            7,
            1,
            "1",
        )
    ]
    assert counts["flows"] == 1
    assert audit_watermark(con, "default") == datetime(2026, 3, 1, 2, tzinfo=UTC)
    assert audit_watermark(con, "sandbox") is None


def test_a_run_that_is_no_longer_running_is_not_loaded(con, tmp_path):
    run_id = begin_run(con, "default", "full", "test")
    fail_run(con, run_id, "fetch failed")
    staging = write_staging(tmp_path / "s", observed_at="2026-03-01T02:00:00.000Z")
    with pytest.raises(DatabaseError, match="is failed, not running"):
        load_staging(con, staging, run_id)


def test_a_staging_area_without_a_manifest_is_never_loaded(con, tmp_path):
    run_id = begin_run(con, "default", "full", "test")
    staging = write_staging(tmp_path / "s", observed_at="2026-03-01T02:00:00.000Z")
    (staging / "manifest.json").unlink()
    with pytest.raises(StagingError, match=r"no manifest\.json"):
        load_staging(con, staging, run_id)


def test_accounts_are_kept_apart(load):
    f = oid()
    load(account="prod", observed_at="2026-03-01T02:00:00.000Z", flows=[flow(f, "Prod")])
    load(account="sandbox", observed_at="2026-03-01T03:00:00.000Z", flows=[])
    assert load.rows("SELECT account, name FROM flows") == [("prod", "Prod")]
