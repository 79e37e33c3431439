"""Differences reconciled with the audit log: explained, unexplained, system, invisible."""

import json
from datetime import datetime

import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.transform.drift import compute_drift, versions_frame
from flowaudit.transform.reconcile import (
    EXPLAINED,
    SYSTEM,
    UNEXPLAINED,
    audit_paths_frame,
    differences_frame,
    reconcile,
    within_window,
)

BASE = {
    "flow": {
        "f1": {"_id": "f1", "name": "Orders", "disabled": False, "schedule": "? 0 2 ? * *",
               "pageProcessors": [{"_importId": "i1"}]},
    },
    "import": {"i1": {"_id": "i1", "name": "Put orders", "http": {"method": "POST"}}},
}


def frame(config):
    return versions_frame(
        {"resource_type": t, "resource_id": i, "name": d.get("name"), "doc": json.dumps(d)}
        for t, docs in config.items()
        for i, d in docs.items()
    )


def record(event_id, rtype, rid, paths, *, source="ui", event="update", time="2026-03-02T10:00:00.000Z"):
    return {
        "_id": event_id, "resourceType": rtype, "_resourceId": rid, "source": source, "event": event,
        "time": time, "byUser": {"_id": "u1", "name": "Ann"},
        "fieldChanges": [{"fieldPath": p, "oldValue": 0, "newValue": 1} for p in paths],
    }


