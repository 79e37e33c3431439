"""Contract of /v1/audit and /v1/<type>/<id>/audit: shape, order, filters, paging."""

from __future__ import annotations

import re

import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.store import flow_step_ids
from tests.simulate.conftest import ROOMY, client_for, page_all

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_audit_pages_to_the_end_newest_first(client, shared_account):
    records, pages = page_all(client, "/audit", {"limit": 500})
    assert records == shared_account.audit_records()
    assert pages == -(-len(records) // 500)
    keys = [(r["time"], r["_id"]) for r in records]
    assert keys == sorted(keys, reverse=True)
    assert len({r["_id"] for r in records}) == len(records)


def test_records_have_the_reference_shape(shared_account):
    records = shared_account.audit_records()
    assert 1500 <= len(records) <= 2500
    for record in records:
        assert list(record)[:8] == ["_id", "resourceType", "_resourceId", "source",
                                    "fieldChanges", "event", "time", "byUser"]  # fmt: skip
        assert TIME.match(record["time"])
        assert set(record["byUser"]) == {"_id", "name", "email"}
        if record["event"] == "create":
            assert record["fieldChanges"] == []
        if record["event"] == "delete":
            assert record["deletedInfo"]["name"]
        for change in record["fieldChanges"]:
            assert change["fieldPath"] != "lastModified"
            assert "oldValue" in change or "newValue" in change
    sources = {r["source"] for r in records}
    events = {r["event"] for r in records}
    assert sources == {"ui", "api", "system"} and events == {"create", "update", "delete"}
    changes = [c for r in records for c in r["fieldChanges"]]
    assert any("oldValue" not in c for c in changes), "newly set fields have no oldValue"
    assert any("newValue" not in c for c in changes), "removed fields have no newValue"
    assert any("oldValue" in c and c["oldValue"] is None for c in changes), "some explicit nulls"
    paths = {c["fieldPath"] for c in changes}
    assert {"disabled", "schedule", "mapping.fields", "pageProcessors"} <= paths
    assert any("." in path and path != "mapping.fields" for path in paths)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"resourceType": "flow"}, lambda r: r["resourceType"] == "flow"),
        ({"source": "system"}, lambda r: r["source"] == "system"),
        ({"action": "delete"}, lambda r: r["event"] == "delete"),
        ({"resourceType": "import", "action": "update", "source": "api"},
         lambda r: (r["resourceType"], r["event"], r["source"]) == ("import", "update", "api")),
    ],
)  # fmt: skip
def test_audit_filters_select_exactly_the_matching_records(client, shared_account, params, check):
    got, _ = page_all(client, "/audit", {**params, "limit": 50})
    expected = [r for r in shared_account.audit_records() if check(r)]
    assert got == expected and got


def test_resource_id_and_user_filters(client, shared_account):
    records = shared_account.audit_records()
    flow_id = next(r["_resourceId"] for r in records if r["resourceType"] == "flow" and r["event"] == "update")
    got, _ = page_all(client, "/audit", {"resourceType": "flow", "_resourceId": flow_id})
    assert got == [r for r in records if r["_resourceId"] == flow_id]
    user_id = records[0]["byUser"]["_id"]
    got, _ = page_all(client, "/audit", {"_byUserId": user_id, "limit": 1000})
    assert got == [r for r in records if r["byUser"]["_id"] == user_id]


def test_resource_id_without_resource_type_is_400(client):
    response = client.get("/audit", params={"_resourceId": "0123456789abcdef01234567"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "_resourceId"


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"source": "UI"}, {"action": "edit"},
                                    {"resourceType": "flows"}])  # fmt: skip
def test_bad_audit_filters_are_400(client, params):
    assert client.get("/audit", params=params).status_code == 400


def test_from_is_inclusive_and_to_is_exclusive(client, shared_account):
    records = shared_account.audit_records()
    pivot = records[len(records) // 2]["time"]
    after, _ = page_all(client, "/audit", {"from": pivot, "limit": 1000})
    before, _ = page_all(client, "/audit", {"to": pivot, "limit": 1000})
    assert after[-1]["time"] == pivot and all(r["time"] >= pivot for r in after)
    assert all(r["time"] < pivot for r in before)
    assert len(after) + len(before) == len(records)
    # Without milliseconds or Z, the same instant.
    short, _ = page_all(client, "/audit", {"from": pivot[:19], "limit": 1000})
    assert len(short) >= len(after) - sum(r["time"][:19] == pivot[:19] for r in records)


def test_a_flows_audit_includes_its_exports_and_imports(client, shared_account):
    flows = shared_account.resources("flows")
    flow = next(f for f in flows if f.get("pageProcessors") and len(f["pageProcessors"]) > 1)
    exports, imports = flow_step_ids(flow)
    got, _ = page_all(client, f"/flows/{flow['_id']}/audit", {"limit": 10})
    wanted = {flow["_id"], *exports, *imports}
    assert got == [r for r in shared_account.audit_records() if r["_resourceId"] in wanted]
    assert {r["resourceType"] for r in got} >= {"flow", "import"}


def test_an_export_audit_has_only_its_own_records(client, shared_account):
    export = shared_account.resources("exports")[0]
    got, _ = page_all(client, f"/exports/{export['_id']}/audit")
    assert got and all(r["_resourceId"] == export["_id"] for r in got)


def test_a_deleted_flow_keeps_its_audit_and_an_unknown_one_is_404(client, shared_account):
    deleted = next(r for r in shared_account.audit_records() if r["event"] == "delete" and r["resourceType"] == "flow")
    got, _ = page_all(client, f"/flows/{deleted['_resourceId']}/audit")
    assert got[0]["event"] == "delete"
    assert client.get("/flows/0123456789abcdef01234567/audit").status_code == 404


def test_records_older_than_the_retention_are_no_longer_returned():
    account = SimulatedAccount.generate("small", options=SimulatorOptions(
        burst=10**6, refill_per_second=10**6, audit_retention_days=90))  # fmt: skip
    with client_for(account) as c:
        got, _ = page_all(c, "/audit", {"limit": 1000})
    everything = account.audit_records()
    kept = account.audit_records(include_expired=False)
    assert got == kept and len(kept) < len(everything)
    assert min(r["time"] for r in got) >= "2026-08-03"


def test_new_records_do_not_disturb_a_paging_in_progress():
    account = SimulatedAccount.generate("small", options=ROOMY)
    with client_for(account) as c:
        first = c.get("/audit", params={"limit": 100})
        account.advance(hours=24)
        rest, _ = page_all(c, first.links["next"]["url"])
    seen = first.json() + rest
    assert [r["_id"] for r in seen] == [r["_id"] for r in account.audit_records()][-len(seen):]
