"""fetch_account against a hand-written API: what it asks for (windows, watermark,
page size), what it records (manifest, observation time, progress), and how it fails."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from flowaudit.errors import ApiContractError, AuthError, UsageError
from flowaudit.extract import ApiClient, StagingWriteError, fetch_account
from flowaudit.extract.windows import api_time, months_before, plan_windows
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.secrets import Secret
from tests.extract.fakes import BASE, TOKEN, FakeApi, FakeTime, json_response, run

NOW = datetime(2026, 11, 28, 2, 0, 0, tzinfo=UTC)
NOW_HEADER = "Sat, 28 Nov 2026 02:00:00 GMT"
# The observation time: one second after the server's latest `Date` (whole seconds).
OBSERVED = NOW + timedelta(seconds=1)
KINDS = ("integrations", "flows", "exports", "imports", "connections")
# Every other listing the extractor reads, answered empty here (the recycle bin too).
OTHER_LISTINGS = (*(t.path for t in RESOURCE_TYPES if t.listing not in KINDS), "recycleBinTTL")


def audit_record(n: int, when: datetime, flow: str = "f1") -> dict:
    return {"_id": f"a{n:03d}", "resourceType": "flow", "_resourceId": flow,
            "event": "update", "time": api_time(when), "fieldChanges": []}  # fmt: skip


class FakeAccount:
    """Listings and an audit log answered the way the API does (filters, one page each)."""

    def __init__(self, audit: list[dict], flows=("f1", "f2"), date: str | None = NOW_HEADER):
        self.audit = audit
        self.flows = [{"_id": f, "name": f"flow {f}"} for f in flows]
        self.date = date
        self.overrides: dict[str, httpx.Response] = {}
        self.api = FakeApi(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/")
        headers = {"Date": self.date} if self.date else {}
        if path in self.overrides:
            return self.overrides[path]
        if path in KINDS:
            return json_response(self.flows if path == "flows" else [], **headers)
        if path in OTHER_LISTINGS:
            return json_response([], **headers)
        if path == "audit" or path.endswith("/audit"):
            return json_response(self.select(request.url.params, path), **headers)
        return json_response({"errors": [{"code": "not_found"}]}, status=404)

    def select(self, params: httpx.QueryParams, path: str) -> list[dict]:
        start, end = params.get("from"), params.get("to")
        chosen = [r for r in self.audit if (start is None or r["time"] >= start)
                  and (end is None or r["time"] < end)]  # fmt: skip
        if path.startswith("flows/"):
            chosen = [r for r in chosen if r["_resourceId"] == path.split("/")[1]]
        if "resourceType" in params:
            chosen = [r for r in chosen if r["resourceType"] == params["resourceType"]]
        return chosen

    def audit_params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.api.requests if r.url.path == "/v1/audit"]


def fetch(account: FakeAccount, staging: Path, *, wall_clock=None, **options) -> dict:
    time = FakeTime()

    async def main():
        async with ApiClient(
            BASE, Secret(TOKEN), transport=account.api.transport(), rate=1000.0,
            sleep=time.sleep, clock=time.clock, concurrency=2, wall_clock=wall_clock,
        ) as client:  # fmt: skip
            return await fetch_account(client, staging, **options)

    return run(main())


def staged_ids(staging: Path, name: str) -> list[str]:
    text = (staging / name).read_text(encoding="utf-8")
    return [json.loads(line)["_id"] for line in text.splitlines()]


def test_the_observation_time_is_a_second_after_the_servers_date_and_ends_the_audit(tmp_path):
    manifest = fetch(FakeAccount([]), tmp_path / "s")
    assert manifest["observed_at"] == "2026-11-28T02:00:01.000Z"
    assert manifest["audit"]["to"] == "2026-11-28T02:00:01.000Z"
    assert max(w["to"] for w in manifest["audit"]["windows"]) == "2026-11-28T02:00:01.000Z"
    # The windows planned from the first answer end at its Date; a tail window reaches on.
    tail = [w for w in manifest["audit"]["windows"] if w["from"] == "2026-11-28T02:00:00.000Z"]
    assert [(w["from"], w["to"]) for w in tail] == [(api_time(NOW), api_time(OBSERVED))]
    assert manifest["clock"] == {
        "server_first": api_time(NOW), "server_last": api_time(NOW),
        "local": manifest["clock"]["local"], "skew_seconds": manifest["clock"]["skew_seconds"],
        "bounded": False,
    }  # fmt: skip


def test_without_a_date_header_the_local_clock_is_the_observation_time(tmp_path):
    local = datetime(2026, 5, 5, 5, 5, 5, 123000, tzinfo=UTC)
    manifest = fetch(FakeAccount([], date=None), tmp_path / "s", wall_clock=lambda: local)
    assert manifest["observed_at"] == "2026-05-05T05:05:05.123Z"


def test_a_full_read_covers_thirteen_months_in_windows_plus_everything_older(tmp_path):
    records = [audit_record(n, NOW - timedelta(days=40 * n + 1)) for n in range(30)]
    account = FakeAccount(records)
    manifest = fetch(account, tmp_path / "s")
    assert sorted(staged_ids(tmp_path / "s", "audit.ndjson")) == sorted(r["_id"] for r in records)
    params = account.audit_params()
    # 2 * concurrency windows, the open-ended older one, and the tail to the observation time
    assert len(params) == 2 * 2 + 1 + 1
    open_ended = [p for p in params if "from" not in p]
    assert open_ended == [{"to": "2025-10-28T02:00:00.000Z", "limit": "1000"}]
    bounded = sorted((p["from"], p["to"]) for p in params if "from" in p)
    assert bounded[0][0] == "2025-10-28T02:00:00.000Z" and bounded[-1][1] == api_time(OBSERVED)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounded))  # no gaps
    assert manifest["audit"]["mode"] == "full" and manifest["audit"]["from"] is None
    assert sum(w["records"] for w in manifest["audit"]["windows"]) == 30


def test_an_incremental_read_starts_at_the_watermark_minus_the_overlap(tmp_path):
    account = FakeAccount([audit_record(1, NOW - timedelta(hours=3))])
    manifest = fetch(
        account, tmp_path / "s", audit_since=NOW - timedelta(hours=20), overlap=timedelta(hours=6)
    )
    assert sorted(account.audit_params(), key=lambda p: p["from"]) == [
        {"from": "2026-11-27T00:00:00.000Z", "to": "2026-11-28T02:00:00.000Z", "limit": "1000"},
        {"from": "2026-11-28T02:00:00.000Z", "to": "2026-11-28T02:00:01.000Z", "limit": "1000"},
    ]
    assert manifest["audit"]["mode"] == "incremental"
    assert manifest["audit"]["from"] == "2026-11-27T00:00:00.000Z"
    assert staged_ids(tmp_path / "s", "audit.ndjson") == ["a001"]


def test_every_listing_asks_for_the_largest_page(tmp_path):
    account = FakeAccount([])
    fetch(account, tmp_path / "s")
    for request in account.api.requests:
        assert request.url.params["limit"] == "1000"
    assert {r.url.path for r in account.api.requests} >= {f"/v1/{k}" for k in KINDS}


def test_the_manifest_records_listings_windows_and_requests(tmp_path):
    manifest = fetch(FakeAccount([audit_record(1, NOW - timedelta(days=2))]), tmp_path / "s")
    assert manifest["listings"]["flows"] == {"complete": True, "count": 2, "pages": 1}
    assert manifest["listings"]["connections"] == {"complete": True, "count": 0, "pages": 1}
    assert manifest["requests"] == len(KINDS) + len(OTHER_LISTINGS) + 6 and manifest["retries"] == 0
    assert all({"from", "to", "records", "pages"} <= set(w) for w in manifest["audit"]["windows"])
    assert staged_ids(tmp_path / "s", "flows.ndjson") == ["f1", "f2"]
    assert (tmp_path / "s" / "exports.ndjson").read_text() == ""


def test_progress_is_reported_page_by_page(tmp_path):
    events: list[tuple] = []
    fetch(FakeAccount([audit_record(1, NOW - timedelta(days=2))]), tmp_path / "s",
          progress=events.append)  # fmt: skip
    assert ("listing", "flows", 2) in events and ("listing", "imports", 0) in events
    assert sum(e[1] for e in events if e[0] == "audit") == 1


def test_a_401_in_the_middle_of_the_run_fails_it_without_a_manifest(tmp_path):
    account = FakeAccount([audit_record(1, NOW - timedelta(days=2))])
    account.overrides["imports"] = json_response({"errors": []}, status=401)
    with pytest.raises(
        AuthError, match=r"^the API rejected the token \(HTTP 401\) for GET /v1/imports"
    ):
        fetch(account, tmp_path / "s")
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_a_bad_page_in_any_window_fails_the_fetch_naming_the_endpoint(tmp_path):
    account = FakeAccount([])
    account.overrides["exports"] = json_response({"unexpected": True})
    with pytest.raises(ApiContractError, match=r"^/exports page 1: expected a JSON array"):
        fetch(account, tmp_path / "s")
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_per_flow_skips_a_flow_deleted_between_listing_and_its_audit(tmp_path):
    records = [audit_record(1, NOW - timedelta(days=1), "f1"),
               audit_record(2, NOW - timedelta(days=1), "f2")]  # fmt: skip
    account = FakeAccount(records)
    account.overrides["flows/f2/audit"] = json_response({"errors": [{"code": "x"}]}, status=404)
    manifest = fetch(account, tmp_path / "s", strategy="per-flow")
    assert staged_ids(tmp_path / "s", "audit.ndjson") == ["a001"]
    scopes = [w.get("scope") for w in manifest["audit"]["windows"]]
    assert "/flows/f1/audit" in scopes and "/flows/f2/audit" not in scopes
    assert "/audit?resourceType=integration" in scopes


def test_an_unknown_strategy_is_refused(tmp_path):
    with pytest.raises(UsageError, match="unknown audit strategy 'everything'"):
        fetch(FakeAccount([]), tmp_path / "s", strategy="everything")


def test_a_staging_directory_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StagingWriteError, match=r"^cannot write the staging area .*file/s"):
        fetch(FakeAccount([]), blocker / "s")


def test_a_finished_staging_area_is_never_overwritten(tmp_path):
    fetch(FakeAccount([]), tmp_path / "s")
    with pytest.raises(StagingWriteError, match="already holds a finished fetch"):
        fetch(FakeAccount([]), tmp_path / "s")


# -- window planning ------------------------------------------------------------------


def test_thirteen_months_back_clamps_to_the_end_of_a_short_month():
    assert months_before(datetime(2026, 3, 31, 1, tzinfo=UTC), 13) == datetime(
        2025, 2, 28, 1, tzinfo=UTC
    )
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_an_incremental_span_gets_as_many_windows_as_its_length_needs():
    assert len(plan_windows(NOW, NOW - timedelta(days=1), parts=16)) == 1
    assert len(plan_windows(NOW, NOW - timedelta(days=100), parts=16)) == 5
    assert len(plan_windows(NOW, NOW - timedelta(days=1000), parts=16)) == 16
    future = plan_windows(NOW, NOW + timedelta(hours=1), parts=16)
    assert [(w.start, w.end) for w in future] == [(NOW, NOW)]


def test_windows_fall_on_whole_milliseconds_and_adjoin():
    windows = plan_windows(NOW, None, parts=7)
    for window in windows[1:]:
        assert window.start.microsecond % 1000 == 0
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert windows[0].start is None and windows[0].end == windows[1].start


def test_a_naive_watermark_from_the_database_is_taken_as_utc(tmp_path):
    account = FakeAccount([])
    naive = (NOW - timedelta(hours=20)).replace(tzinfo=None)
    manifest = fetch(account, tmp_path / "s", audit_since=naive, overlap=timedelta(hours=1))
    assert manifest["audit"]["from"] == "2026-11-27T05:00:00.000Z"


def test_a_client_reused_for_a_second_fetch_observes_the_time_anew(tmp_path):
    account = FakeAccount([])
    time = FakeTime()

    async def main():
        async with ApiClient(BASE, Secret(TOKEN), transport=account.api.transport(),
                             sleep=time.sleep, clock=time.clock) as client:  # fmt: skip
            first = await fetch_account(client, tmp_path / "one")
            account.date = "Sun, 29 Nov 2026 02:00:00 GMT"
            second = await fetch_account(client, tmp_path / "two")
            return first, second

    first, second = run(main())
    assert first["observed_at"] == "2026-11-28T02:00:01.000Z"
    assert second["observed_at"] == "2026-11-29T02:00:01.000Z"
    assert second["requests"] == first["requests"]  # counted per fetch
    assert second["by_status"] == first["by_status"] == {"200": first["requests"]}
