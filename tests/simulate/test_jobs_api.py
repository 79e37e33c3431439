"""The simulator's jobs and errors, as the reference describes them: /v1/jobs newest first,
up to 1,001 a page, an inclusive createdAt_lte, a scope filter required; runs that follow
the flows' schedules; breaking changes that raise a flow's error rate for a while; open
errors per step; and includeErrorCounts on the flows listing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import httpx
import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions, whole_account
from flowaudit.simulate.breaking import busiest_flow
from flowaudit.simulate.schedule import parse_cron, utc_minutes
from tests.simulate.conftest import ROOMY, client_for


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_job_query_without_a_scope_filter_is_invalid_query(client):
    answer = client.get("/jobs")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "invalid_query"
    child = client.get("/jobs", params={"type": "import", "createdAt_lte": "2026-11-01"})
    assert child.status_code == 400 and child.json()["errors"][0]["code"] == "invalid_query"


def test_jobs_come_newest_first_up_to_1001_a_page_without_a_next_link(client, shared_account):
    answer = client.get("/jobs", params={"createdAt_lte": shared_account.now.isoformat()})
    assert answer.status_code == 200
    assert "link" not in answer.headers
    jobs = answer.json()
    assert isinstance(jobs, list) and len(jobs) == 1001
    times = [_time(job["createdAt"]) for job in jobs]
    assert times == sorted(times, reverse=True)
    assert {job["type"] for job in jobs} == {"flow"}
    assert all(job["_flowId"] and job["status"] for job in jobs)


def test_created_at_lte_is_inclusive_and_every_date_form_is_accepted(client, shared_account):
    newest = client.get("/jobs", params={"createdAt_lte": shared_account.now.isoformat()}).json()
    boundary = newest[10]["createdAt"]
    again = client.get("/jobs", params={"createdAt_lte": boundary}).json()
    assert again[0]["createdAt"] == boundary and again[0]["_id"] == newest[10]["_id"]
    moment = _time(boundary)
    epoch_ms = str(int(moment.timestamp() * 1000))
    assert (
        client.get("/jobs", params={"createdAt_lte": epoch_ms}).json()[0]["_id"]
        == newest[10]["_id"]
    )
    day = client.get(
        "/jobs", params={"createdAt_gte": moment.date().isoformat(), "createdAt_lte": boundary}
    ).json()
    assert day and all(_time(j["createdAt"]).date() == moment.date() for j in day)
    bad = client.get("/jobs", params={"createdAt_lte": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_query"


def test_jobs_older_than_the_retention_are_no_longer_returned(client, shared_account):
    old = shared_account.now - timedelta(days=shared_account.options.job_retention_days, minutes=1)
    assert client.get("/jobs", params={"createdAt_lte": old.isoformat()}).json() == []


def test_a_flows_runs_follow_its_schedule_in_its_time_zone():
    assert utc_minutes(("? 0 */6 ? * *",), "UTC", 20_000) == (0, 360, 720, 1080)
    # 03:00 in New York on a weekday (2024-10-04, a Friday, daylight saving time) is 07:00 UTC.
    assert utc_minutes(("? 0 3 ? * 2-6",), "America/New_York", 20_000) == (420,)
    assert utc_minutes(("? 0 3 ? * 2-6",), "America/New_York", 20_001) == ()  # Saturday
    assert parse_cron("? 0 25 ? * *") is None and parse_cron("0 0 * * *") is None


def test_every_scheduled_flow_runs_as_often_as_its_schedule_says(shared_account):
    with client_for(shared_account) as client:
        day_end = shared_account.now.replace(hour=0, minute=0, second=0, microsecond=0)
        day_start = day_end - timedelta(days=1)
        jobs = client.get("/jobs", params={"createdAt_gte": day_start.isoformat(),
                                           "createdAt_lte": (day_end - timedelta(milliseconds=1)).isoformat()}).json()  # fmt: skip
    runs = Counter(job["_flowId"] for job in jobs)
    state = shared_account.state_at(day_end - timedelta(hours=12))["flows"]
    day = int(day_start.timestamp()) // 86_400
    checked = 0
    for flow_id, flow in state.items():
        if (
            shared_account.state_at(day_start)["flows"].get(flow_id) != flow
            or flow_id not in shared_account.state_at(day_end)["flows"]
        ):
            continue  # changed that day
        schedules = tuple(
            s
            for s in [flow.get("schedule")]
            + [g.get("schedule") for g in flow.get("pageGenerators") or []]
            if s
        )
        expected = (
            0
            if flow.get("disabled") or not schedules
            else len(utc_minutes(schedules, flow.get("timezone"), day))
        )
        # A little noise: about 3 in 1,000 scheduled runs do not happen.
        assert expected - max(2, expected // 50) <= runs.get(flow_id, 0) <= expected, flow_id
        checked += 1
    assert checked > 20


@pytest.fixture(scope="module")
def broken() -> tuple[SimulatedAccount, str, datetime, dict]:
    """An account whose busiest flow a known change broke for 12 hours, 36 hours ago (its
    own breakages off): (account, flow id, when it broke, the breakage's ground truth)."""
    account = SimulatedAccount.generate("small", seed=5, options=SimulatorOptions(
        burst=1_000_000, refill_per_second=1_000_000.0, breaking_share=0.0))  # fmt: skip
    flow_id = busiest_flow(account)
    broke_at = account.now
    truth = account.make_breaking_change(flow_id, hours=12, error_share=0.9)
    account.advance(hours=36)
    return account, flow_id, broke_at, truth


def test_a_breaking_change_raises_its_flows_error_rate_for_a_while_and_is_ground_truth(broken):
    account, flow_id, broke_at, truth = broken
    assert truth["flowIds"] == [flow_id] and truth["resourceType"] == "import"
    record = next(r for r in account.audit_records() if r["_id"] == truth["event_id"])
    assert record["fieldChanges"][0]["fieldPath"] == "mapping.fields" and record["source"] == "ui"
    with client_for(account) as client:
        jobs = client.get(
            "/jobs",
            params={
                "_flowId": flow_id,
                "createdAt_gte": (broke_at - timedelta(hours=12)).isoformat(),
            },
        ).json()

    def rate(start: datetime, end: datetime) -> float:
        chosen = [j for j in jobs if start <= _time(j["createdAt"]) < end]
        assert len(chosen) >= 10
        return sum(1 for j in chosen if j["numError"] or j["status"] == "failed") / len(chosen)

    assert rate(broke_at - timedelta(hours=12), broke_at) < 0.2
    assert rate(broke_at, broke_at + timedelta(hours=12)) > 0.7
    assert rate(broke_at + timedelta(hours=13), broke_at + timedelta(hours=35)) < 0.2
    assert account.breakages == [truth]


def test_some_ordinary_mapping_changes_break_flows_too(shared_account):
    breakages = shared_account.breakages
    assert breakages, "a year of a small account holds some breaking changes"
    events = {r["_id"]: r for r in shared_account.audit_records()}
    for breakage in breakages:
        record = events[breakage["event_id"]]
        assert record["event"] == "update" and record["source"] != "system"
        assert any(c["fieldPath"].startswith("mapping") or c["fieldPath"] in ("pageProcessors", "routers")
                   for c in record["fieldChanges"])  # fmt: skip


def test_open_errors_per_step_and_the_listings_error_counts_agree(broken):
    # The broken account: whether a year's noise leaves errors open right now is luck.
    with client_for(broken[0]) as client:
        _open_errors_agree(client)


def _open_errors_agree(client) -> None:
    flows = client.get("/flows", params={"includeErrorCounts": "true", "limit": 1000}).json()
    assert all(isinstance(f["numOpenError"], int) for f in flows)
    assert "numOpenError" not in client.get("/flows", params={"limit": 1000}).json()[0]
    with_errors = [f for f in flows if f["numOpenError"]]
    assert with_errors
    for flow in with_errors:
        summary = client.get(f"/flows/{flow['_id']}/errors").json()["flowErrors"]
        assert sum(step["numError"] for step in summary) == flow["numOpenError"]
        assert flow["lastErrorAt"]
    flow = with_errors[0]
    step = client.get(f"/flows/{flow['_id']}/errors").json()["flowErrors"][0]
    errors, url = [], f"/flows/{flow['_id']}/{step['_expOrImpId']}/errors"
    while url:
        body = client.get(url).json()
        errors += body["errors"]
        url = body.get("nextPageURL")
    assert len(errors) == step["numError"]
    assert {"errorId", "code", "message", "occurredAt", "purgeAt", "_flowJobId"} <= set(errors[0])
    assert client.get("/flows/0123456789abcdef01234567/errors").status_code == 404


def test_with_whole_second_times_many_jobs_share_a_created_at():
    account = SimulatedAccount.generate("small", seed=1, options=SimulatorOptions(
        burst=1_000_000, refill_per_second=1_000_000.0, job_time_resolution_ms=1000))  # fmt: skip
    with client_for(account) as client:
        jobs = client.get("/jobs", params={"createdAt_lte": account.now.isoformat()}).json()
    times = Counter(job["createdAt"] for job in jobs)
    assert all(text.endswith(".000Z") for text in times)
    assert sum(1 for count in times.values() if count > 1) >= 10


def test_the_same_account_runs_the_same_jobs(shared_account):
    again = SimulatedAccount.generate("small", seed=1, token="demo", options=ROOMY)
    params = {"createdAt_lte": (shared_account.now - timedelta(days=3)).isoformat()}
    with client_for(shared_account) as a, client_for(again) as b:
        assert a.get("/jobs", params=params).json() == b.get("/jobs", params=params).json()


def test_the_whole_account_part_leaves_the_flows_and_their_schedules_as_they_were(monkeypatch):
    # Its events draw from generators of their own: a draw from the account's would remake
    # every later flow (issue 14 once did, through Activity.ui_user, and the runs changed).
    def shape(account: SimulatedAccount) -> list[tuple]:
        flows = account.state_at(account.now)["flows"].values()
        return sorted(
            (f["name"], f.get("schedule"), f.get("timezone"), bool(f.get("disabled")))
            for f in flows
        )

    whole = shape(SimulatedAccount.generate("small", seed=1, options=ROOMY))
    monkeypatch.setattr(whole_account, "plan_history", lambda *args: None)
    assert shape(SimulatedAccount.generate("small", seed=1, options=ROOMY)) == whole


def _all_jobs(client: httpx.Client, since: datetime, until: datetime, **filters: str) -> tuple[list[dict], list[bytes]]:
    """Every job created in [since, until], paged down by the inclusive createdAt_lte; and
    the pages' bodies as served."""
    seen: dict[str, dict] = {}
    bodies: list[bytes] = []
    bound = until.isoformat()
    while True:
        answer = client.get("/jobs", params={"createdAt_gte": since.isoformat(),
                                             "createdAt_lte": bound, **filters})  # fmt: skip
        bodies.append(answer.content)
        page = answer.json()
        fresh = [job for job in page if job["_id"] not in seen]
        seen.update((job["_id"], job) for job in fresh)
        if len(page) < 1001 or not fresh:
            return list(seen.values()), bodies
        bound = page[-1]["createdAt"]


def test_jobs_served_from_an_advance_settled_days_are_the_jobs_made_on_request():
    # POST /_sim/advance encodes the settled days' ended jobs ahead; the answers must be
    # byte for byte those of an account that makes every job when it is asked for.
    settled, lazy = (SimulatedAccount.generate("small", seed=7, token="demo", options=ROOMY)
                     for _ in range(2))  # fmt: skip
    with client_for(settled) as a, client_for(lazy) as b:
        admin = str(settled.base_url).removesuffix("/v1") + "/_sim/advance"
        assert a.post(admin, params={"hours": 30}).status_code == 200
        lazy.advance(hours=30)
        assert settled.now == lazy.now
        since = settled.now - timedelta(hours=54)
        jobs, bodies = _all_jobs(a, since, settled.now)
        assert len(jobs) > 500 and "completed" in {j["status"] for j in jobs}
        # (the settled account did serve them from what the advance encoded)
        assert sum(map(len, settled.jobs._encoded.values())) > 500
        assert bodies == _all_jobs(b, since, lazy.now)[1]
        integration = next(j["_integrationId"] for j in jobs if j.get("_integrationId"))
        for filters in ({"_integrationId": integration}, {"status": "completed"}):
            filtered, bodies = _all_jobs(a, since, settled.now, **filters)
            assert filtered and bodies == _all_jobs(b, since, lazy.now, **filters)[1]
