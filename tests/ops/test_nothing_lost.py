"""Nothing lost: audit records the vendor has forgotten stay in the database for good, each
run leaves evidence of the audit windows it read, and the index report says whether any
stretch of audit history is missing (and which)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import duckdb
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from flowaudit.config import resolve_settings
from flowaudit.pipeline import run_extract
from flowaudit.report.render import render_reports
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.pipeline.helpers import extract, query, snapshot

RETENTION_DAYS = 20


def _stored_event_ids(db: Path) -> set[str]:
    return {event_id for (event_id,) in query(db, "SELECT event_id FROM audit_events")}


def test_audit_records_past_the_vendors_retention_stay_in_the_database(tmp_path: Path):
    account = SimulatedAccount.generate(
        "small", seed=8, options=SimulatorOptions(audit_retention_days=RETENTION_DAYS)
    )
    db = tmp_path / "a.duckdb"
    extract(db, account)
    first = _stored_event_ids(db)
    assert first == {r["_id"] for r in account.audit_records(include_expired=False)}

    account.advance(hours=24 * (RETENTION_DAYS + 5))  # every record of the first run expires
    extract(db, account)
    served_now = {r["_id"] for r in account.audit_records(include_expired=False)}
    forgotten = first - served_now
    assert forgotten == first, "the scenario needs records the API no longer returns"
    after_incremental = _stored_event_ids(db)
    assert after_incremental == first | served_now

    # Even a --full run, which reads whatever the API still has, deletes nothing.
    before_full = snapshot(db)
    extract(db, account, full=True)
    assert _stored_event_ids(db) == after_incremental
    assert snapshot(db)["audit_records"] == before_full["audit_records"]
    assert snapshot(db)["audit_field_changes"] == before_full["audit_field_changes"]


def test_each_run_records_the_audit_window_it_read_page_by_page(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=9)
    db = tmp_path / "a.duckdb"
    full = extract(db, account)
    account.advance(hours=24)
    nightly = extract(db, account)

    for result in (full, nightly):
        audit = result.manifest["audit"]
        assert audit["complete"] is True and audit["gaps"] == []
        windows = sorted(audit["windows"], key=lambda w: (w["from"] or "", w["to"]))
        # The windows tile [from, to) exactly: no hole, no overlap.
        assert windows[0]["from"] == audit["from"] and windows[-1]["to"] == audit["to"]
        for earlier, later in pairwise(windows):
            assert earlier["to"] == later["from"]
        assert all(w["complete"] and w["pages"] >= 1 for w in windows)
        assert sum(w["records"] for w in windows) == audit["records"]

    # The store keeps that evidence: each run's windows as its manifest lists them.
    for result in (full, nightly):
        stored = query(
            db,
            "SELECT window_from, window_to, scope, records, pages, complete FROM audit_windows "
            "WHERE run_id = ? ORDER BY window_from NULLS FIRST",
            [result.run_id],
        )
        listed = sorted(result.manifest["audit"]["windows"], key=lambda w: w["from"] or "")
        assert stored == [
            (_utc(w["from"]), _utc(w["to"]), "/audit", w["records"], w["pages"], True)
            for w in listed
        ]
        audit = result.manifest["audit"]
        assert query(
            db,
            "SELECT audit_complete, audit_gaps::VARCHAR, audit_records FROM runs WHERE run_id = ?",
            [result.run_id],
        ) == [(True, "[]", audit["records"])]

    # And the runs chain up.
    rows = query(db, "SELECT mode, audit_from, audit_to, observed_at FROM runs ORDER BY run_id")
    (mode1, from1, to1, seen1), (mode2, from2, to2, seen2) = rows
    assert (mode1, from1, to1) == ("full", None, seen1)
    assert mode2 == "incremental" and to2 == seen2
    assert from2 <= to1, "an incremental run starts at (or before) the previous run's end"
    assert to1 - from2 == timedelta(hours=6)  # the default overlap


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _index_text(db: Path, out: Path) -> tuple[HTMLParser, str]:
    index = render_reports(db, out, resolve_settings({"db": db}, environ={}))
    page = HTMLParser(index.read_text(encoding="utf-8"))
    return page, page.body.text(separator=" ")


def test_the_index_says_no_day_of_audit_history_is_missing(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=9)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    account.advance(hours=24)
    extract(db, account)
    page, text = _index_text(db, tmp_path / "reports")
    assert page.css_first("#audit-complete") is not None
    assert "No gap in the audit history since" in text
    assert "gaps" not in text.lower().replace("no gap", "")


def test_the_index_names_a_missing_stretch_of_audit_history(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=9)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    first_to = query(db, "SELECT audit_to FROM runs")[0][0]
    # Two runs whose windows do not meet: as if the store had been told the audit log was
    # complete two days further than any run read it (a restored backup, a bad edit).
    con = duckdb.connect(str(db))
    con.execute("UPDATE store.watermarks SET audit_high_water = audit_high_water + INTERVAL 2 DAY")
    con.close()
    account.advance(hours=72)
    extract(db, account)
    second_from = query(db, "SELECT audit_from FROM runs WHERE run_id = 2")[0][0]
    assert second_from > first_to

    page, text = _index_text(db, tmp_path / "reports")
    assert page.css_first("#audit-complete") is None
    expected = f"{first_to:%Y-%m-%d %H:%M} to {second_from:%Y-%m-%d %H:%M} UTC"
    assert f"Audit history has gaps: {expected}" in text


def test_a_run_whose_audit_is_not_complete_leaves_a_gap_until_a_complete_run_reads_it(
    tmp_path: Path,
):
    account = SimulatedAccount.generate("small", seed=9)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    account.advance(hours=24)
    # The per-flow strategy cannot see flows deleted before its listing: never complete.
    settings = resolve_settings(
        {"db": db, "api_url": account.base_url}, environ={"FLOWAUDIT_TOKEN": account.token}
    )
    run_extract(settings, transport=account.async_transport(), strategy="per-flow")
    (first_to,), (second_to,) = query(db, "SELECT audit_to FROM runs ORDER BY run_id")
    assert query(db, "SELECT audit_complete FROM runs ORDER BY run_id") == [(True,), (False,)]
    assert query(db, "SELECT bool_or(account_wide) FROM audit_windows WHERE run_id = 2") == [
        (False,)
    ]

    page, text = _index_text(db, tmp_path / "reports")
    assert page.css_first("#audit-complete") is None
    assert (
        f"Audit history has gaps: {first_to:%Y-%m-%d %H:%M} to {second_to:%Y-%m-%d %H:%M} UTC"
        in text
    )

    # The watermark stayed at the first run: the next (complete) run reads the stretch again.
    account.advance(hours=24)
    extract(db, account)
    page, text = _index_text(db, tmp_path / "reports2")
    assert page.css_first("#audit-complete") is not None
    assert "gaps" not in text.lower().replace("no gap", "")
