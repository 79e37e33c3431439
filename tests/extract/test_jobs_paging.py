"""Paging /v1/jobs: newest first, no next link, `createdAt_lte` inclusive. Jobs that share
the createdAt of a page's boundary come again on the next page and are dropped by `_id`:
nothing is lost and nothing is written twice, however the equal timestamps fall."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from flowaudit.errors import ApiContractError
from flowaudit.extract.jobs import (
    JobPager,
    JobWindow,
    plan_job_windows,
    same_error_state,
)
from flowaudit.extract.windows import api_time
from tests.extract.fakes import FakeApi, json_response, run, with_client

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def job(n: int, created: datetime) -> dict:
    return {"_id": f"j{n:05d}", "type": "flow", "_flowId": "f1", "status": "completed",
            "createdAt": api_time(created)}  # fmt: skip


class JobsApi:
    """/jobs as the reference describes it: descending createdAt, at most `page` jobs, both
    createdAt bounds inclusive, no Link."""

    def __init__(self, jobs: list[dict], page: int):
        self.jobs = sorted(jobs, key=lambda j: (j["createdAt"], j["_id"]), reverse=True)
        self.page = page
        self.served = 0
        self.api = FakeApi(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert request.url.path == "/v1/jobs" and params.get("type") == "flow"
        high, low = params["createdAt_lte"], params.get("createdAt_gte")
        chosen = [
            j
            for j in self.jobs
            if j["createdAt"] <= high and (low is None or j["createdAt"] >= low)
        ]
        self.served += len(chosen[: self.page])
        return json_response(chosen[: self.page])


def page_all(api: JobsApi, window: JobWindow) -> tuple[list[dict], dict]:
    read: list[dict] = []

    async def action(client):
        return await JobPager(client, read.extend).window(window)

    entry = run(with_client(api.api, action))
    return read, entry


def test_equal_timestamps_across_a_page_boundary_lose_and_duplicate_nothing():
    # Groups of 1 to 4 jobs share a millisecond; pages of 5 cut through many groups.
    jobs, n = [], 0
    for step in range(60):
        for _ in range(1 + step % 4):
            jobs.append(job(n, T0 - timedelta(seconds=step)))
            n += 1
    api = JobsApi(jobs, page=5)
    read, entry = page_all(api, JobWindow(T0 - timedelta(hours=1), T0 + timedelta(seconds=1)))
    ids = [j["_id"] for j in read]
    assert len(ids) == len(set(ids)), "a job was written twice"
    assert set(ids) == {j["_id"] for j in jobs}, "a job was lost"
    assert entry["complete"] and entry["records"] == len(jobs) and entry["gaps"] == []
    # Each next page starts at the oldest createdAt read so far, inclusively.
    bounds = [r.url.params["createdAt_lte"] for r in api.api.requests]
    assert bounds[0] == api_time(T0 + timedelta(seconds=1) - timedelta(milliseconds=1))
    assert bounds == sorted(bounds, reverse=True) and len(set(bounds)) == len(bounds)
    assert api.served - len(jobs) >= 20, "the pages did not serve the boundaries' jobs again"


def test_a_window_asks_for_its_half_open_period_and_stops_at_its_start():
    jobs = [job(i, T0 - timedelta(minutes=i)) for i in range(30)]
    api = JobsApi(jobs, page=4)
    window = JobWindow(T0 - timedelta(minutes=10), T0)  # [T0 - 10 min, T0)
    read, entry = page_all(api, window)
    assert {j["_id"] for j in read} == {f"j{i:05d}" for i in range(1, 11)}
    first = api.api.requests[0].url.params
    assert first["createdAt_gte"] == api_time(T0 - timedelta(minutes=10))
    assert first["createdAt_lte"] == api_time(T0 - timedelta(milliseconds=1))
    assert entry["complete"]


def test_more_jobs_in_one_millisecond_than_a_page_holds_is_a_gap_not_a_loop():
    jobs = [job(i, T0) for i in range(12)] + [
        job(100 + i, T0 - timedelta(seconds=1 + i)) for i in range(3)
    ]
    api = JobsApi(jobs, page=5)
    read, entry = page_all(api, JobWindow(None, T0 + timedelta(seconds=1)))
    ids = [j["_id"] for j in read]
    assert len(ids) == len(set(ids)) == 5 + 3  # one page of the crowded millisecond, then the rest
    assert not entry["complete"]
    assert "share createdAt" in entry["gaps"][0]
    assert len(api.api.requests) < 10


def test_a_page_shorter_than_one_already_seen_ends_the_window():
    jobs = [job(i, T0 - timedelta(seconds=i)) for i in range(1500)]
    api = JobsApi(jobs, page=1001)
    read, entry = page_all(api, JobWindow(None, T0 + timedelta(seconds=1)))
    assert len({j["_id"] for j in read}) == 1500 == len(read)
    assert len(api.api.requests) == 2 and entry["complete"]


def test_a_job_outside_the_times_asked_for_or_without_created_at_fails_the_fetch():
    def answer(request: httpx.Request) -> httpx.Response:
        return json_response([job(1, T0 + timedelta(hours=5))])

    with pytest.raises(ApiContractError, match="outside the times asked for"):
        run(
            with_client(
                FakeApi(answer),
                lambda c: JobPager(c, lambda page: None).window(JobWindow(None, T0)),
            )
        )

    def undated(request: httpx.Request) -> httpx.Response:
        return json_response([{"_id": "j1", "type": "flow"}])

    with pytest.raises(ApiContractError, match="no readable createdAt"):
        run(
            with_client(
                FakeApi(undated),
                lambda c: JobPager(c, lambda page: None).window(JobWindow(None, T0)),
            )
        )


def test_an_incremental_read_gets_as_many_windows_as_the_expected_jobs_need():
    since = T0 - timedelta(hours=30)
    assert len(plan_job_windows(T0, since, parts=24, jobs_per_hour=10)) == 1
    assert len(plan_job_windows(T0, since, parts=24, jobs_per_hour=4_000)) == 24
    assert len(plan_job_windows(T0, since, parts=24, jobs_per_hour=None)) == 24
    windows = plan_job_windows(T0, since, parts=24, jobs_per_hour=2_000)
    assert windows[0].start == since and windows[-1].end == T0
    assert all(a.end == b.start for a, b in pairwise(windows))
    full = plan_job_windows(T0, None, parts=4, jobs_per_hour=None)
    assert full[0].start is None and full[0].end == full[1].start == T0 - timedelta(days=31)


def test_open_errors_are_asked_for_only_when_the_listing_says_they_changed():
    assert same_error_state((0, None), None)
    assert not same_error_state((3, "2026-11-20T10:00:00.000Z"), None)
    assert same_error_state((3, "2026-11-20T10:00:00.000Z"), (3, "2026-11-20T10:00:00Z"))
    assert not same_error_state((3, "2026-11-20T11:00:00.000Z"), (3, "2026-11-20T10:00:00Z"))
    assert not same_error_state((None, None), (0, None))


def test_the_fetch_reads_jobs_and_changed_open_errors_into_the_staging_area(tmp_path: Path):
    from flowaudit.extract import ApiClient, fetch_account
    from flowaudit.extract.jobs import JobsRequest
    from flowaudit.secrets import Secret
    from flowaudit.simulate import SimulatedAccount, SimulatorOptions

    account = SimulatedAccount.generate("small", seed=2, options=SimulatorOptions(
        burst=10**9, refill_per_second=1e9, job_time_resolution_ms=60_000))  # fmt: skip

    async def fetch(staging: Path, request: JobsRequest):
        async with ApiClient(account.base_url, Secret("demo"), transport=account.async_transport(),
                             rate=100_000, concurrency=4, wall_clock=lambda: account.now) as client:  # fmt: skip
            return await fetch_account(client, staging, jobs=request)

    manifest = run(fetch(tmp_path / "a", JobsRequest()))
    lines = [json.loads(line) for line in (tmp_path / "a" / "jobs.ndjson").read_text().splitlines()]
    ids = [j["_id"] for j in lines]
    book = account.jobs
    now = account.now_ms
    truth = {book.run(key).job_id for key in book.keys_between(now - 30 * 86_400_000, now)}
    assert len(ids) == len(set(ids)) and set(ids) == truth
    assert manifest["jobs"]["complete"] and manifest["jobs"]["records"] == len(truth)
    assert len({j["createdAt"] for j in lines}) < len(lines) / 2  # whole minutes: many share one
    errors = [
        json.loads(line)
        for line in (tmp_path / "a" / "flow_errors.ndjson").read_text().splitlines()
    ]
    assert errors and all(
        sum(s["numError"] for s in e["flowErrors"]) == e["numOpenError"] for e in errors
    )
    assert manifest["jobs"]["errors"]["requests"] == len(errors)
    # Known and unchanged: no request, no line.
    known = {e["_flowId"]: (e["numOpenError"], e["lastErrorAt"]) for e in errors}
    again = run(
        fetch(
            tmp_path / "b", JobsRequest(since=account.now - timedelta(hours=6), known_errors=known)
        )
    )
    assert again["jobs"]["errors"] == {"flows": 0, "requests": 0}
