"""Completeness evidence: each loaded run stores the audit windows its manifest lists and
whether its audit and listings were complete; a run whose audit was not complete says why
and leaves the watermark where it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from flowaudit.load.loader import load_staging
from flowaudit.load.runs import audit_watermark, begin_run
from flowaudit.load.staging_reader import StagingError

from .staging import flow, oid, write_staging

T0 = "2026-03-01T02:00:00.000Z"
T1 = "2026-03-02T02:00:00.000Z"


def _windows(load, run_id):
    return load.rows(
        "SELECT window_from, window_to, scope, account_wide, records, pages, complete "
        "FROM audit_windows WHERE run_id = $run ORDER BY window_to, scope",
        {"run": run_id},
    )


def test_each_run_stores_the_windows_its_manifest_lists(load):
    load(observed_at=T0, flows=[flow(oid(), "F")])
    windows = [
        {
            "from": "2026-03-01T00:00:00.000Z",
            "to": "2026-03-01T12:00:00.000Z",
            "records": 3,
            "pages": 1,
            "complete": True,
        },
        {
            "from": "2026-03-01T12:00:00.000Z",
            "to": T1,
            "records": 1200,
            "pages": 2,
            "complete": True,
        },
    ]
    load(observed_at=T1, audit_from="2026-03-01T00:00:00.000Z", audit_windows=windows)

    assert _windows(load, 1) == [
        (None, datetime(2026, 3, 1, 2, tzinfo=UTC), "/audit", True, 0, 1, True)
    ]
    assert _windows(load, 2) == [
        (
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            "/audit",
            True,
            3,
            1,
            True,
        ),
        (
            datetime(2026, 3, 1, 12, tzinfo=UTC),
            datetime(2026, 3, 2, 2, tzinfo=UTC),
            "/audit",
            True,
            1200,
            2,
            True,
        ),
    ]
    runs = load.rows(
        "SELECT run_id, audit_complete, audit_gaps, audit_records, listings FROM runs ORDER BY run_id"
    )
    assert [(r[0], r[1], json.loads(r[2]), r[3]) for r in runs] == [
        (1, True, [], 0),
        (2, True, [], 0),
    ]
    assert json.loads(runs[0][4])["flows"] == {"complete": True, "count": 1, "pages": 1}


def test_an_incomplete_audit_is_recorded_with_its_gap_and_keeps_the_watermark(load):
    load(observed_at=T0)
    gap = "/audit from 2026-03-01T12:00:00.000Z to 2026-03-02T02:00:00.000Z: page cap reached"
    windows = [
        {
            "from": "2026-03-01T00:00:00.000Z",
            "to": "2026-03-01T12:00:00.000Z",
            "records": 5,
            "pages": 1,
            "complete": True,
        },
        {
            "from": "2026-03-01T12:00:00.000Z",
            "to": T1,
            "records": 100000,
            "pages": 100,
            "complete": False,
        },
    ]
    load(
        observed_at=T1,
        audit_from="2026-03-01T00:00:00.000Z",
        audit_windows=windows,
        audit_gaps=(gap,),
    )

    complete, gaps = load.rows("SELECT audit_complete, audit_gaps FROM runs WHERE run_id = 2")[0]
    assert complete is False and json.loads(gaps) == [gap]
    assert [w[-1] for w in _windows(load, 2)] == [True, False]
    assert audit_watermark(load.con, "default") == datetime(2026, 3, 1, 2, tzinfo=UTC)


def test_a_per_flow_window_is_not_account_wide(load):
    flow_id = oid()
    windows = [
        {
            "from": None,
            "to": T0,
            "records": 4,
            "pages": 1,
            "complete": True,
            "scope": f"/flows/{flow_id}/audit",
        },
        {
            "from": None,
            "to": T0,
            "records": 0,
            "pages": 1,
            "complete": True,
            "scope": "/audit?resourceType=connection",
        },
    ]
    load(
        observed_at=T0,
        flows=[flow(flow_id, "F")],
        audit_windows=windows,
        audit_gaps=("per-flow audit cannot see flows deleted before the listing",),
    )
    assert [(w[2], w[3]) for w in _windows(load, 1)] == [
        ("/audit?resourceType=connection", False),
        (f"/flows/{flow_id}/audit", False),
    ]
    assert load.rows("SELECT audit_complete FROM runs") == [(False,)]


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"from": None, "to": T0, "records": 1, "pages": 1}, "does not say whether it is complete"),
        (
            {"from": None, "to": T0, "records": "many", "pages": 1, "complete": True},
            "'records' is not a count",
        ),
        ({"from": None, "records": 1, "pages": 1, "complete": True}, "'to' is missing"),
    ],
)
def test_a_manifest_with_a_malformed_window_is_refused_and_nothing_is_stored(
    con, tmp_path, window, message
):
    run_id = begin_run(con, "default", "full", "test")
    staging = write_staging(
        tmp_path / "s", observed_at=T0, flows=[flow(oid(), "F")], audit_windows=[window]
    )
    with pytest.raises(StagingError, match=message):
        load_staging(con, staging, run_id)
    assert con.execute("SELECT status FROM runs").fetchall() == [("running",)]
    assert con.execute("SELECT count(*) FROM audit_windows").fetchall() == [(0,)]
