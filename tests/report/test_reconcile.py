"""Drift reconciled with the audit log through the store's one reconciliation
(version_changes): explained, unexplained, system, and audited-but-not-visible. Each case
is two loads (a baseline run and the current run) with the records between them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.report.queries import report_frame
from flowaudit.report.reconcile import EXPLAINED, SYSTEM, UNEXPLAINED, differences_table, reconcile
from flowaudit.transform.drift import compute_drift, versions_frame
from tests.load.staging import audit_record

T1, T2 = "2026-03-01T02:00:00.000Z", "2026-03-03T02:00:00.000Z"
AT1, AT2 = datetime(2026, 3, 1, 2, tzinfo=UTC), datetime(2026, 3, 3, 2, tzinfo=UTC)
F1, I1, I2 = "f" * 24, "1" * 24, "2" * 24

BASE = {
    "flows": [{"_id": F1, "name": "Orders", "disabled": False, "schedule": "? 0 2 ? * *",
               "pageProcessors": [{"_importId": I1}], "createdAt": "2025-01-01T00:00:00.000Z"}],
    "imports": [{"_id": I1, "name": "Put orders", "http": {"method": "POST"},
                 "createdAt": "2025-01-01T00:00:00.000Z"}],
}  # fmt: skip


def changed(edit) -> dict:
    config = json.loads(json.dumps(BASE))
    edit(config)
    return config


def record(
    event_id,
    rtype,
    rid,
    changes=(),
    *,
    source="ui",
    event="update",
    time="2026-03-02T10:00:00.000Z",
    **extra,
):
    fields = []
    for path, old, new in changes:
        change = {"fieldPath": path, "newValue": new}
        if old is not ...:
            change["oldValue"] = old
        fields.append(change)
    return audit_record(rtype, rid, time, event, fields, event_id=event_id, source=source, **extra)


def run(load, current: dict, records: list[dict]):
    """Load the baseline at T1 and `current` at T2 with `records`; reconcile the drift."""
    load(observed_at=T1, **BASE)
    load(observed_at=T2, audit_from=T1, audit=records, **current)
    before = report_frame(load.con, "configuration_as_of", account="default", at=AT1)
    after = report_frame(load.con, "configuration_as_of", account="default", at=None)
    drift = compute_drift(before.lazy(), after.lazy(), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    table, index = differences_table(drift)
    result = reconcile(load.con, "default", table, AT1, AT2)
    labels = {
        (res.resource_id, change.path): result.label(i) for i, (res, change) in enumerate(index)
    }
    return drift, labels, result


def test_an_audited_change_is_explained(load):
    current = changed(lambda c: c["flows"][0].update(disabled=True))
    _, labels, result = run(load, current, [record("a1", "flow", F1, [("disabled", False, True)])])
    assert labels == {(F1, "disabled"): EXPLAINED}
    assert result.evidence == {0: ("a1",)}
    assert result.invisible.height == 0


def test_a_silent_change_is_unexplained(load):
    current = changed(lambda c: c["imports"][0]["http"].update(method="PUT"))
    _, labels, _ = run(load, current, [])
    assert labels == {(I1, "http.method"): UNEXPLAINED}


def test_a_change_only_the_system_made_is_labelled_system(load):
    current = changed(lambda c: c["flows"][0].update(schedule="? 0 3 ? * *"))
    records = [
        record("s1", "flow", F1, [("schedule", "? 0 2 ? * *", "? 0 3 ? * *")], source="system")
    ]
    _, labels, _ = run(load, current, records)
    assert labels == {(F1, "schedule"): SYSTEM}


def test_a_person_and_the_system_together_explain_a_change(load):
    current = changed(lambda c: c["flows"][0].update(schedule="? 0 4 ? * *"))
    records = [
        record("s1", "flow", F1, [("schedule", "? 0 2 ? * *", "? 0 3 ? * *")], source="system"),
        record("p1", "flow", F1, [("schedule", "? 0 3 ? * *", "? 0 4 ? * *")], source="api",
               time="2026-03-02T11:00:00.000Z"),
    ]  # fmt: skip
    _, labels, result = run(load, current, records)
    assert labels == {(F1, "schedule"): EXPLAINED}
    assert result.evidence == {0: ("p1", "s1")}


def test_a_change_silently_made_after_an_audited_one_is_unexplained(load):
    current = changed(lambda c: c["flows"][0].update(schedule="? 0 5 ? * *"))
    records = [record("p1", "flow", F1, [("schedule", "? 0 2 ? * *", "? 0 3 ? * *")])]
    _, labels, _ = run(load, current, records)
    assert labels == {(F1, "schedule"): UNEXPLAINED}


def test_a_whole_array_audit_path_explains_a_step_change_inside_it(load):
    steps = [{"_importId": I1, "proceedOnFailure": True}, {"_exportId": "e" * 24}]
    current = changed(lambda c: c["flows"][0].update(pageProcessors=steps))
    records = [record("a1", "flow", F1, [("pageProcessors", [{"_importId": I1}], steps)])]
    _, labels, _ = run(load, current, records)
    assert labels == {
        (F1, f"pageProcessors[_importId={I1}].proceedOnFailure"): EXPLAINED,
        (F1, f"pageProcessors[_exportId={'e' * 24}]"): EXPLAINED,
    }


def test_a_child_path_in_the_audit_explains_its_parent_difference(load):
    def edit(c):
        c["imports"][0]["mapping"] = {"fields": [{"generate": "x", "extract": "y"}]}

    records = [
        record("a1", "import", I1, [("mapping.fields", ..., [{"generate": "x", "extract": "y"}])])
    ]
    _, labels, _ = run(load, changed(edit), records)
    assert set(labels.values()) == {EXPLAINED}


def test_an_added_resource_is_explained_by_its_create_record(load):
    new = {"_id": I2, "name": "New", "createdAt": "2026-03-02T10:00:00.000Z"}
    current = changed(lambda c: c["imports"].append(new))
    _, labels, _ = run(load, current, [record("c1", "import", I2, event="create")])
    assert labels == {(I2, ""): EXPLAINED}


def test_a_removed_resource_without_a_delete_record_is_unexplained(load):
    current = changed(lambda c: c["imports"].clear())
    _, labels, _ = run(load, current, [])
    assert labels == {(I1, ""): UNEXPLAINED}


def test_a_removed_resource_with_its_delete_record_is_explained(load):
    current = changed(lambda c: c["imports"].clear())
    records = [record("d1", "import", I1, event="delete", deletedInfo={"name": "Put orders"})]
    _, labels, _ = run(load, current, records)
    assert labels == {(I1, ""): EXPLAINED}


def test_changed_and_changed_back_is_listed_as_audited_but_not_visible(load):
    records = [
        record("a1", "flow", F1, [("disabled", False, True)], time="2026-03-02T10:00:00.000Z"),
        record("a2", "flow", F1, [("disabled", True, False)], time="2026-03-02T11:00:00.000Z"),
        record("v1", "flow", F1, event="view"),
        record("l1", "flow", F1, [("lastModified", "x", "y")]),
    ]
    _, labels, result = run(load, BASE, records)
    assert labels == {}
    assert result.invisible["event_id"].to_list() == ["a1", "a2"]
    assert result.invisible["field_paths"].to_list() == [["disabled"], ["disabled"]]


def test_a_prefix_match_respects_key_boundaries(load):
    current = changed(lambda c: c["flows"][0].update(name="Orders 2", nameAlias="o"))
    _, labels, _ = run(load, current, [record("a1", "flow", F1, [("nameAlias", ..., "o")])])
    assert labels == {(F1, "name"): UNEXPLAINED, (F1, "nameAlias"): EXPLAINED}


def test_a_change_at_the_baselines_own_moment_came_after_it(load):
    """The baseline is what its run saw, every change made before it: a change at exactly
    that moment is drift, explained by its record (counted once)."""
    current = changed(lambda c: c["flows"][0].update(disabled=True))
    records = [record("a1", "flow", F1, [("disabled", False, True)], time=T1)]
    _, labels, result = run(load, current, records)
    assert labels == {(F1, "disabled"): EXPLAINED}
    assert result.invisible.height == 0


def test_a_flow_record_does_not_explain_a_change_inside_its_import(load):
    def edit(c):
        c["imports"][0]["http"]["method"] = "PUT"
        c["flows"][0]["description"] = "PUT orders"

    records = [record("a1", "flow", F1, [("description", ..., "PUT orders")])]
    _, labels, result = run(load, changed(edit), records)
    assert labels == {(I1, "http.method"): UNEXPLAINED, (F1, "description"): EXPLAINED}
    assert result.invisible.height == 0


def frame(config: dict):
    return versions_frame(
        {
            "resource_type": kind[:-1],
            "resource_id": d["_id"],
            "name": d.get("name"),
            "doc": json.dumps(d),
        }
        for kind, docs in config.items()
        for d in docs
    )


def test_drift_flags_disabled_flows_and_changed_schedules():
    def edit(c):
        c["flows"][0].update(
            disabled=True, schedule="? 0 5 ? * *", lastModified="2026-03-03T00:00:00.000Z"
        )

    drift = compute_drift(
        frame(BASE), frame(changed(edit)), volatile_fields=DEFAULT_VOLATILE_FIELDS
    )
    flow = drift.find("flow", F1)
    assert flow.became_disabled and flow.schedule_changed and not flow.became_enabled
    assert [c.path for c in flow.changes] == ["disabled", "schedule"]
    assert drift.ignored == (("flow", F1, "lastModified"),)


def test_a_volatile_only_change_is_not_drift_but_is_listed_as_ignored():
    current = changed(lambda c: c["imports"][0].update(lastModified="2026-03-03T00:00:00.000Z"))
    drift = compute_drift(frame(BASE), frame(current), volatile_fields=DEFAULT_VOLATILE_FIELDS)
    assert drift.resources == ()
    assert drift.ignored == (("import", I1, "lastModified"),)


def test_a_dotted_volatile_setting_is_honoured_by_the_diff_as_by_the_history(load):
    """One matcher: a nested volatile field makes no version and no drift."""
    current = changed(lambda c: c["flows"][0].update(logging={"debugUntil": "2026-03-02"}))
    base = changed(lambda c: c["flows"][0].update(logging={"debugUntil": "2026-02-01"}))
    volatile = (*DEFAULT_VOLATILE_FIELDS, "logging.debugUntil")
    drift = compute_drift(frame(base), frame(current), volatile_fields=volatile)
    assert drift.resources == () and drift.ignored == (("flow", F1, "logging.debugUntil"),)


def test_the_path_key_of_sql_and_python_agree(con):
    from flowaudit.report.reconcile import path_key

    paths = ["", "disabled", "http.relativeURI", "pageProcessors.0.proceedOnFailure",
             "pageProcessors[_importId=a.b].proceedOnFailure", "mapping.fields[2].generate", "a..b"]  # fmt: skip
    sql = [
        row[0] for row in con.execute("SELECT store.path_key(unnest($p))", {"p": paths}).fetchall()
    ]
    assert sql == [path_key(p) for p in paths]