def run(current, records):
    drift = compute_drift(frame(BASE), frame(current), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    diffs, index = differences_frame(drift)
    result = reconcile(diffs, audit_paths_frame(records), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    labels = {(res.resource_id, change.path): result.label(i) for i, (res, change) in enumerate(index)}
    return drift, labels, result


def changed(**edits):
    config = json.loads(json.dumps(BASE))
    for (rtype, rid), doc in edits.items():
        config[rtype][rid] = doc
    return config


def test_an_audited_change_is_explained():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["disabled"] = True
    _, labels, result = run(current, [record("a1", "flow", "f1", ["disabled"])])
    assert labels == {("f1", "disabled"): EXPLAINED}
    assert result.invisible.height == 0


def test_a_silent_change_is_unexplained():
    current = json.loads(json.dumps(BASE))
    current["import"]["i1"]["http"]["method"] = "PUT"
    _, labels, _ = run(current, [record("a1", "flow", "f1", ["name"])])
    assert labels == {("i1", "http.method"): UNEXPLAINED}


def test_a_change_only_the_system_made_is_labelled_system():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["schedule"] = "? 0 3 ? * *"
    _, labels, _ = run(current, [record("s1", "flow", "f1", ["schedule"], source="system")])
    assert labels == {("f1", "schedule"): SYSTEM}


def test_a_person_and_the_system_together_explain_a_change():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["schedule"] = "? 0 3 ? * *"
    records = [record("s1", "flow", "f1", ["schedule"], source="system"),
               record("p1", "flow", "f1", ["schedule"], source="api")]
    _, labels, _ = run(current, records)
    assert labels == {("f1", "schedule"): EXPLAINED}


def test_a_whole_array_audit_path_explains_a_step_change_inside_it():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["pageProcessors"] = [{"_importId": "i1", "proceedOnFailure": True}, {"_exportId": "e9"}]
    _, labels, _ = run(current, [record("a1", "flow", "f1", ["pageProcessors"])])
    assert labels == {
        ("f1", "pageProcessors[_importId=i1].proceedOnFailure"): EXPLAINED,
        ("f1", "pageProcessors[_exportId=e9]"): EXPLAINED,
    }


def test_a_child_path_in_the_audit_explains_its_parent_difference():
    current = json.loads(json.dumps(BASE))
    current["import"]["i1"]["http"] = {"method": "PUT"}
    current["import"]["i1"]["mapping"] = {"fields": [{"generate": "x", "extract": "y"}]}
    _, labels, _ = run(current, [record("a1", "import", "i1", ["http.method", "mapping.fields.0.extract"])])
    assert set(labels.values()) == {EXPLAINED}


def test_an_added_resource_is_explained_by_its_create_record():
    current = json.loads(json.dumps(BASE))
    current["import"]["i2"] = {"_id": "i2", "name": "New"}
    _, labels, _ = run(current, [record("c1", "import", "i2", [], event="create")])
    assert labels == {("i2", ""): EXPLAINED}


def test_a_removed_resource_without_a_delete_record_is_unexplained():
    current = json.loads(json.dumps(BASE))
    del current["import"]["i1"]
    _, labels, _ = run(current, [record("u1", "import", "i1", ["name"])])
    assert labels == {("i1", ""): UNEXPLAINED}


def test_changed_and_changed_back_is_listed_as_audited_but_not_visible():
    records = [
        record("a1", "flow", "f1", ["disabled"], time="2026-03-02T10:00:00.000Z"),
        record("a2", "flow", "f1", ["disabled"], time="2026-03-02T11:00:00.000Z"),
        record("v1", "flow", "f1", [], event="view"),
        record("l1", "flow", "f1", ["lastModified"]),
    ]
    _, labels, result = run(BASE, records)
    assert labels == {}
    assert result.invisible["event_id"].to_list() == ["a1", "a2"]
    assert result.invisible["field_paths"].to_list() == [["disabled"], ["disabled"]]


def test_a_prefix_match_respects_key_boundaries():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["name"] = "Orders 2"
    _, labels, result = run(current, [record("a1", "flow", "f1", ["nameAlias"])])
    assert labels == {("f1", "name"): UNEXPLAINED}
    assert result.invisible["event_id"].to_list() == ["a1"]


@pytest.mark.parametrize(
    ("start", "expected"),
    [(None, ["a", "b"]), (datetime(2026, 3, 1, 12), ["b"])],
)
def test_the_window_excludes_its_start_and_includes_its_end(start, expected):
    records = [record("a", "flow", "f1", ["x"], time="2026-03-01T12:00:00.000Z"),
               record("b", "flow", "f1", ["x"], time="2026-03-02T12:00:00.000Z"),
               record("c", "flow", "f1", ["x"], time="2026-03-03T12:00:00.000Z")]
    kept = within_window(audit_paths_frame(records), start, datetime(2026, 3, 2, 12)).collect()
    assert kept["event_id"].to_list() == expected


def test_drift_flags_disabled_flows_and_changed_schedules():
    current = json.loads(json.dumps(BASE))
    current["flow"]["f1"]["disabled"] = True
    current["flow"]["f1"]["schedule"] = "? 0 5 ? * *"
    current["flow"]["f1"]["lastModified"] = "2026-03-03T00:00:00.000Z"
    drift = compute_drift(frame(BASE), frame(current), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    flow = drift.find("flow", "f1")
    assert flow.became_disabled and flow.schedule_changed and not flow.became_enabled
    assert [c.path for c in flow.changes] == ["disabled", "schedule"]
    assert drift.ignored == (("flow", "f1", "lastModified"),)


def test_a_volatile_only_change_is_not_drift_but_is_listed_as_ignored():
    current = json.loads(json.dumps(BASE))
    current["import"]["i1"]["lastModified"] = "2026-03-03T00:00:00.000Z"
    drift = compute_drift(frame(BASE), frame(current), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    assert drift.resources == ()
    assert drift.ignored == (("import", "i1", "lastModified"),)


def test_a_flow_record_does_not_explain_a_change_inside_its_import():
    current = json.loads(json.dumps(BASE))
    current["import"]["i1"]["http"]["method"] = "PUT"
    # The flow's own record names a path that looks like the import's field: still not the import's record.
    _, labels, result = run(current, [record("a1", "flow", "f1", ["http.method"])])
    assert labels == {("i1", "http.method"): UNEXPLAINED}
    assert result.invisible["event_id"].to_list() == ["a1"]
