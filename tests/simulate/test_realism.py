"""Realism knobs: the leaky bucket, latency, seeded faults (which never change state), and
advance() with its audited and silent changes."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.simulate.conftest import ROOMY, client_for, page_all


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_empty_bucket_answers_429_with_whole_second_retry_after():
    clock = FakeClock()
    account = SimulatedAccount.generate("small", options=SimulatorOptions(burst=5, refill_per_second=0.4, monotonic=clock))
    with client_for(account) as c:
        assert [c.get("/tokenInfo").status_code for _ in range(5)] == [200] * 5
        refused = c.get("/flows")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "3"
        assert refused.json() == {"errors": [{"code": "rate_limited", "message": "Too many requests. Retry after 3 seconds."}]}
        clock.now += 2.5  # one request's worth refilled
        assert c.get("/flows").status_code == 200
        assert c.get("/flows").status_code == 429
    assert account.counters["by_status"]["429"] == 2


def test_the_default_bucket_allows_a_burst_of_1000():
    clock = FakeClock()
    account = SimulatedAccount.generate("small", options=SimulatorOptions(monotonic=clock))
    with client_for(account) as c:
        statuses = [c.get("/tokenInfo").status_code for _ in range(1001)]
    assert statuses.count(200) == 1000 and statuses[-1] == 429


def test_latency_is_added_in_the_async_transport_too():
    account = SimulatedAccount.generate("small", options=SimulatorOptions(latency_ms=30))

    async def fetch() -> float:
        async with httpx.AsyncClient(transport=account.async_transport(), base_url=account.base_url,
                                     headers={"Authorization": "Bearer demo"}) as c:  # fmt: skip
            start = time.perf_counter()
            await asyncio.gather(*(c.get("/flows") for _ in range(5)))
            return time.perf_counter() - start

    elapsed = asyncio.run(fetch())
    assert 0.03 <= elapsed < 0.14  # concurrent requests wait together, not one after another


def _faulty(rate: float, kinds: tuple[str, ...], seed: int = 7) -> SimulatedAccount:
    options = SimulatorOptions(burst=10**6, refill_per_second=10**6, fault_rate=rate, fault_seed=seed,
                               fault_kinds=kinds, slow_seconds=0.01)  # fmt: skip
    return SimulatedAccount.generate("small", options=options)


def test_faults_come_at_the_chosen_rate_and_are_seeded():
    def statuses(account):
        with client_for(account) as c:
            return [c.get("/flows").status_code for _ in range(400)]

    first = statuses(_faulty(0.2, ("500", "502", "503")))
    assert first == statuses(_faulty(0.2, ("500", "502", "503")))
    errors = [s for s in first if s >= 500]
    assert 50 <= len(errors) <= 110 and set(errors) == {500, 502, 503}


def test_dropped_connections_raise_transport_errors():
    account = _faulty(1.0, ("drop",))
    with client_for(account) as c:
        for _ in range(6):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                c.get("/flows")
    assert account.counters["dropped"] == 6


def test_truncated_and_malformed_bodies_are_not_json():
    for kind in ("truncated", "malformed"):
        with client_for(_faulty(1.0, (kind,))) as c:
            response = c.get("/flows")
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()


def test_a_faulty_answer_never_applies_a_write():
    account = _faulty(1.0, ("500", "502", "503", "drop", "truncated", "malformed"))
    flow = account.resources("flows")[0]
    before = (account.resources("flows"), len(account.audit_records()))
    with client_for(account) as c:
        for _ in range(12):
            try:
                c.delete(f"/flows/{flow['_id']}")
                c.post("/flows", json={"name": "never"})
            except httpx.TransportError:
                pass
    assert (account.resources("flows"), len(account.audit_records())) == before


def test_advance_makes_a_plausible_day_of_audited_changes():
    account = SimulatedAccount.generate("small", options=ROOMY)
    start = account.now
    old_records = {r["_id"] for r in account.audit_records()}
    summary = account.advance(hours=24)
    assert (account.now - start).total_seconds() == 86_400
    new = [r for r in account.audit_records() if r["_id"] not in old_records]
    assert len(new) == summary["audit_records"] >= 10
    assert all(start.isoformat()[:10] <= r["time"][:10] for r in new)
    assert {r["source"] for r in new} >= {"ui", "api"}
    assert {r["event"] for r in new} == {"create", "update", "delete"}
    paths = {c["fieldPath"] for r in new for c in r["fieldChanges"]}
    assert {"schedule", "disabled", "mapping.fields"} <= paths
    assert summary["created"] and summary["cloned"] and summary["deleted"] and summary["runs"]
    flows = {f["_id"]: f for f in account.resources("flows")}
    assert all(fid in flows for fid in summary["created"] + summary["cloned"])
    assert any(f.get("lastExecutedAt", "") > start.isoformat()[:10] for f in flows.values())
    with client_for(account) as c:
        assert c.get("/flows").headers["date"] == "Mon, 02 Nov 2026 02:00:00 GMT"


def test_silent_changes_change_documents_without_an_audit_record():
    account = SimulatedAccount.generate("small", options=ROOMY)
    before = account.now
    account.advance(hours=24, silent_changes=3)
    log = account.silent_change_log
    assert len(log) == 3
    audited = {(r["_resourceId"], r["time"]) for r in account.audit_records()}
    for change in log:
        assert (change["_resourceId"], change["time"]) not in audited
        kind = change["resourceType"] + "s"
        then = account.state_at(change["time"])[kind][change["_resourceId"]]
        earlier = account.state_at(before)[kind].get(change["_resourceId"])
        assert earlier is None or then != earlier
        assert change["fieldChanges"]


def test_records_expire_as_time_moves_past_the_retention():
    account = SimulatedAccount.generate("small", options=ROOMY)
    visible = len(account.audit_records(include_expired=False))
    account.advance(hours=24 * 30)
    with client_for(account) as c:
        got, _ = page_all(c, "/audit", {"limit": 1000})
    everything = account.audit_records()
    assert len(got) < len(everything)
    assert got == account.audit_records(include_expired=False)
    assert visible <= len(everything)


def test_advance_refuses_a_negative_span():
    from flowaudit.errors import UsageError

    account = SimulatedAccount.generate("small")
    with pytest.raises(UsageError):
        account.advance(hours=-1)


def test_a_slow_fault_answers_late_but_correctly():
    account = _faulty(1.0, ("slow",))
    with client_for(account) as c:
        start = time.perf_counter()
        response = c.get("/flows", params={"limit": 3})
    assert time.perf_counter() - start >= 0.01
    assert response.status_code == 200 and len(response.json()) == 3


def test_time_travel_shows_a_flow_before_its_creation_as_absent():
    account = SimulatedAccount.generate("small")
    flow = account.resources("flows")[-1]
    assert flow["_id"] not in account.state_at("2025-11-01T00:00:00.000Z")["flows"]
    assert account.state_at(flow["createdAt"])["flows"][flow["_id"]]["createdAt"] == flow["createdAt"]
