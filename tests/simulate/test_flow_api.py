"""The flow API's writes change state and write audit records as the real service does."""

from __future__ import annotations

from flowaudit.simulate.store import flow_step_ids
from tests.simulate.conftest import client_for


def _audit_of(c, rtype: str, rid: str) -> list[dict]:
    return c.get("/audit", params={"resourceType": rtype, "_resourceId": rid}).json()


def test_post_creates_a_flow_with_an_api_create_record(account):
    export = account.resources("exports")[0]
    integration = account.resources("integrations")[0]
    body = {"name": "Neue Aufträge → SAP", "_integrationId": integration["_id"],
            "pageGenerators": [{"_exportId": export["_id"]}], "schedule": "? 0 3 ? * *"}  # fmt: skip
    with client_for(account) as c:
        response = c.post("/flows", json=body)
        assert response.status_code == 201
        flow = response.json()
        assert flow["name"] == body["name"] and flow["disabled"] is False
        assert flow["createdAt"] == flow["lastModified"] == "2026-11-01T02:00:00.000Z"
        assert "lastExecutedAt" not in flow
        assert c.get(f"/flows/{flow['_id']}").json() == flow
        [record] = _audit_of(c, "flow", flow["_id"])
    assert record["event"] == "create" and record["source"] == "api" and record["fieldChanges"] == []
    assert record["byUser"] == account.users[0]


def test_post_refuses_invalid_flows_without_changing_anything(account):
    records = len(account.audit_records())
    with client_for(account) as c:
        cases = [
            ({"disabled": True}, "invalid_field"),
            ({"name": "x", "_integrationId": "0123456789abcdef01234567"}, "invalid_ref"),
            ({"name": "x", "pageGenerators": [{"_exportId": "0123456789abcdef01234567"}]}, "invalid_ref"),
            ({"name": "x", "pageProcessors": [], "routers": [{"branches": []}]}, "invalid_field"),
            ({"name": "x", "schedule": "every day"}, "invalid_field"),
        ]
        for body, code in cases:
            response = c.post("/flows", json=body)
            assert response.status_code == 400 and response.json()["errors"][0]["code"] == code
        response = c.post("/flows", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 400
    assert len(account.audit_records()) == records


def test_put_replaces_the_flow_and_records_each_changed_field(account):
    with client_for(account) as c:
        flow = next(f for f in account.resources("flows") if "schedule" in f and "description" not in f)
        body = {k: v for k, v in flow.items() if k != "schedule"}
        body.update(disabled=not flow["disabled"], description="changed by the API")
        response = c.put(f"/flows/{flow['_id']}", json=body)
        assert response.status_code == 200
        updated = response.json()
        record = _audit_of(c, "flow", flow["_id"])[0]
    assert "schedule" not in updated and updated["lastModified"] == "2026-11-01T02:00:00.000Z"
    changes = {ch["fieldPath"]: ch for ch in record["fieldChanges"]}
    assert set(changes) == {"disabled", "schedule", "description"}
    assert changes["schedule"] == {"oldValue": flow["schedule"], "fieldPath": "schedule"}
    assert changes["description"] == {"newValue": "changed by the API", "fieldPath": "description"}
    assert record["source"] == "api" and record["event"] == "update"


def test_put_with_no_change_writes_no_record(account):
    flow = account.resources("flows")[0]
    with client_for(account) as c:
        before = len(_audit_of(c, "flow", flow["_id"]))
        assert c.put(f"/flows/{flow['_id']}", json=flow).json() == flow
        assert len(_audit_of(c, "flow", flow["_id"])) == before


def test_delete_is_204_and_leaves_a_delete_record_with_the_name(account):
    flow = account.resources("flows")[0]
    with client_for(account) as c:
        assert c.delete(f"/flows/{flow['_id']}").status_code == 204
        assert c.get(f"/flows/{flow['_id']}").status_code == 404
        assert c.delete(f"/flows/{flow['_id']}").status_code == 404
        record = _audit_of(c, "flow", flow["_id"])[0]
    assert record["event"] == "delete" and record["deletedInfo"] == {"name": flow["name"]}


def test_clone_copies_the_flow_and_its_steps_with_the_connection_map(account):
    flow = next(f for f in account.resources("flows") if f.get("pageProcessors"))
    connections = {c["_id"] for c in account.resources("connections")}
    integration = account.resources("integrations")[-1]
    with client_for(account) as c:
        missing = c.post(f"/flows/{flow['_id']}/clone", json={"_integrationId": integration["_id"]})
        assert missing.status_code == 400
        assert missing.json()["errors"][0]["code"] == "invalid_connectionMap"
        no_integration = c.post(f"/flows/{flow['_id']}/clone", json={})
        assert no_integration.status_code == 400
        used = set()
        for kind, ids in zip(("exports", "imports"), flow_step_ids(flow), strict=True):
            for sid in ids:
                used.add(c.get(f"/{kind}/{sid}").json().get("_connectionId"))
        used.discard(None)
        target = sorted(connections)[0]
        body = {"_integrationId": integration["_id"], "name": "Copie", "connectionMap": dict.fromkeys(used, target)}
        response = c.post(f"/flows/{flow['_id']}/clone", json=body)
        assert response.status_code == 201
        clone = response.json()
        exports, imports = flow_step_ids(clone)
        for kind, ids in (("exports", exports), ("imports", imports)):
            for sid in ids:
                step = c.get(f"/{kind}/{sid}").json()
                assert step.get("_connectionId", target) == target
                assert _audit_of(c, kind[:-1], sid)[0]["event"] == "create"
    assert clone["name"] == "Copie" and clone["_integrationId"] == integration["_id"]
    assert set(exports).isdisjoint(flow_step_ids(flow)[0])


def test_run_sets_last_executed_at_without_an_audit_record(account):
    flow = next(f for f in account.resources("flows") if not f["disabled"])
    disabled = next(f for f in account.resources("flows") if f["disabled"])
    records = len(account.audit_records())
    with client_for(account) as c:
        response = c.post(f"/flows/{flow['_id']}/run")
        assert response.status_code == 201 and len(response.json()["_jobId"]) == 24
        assert c.get(f"/flows/{flow['_id']}").json()["lastExecutedAt"] == "2026-11-01T02:00:00.000Z"
        refused = c.post(f"/flows/{disabled['_id']}/run")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "inactive_flow"
    assert len(account.audit_records()) == records


def test_writes_are_refused_on_other_kinds_with_405(account):
    export = account.resources("exports")[0]
    with client_for(account) as c:
        assert c.delete(f"/exports/{export['_id']}").status_code == 405
        assert c.post("/imports", json={}).status_code == 405
