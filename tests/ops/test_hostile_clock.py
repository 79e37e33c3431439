"""Hostile clocks (issue 10, items 1 and 19): the server's `Date` never moves the audit
watermark past what was read, and a change made in the observation's own second is read
by the run that lists it.

The machine's clock is the simulator's (`wall_clock=`): in these scenarios the API's clock
is right and one answer lies, as in the adversarial run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import duckdb
import httpx
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from flowaudit.config import resolve_settings
from flowaudit.pipeline import RunResult, run_extract
from flowaudit.report.render import render_reports
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import query

YEAR = timedelta(days=365)


def _naive(moment: datetime) -> datetime:
    """A time as the store answers it: an instant in UTC."""
    return moment.astimezone(UTC)


def _night(db: Path, account: SimulatedAccount, transport=None, **flags) -> RunResult:
    settings = resolve_settings(
        {"db": db, "api_url": account.base_url, **flags},
        environ={"FLOWAUDIT_TOKEN": account.token},
    )
    return run_extract(
        settings,
        transport=transport or account.async_transport(),
        wall_clock=lambda: account.now,
    )


def _one_answer_dated_a_year_ahead(account: SimulatedAccount) -> httpx.MockTransport:
    """The simulator, except that its first /flows answer says it is a year later."""
    inner = account.async_transport()
    lied = []

    async def handler(request: httpx.Request) -> httpx.Response:
        answer = await inner.handle_async_request(request)
        body = await answer.aread()
        if request.url.path == "/v1/flows" and not lied:
            lied.append(request.url)
            headers = {k: v for k, v in answer.headers.items() if k.lower() != "date"}
            headers["Date"] = format_datetime(account.now + YEAR, usegmt=True)
            return httpx.Response(answer.status_code, headers=headers, content=body)
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)

    return httpx.MockTransport(handler)


def _served_ids(account: SimulatedAccount) -> set[str]:
    return {record["_id"] for record in account.audit_records(include_expired=False)}


def _stored_ids(db: Path) -> set[str]:
    return {event_id for (event_id,) in query(db, "SELECT event_id FROM audit_events")}


def _index(db: Path, out: Path) -> tuple[HTMLParser, str]:
    index = render_reports(db, out, resolve_settings({"db": db}, environ={}))
    page = HTMLParser(index.read_text(encoding="utf-8"))
    return page, page.body.text(separator=" ")


def test_a_date_a_year_ahead_then_two_normal_nights_loses_no_audit_record(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=31)
    db = tmp_path / "a.duckdb"

    skewed = _night(db, account, _one_answer_dated_a_year_ahead(account))
    clock = skewed.manifest["clock"]
    assert clock["bounded"] is True and clock["skew_seconds"] >= YEAR.total_seconds() - 1
    # Held to the local clock plus the tolerance (300 s), so the watermark is too.
    limit = _naive(account.now) + timedelta(seconds=300)
    observed = query(db, "SELECT observed_at FROM runs")[0][0]
    assert observed <= limit
    assert query(db, "SELECT audit_high_water FROM store.watermarks") == [(observed,)]
    assert query(db, "SELECT clock ->> '$.bounded' FROM runs") == [("true",)]
    windows = sorted(skewed.manifest["audit"]["windows"], key=lambda w: w["from"] or "")
    assert windows[-1]["to"] == skewed.manifest["observed_at"]  # no hole before the end

    for _night_number in (2, 3):
        account.advance(hours=24)
        result = _night(db, account)
        assert result.manifest["clock"]["bounded"] is False
        assert result.manifest["audit"]["from"] < result.manifest["audit"]["to"]

    assert _stored_ids(db) == _served_ids(account)  # every record, against the ground truth
    page, text = _index(db, tmp_path / "reports")
    assert page.css_first("#audit-complete") is not None, text


def _as_an_older_flowaudit_left_it(db: Path, account: SimulatedAccount) -> datetime:
    """Make the stored state what an older flowaudit left after a Date a year ahead: its run,
    windows and watermark end a year away; it recorded no clock; it finished on time."""
    future = _naive(account.now) + YEAR
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "UPDATE store.runs SET observed_at = $f, audit_to = $f, clock = NULL, finished_at = $now",
            {"f": future, "now": _naive(account.now)},
        )
        con.execute(
            "UPDATE store.audit_windows SET window_to = $f WHERE window_to = (SELECT max(window_to) FROM store.audit_windows)",
            {"f": future},
        )
        con.execute("UPDATE store.watermarks SET audit_high_water = $f", {"f": future})
    finally:
        con.close()
    return future


def _an_older_flowaudit_night(db: Path, account: SimulatedAccount) -> None:
    """The next night of that older flowaudit: from the watermark, whose window it clamped
    to an empty one at its own time, "complete" (what the adversarial run saw)."""
    now = _naive(account.now)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "INSERT INTO store.runs (run_id, account, started_at, finished_at, status, mode, "
            "observed_at, audit_from, audit_to, audit_complete, audit_gaps, audit_records, "
            "flowaudit_version) VALUES (2, 'default', $t, $t, 'succeeded', 'incremental', $t, "
            "$t, $t, true, '[]', 0, '0.0.9')",
            {"t": now},
        )
        con.execute(
            "INSERT INTO store.audit_windows VALUES (2, 'default', $t, $t, '/audit', 0, 1, true)",
            {"t": now},
        )
    finally:
        con.close()


def test_a_watermark_left_in_the_future_is_not_trusted_and_the_stretch_is_read_again(
    tmp_path: Path,
):
    account = SimulatedAccount.generate("small", seed=32)
    db = tmp_path / "a.duckdb"
    _night(db, account)
    first_finished = _naive(account.now)
    future = _as_an_older_flowaudit_left_it(db, account)
    account.advance(hours=24)
    _an_older_flowaudit_night(db, account)
    missing = _served_ids(account) - _stored_ids(db)
    assert missing, "the scenario needs records the older flowaudit never read"

    # The overview does not claim "No gap" over the stretch read by an empty window.
    page, text = _index(db, tmp_path / "before")
    assert page.css_first("#audit-complete") is None
    stretch = f"{first_finished:%Y-%m-%d %H:%M} to {_naive(account.now):%Y-%m-%d %H:%M} UTC"
    assert f"Audit history has gaps: {stretch}" in text

    account.advance(hours=24)
    result = _night(db, account)
    assert _stored_ids(db) == _served_ids(account)
    ((distrusted, audit_from, mode),) = query(
        db,
        "SELECT watermark_distrusted, audit_from, mode FROM runs WHERE run_id = ?",
        [result.run_id],
    )
    assert distrusted == future and mode == "incremental"
    newest_before = max(datetime.fromisoformat(r["time"].replace("Z", "+00:00")) for r in account.audit_records()
                        if r["_id"] not in missing)  # fmt: skip
    assert audit_from <= newest_before - timedelta(hours=6) + timedelta(milliseconds=1)
    # The watermark was replaced by what this run read, not kept a year ahead.
    assert query(db, "SELECT audit_high_water FROM store.watermarks") == [
        (query(db, "SELECT observed_at FROM runs WHERE run_id = ?", [result.run_id])[0][0],)
    ]
    page, text = _index(db, tmp_path / "after")
    assert page.css_first("#audit-complete") is not None, text
    notes = [node.text() for node in page.css(".clock-note")]
    assert any("did not trust the stored audit watermark" in note for note in notes), notes


def test_a_change_made_in_the_observations_own_second_is_read_by_that_run(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=33)
    db = tmp_path / "a.duckdb"
    _night(db, account)
    account.advance(hours=24)
    before = _served_ids(account)
    flow = next(f for f in account.resources("flows") if f.get("_integrationId"))
    with httpx.Client(
        transport=account.transport(), base_url=account.base_url,
        headers={"Authorization": f"Bearer {account.token}"},
    ) as client:  # fmt: skip
        client.put(f"flows/{flow['_id']}", json={**flow, "name": "Renamed in the run's second"})
    (change,) = [r for r in account.audit_records() if r["_id"] not in before
                 and r.get("_resourceId") == flow["_id"] and r["source"] == "api"]  # fmt: skip
    assert change["time"] == account.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # exactly `now`

    stored_before = _stored_ids(db)
    result = _night(db, account)
    assert change["_id"] in _stored_ids(db)
    # "N new audit records" counts it: the records of the day, the change included.
    assert result.counts["new_audit_records"] == len(_served_ids(account) - stored_before)
    # The new version is explained by the record: it starts when the change was made.
    assert query(
        db,
        "SELECT valid_from FROM flow_versions WHERE flow_id = ? AND valid_to IS NULL",
        [flow["_id"]],
    ) == [(_naive(account.now),)]
