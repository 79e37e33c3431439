"""Backwards replay of audit fieldChanges, alone and through the loader: the versions a
resource had before flowaudit first saw it."""

from __future__ import annotations

import json
from datetime import datetime

from flowaudit.load.checks import run_checks
from flowaudit.load.replay import AuditStep, FieldChange, replay_backwards, split_path

from .staging import audit_record, flow, oid

D = datetime


def _replay(observed, steps, created_at=None):
    return replay_backwards(observed, steps, first_seen_at=D(2026, 3, 1), created_at=created_at)


def test_paths_are_dotted_and_brackets_are_indexes():
    assert split_path("a.b") == ["a", "b"]
    assert split_path("pageGenerators[0].schedule") == ["pageGenerators", "0", "schedule"]


def test_undoing_sets_the_old_value_or_removes_a_newly_set_field():
    observed = {"name": "B", "schedule": "x", "http": {"uri": "/v2"}}
    steps = [
        AuditStep("c", D(2026, 1, 1), "create"),
        AuditStep("u1", D(2026, 1, 10), "update", [
            FieldChange("schedule", False),            # newly set: absent before
            FieldChange("http.uri", True, "/v1"),
        ]),
        AuditStep("u2", D(2026, 2, 1), "update", [FieldChange("name", True, "A")]),
    ]
    result = _replay(observed, steps)
    assert result.observed_valid_from == D(2026, 2, 1)
    assert [(json.loads(v.content), v.valid_from, v.valid_to) for v in result.versions] == [
        ({"name": "A", "schedule": "x", "http": {"uri": "/v2"}}, D(2026, 1, 10), D(2026, 2, 1)),
        ({"name": "A", "http": {"uri": "/v1"}}, D(2026, 1, 1), D(2026, 1, 10)),
    ]
    assert observed == {"name": "B", "schedule": "x", "http": {"uri": "/v2"}}  # not mutated


def test_an_explicit_null_old_value_is_set_not_removed():
    result = _replay({"schedule": "x"}, [AuditStep("u", D(2026, 2, 1), "update",
                                                    [FieldChange("schedule", True, None)])],
                     created_at=D(2025, 1, 1))
    assert json.loads(result.versions[0].content) == {"schedule": None}


def test_without_a_create_record_the_oldest_version_starts_at_created_at():
    result = _replay({"name": "B"}, [AuditStep("u", D(2026, 2, 1), "update",
                                                [FieldChange("name", True, "A")])],
                     created_at=D(2025, 6, 1))
    assert [(v.valid_from, v.valid_to) for v in result.versions] == [(D(2025, 6, 1), D(2026, 2, 1))]


def test_records_that_change_nothing_do_not_make_versions():
    steps = [
        AuditStep("c", D(2026, 1, 1), "create"),
        AuditStep("u1", D(2026, 1, 5), "update", [FieldChange("name", True, "A")]),
        AuditStep("u2", D(2026, 1, 9), "update", []),
        AuditStep("u3", D(2026, 1, 20), "update", [FieldChange("name", True, "B")]),  # B -> B
    ]
    result = _replay({"name": "B"}, steps)
    assert result.observed_valid_from == D(2026, 1, 5)
    assert [(v.audit_event_id, v.valid_from, v.valid_to) for v in result.versions] == [
        ("u1", D(2026, 1, 1), D(2026, 1, 5))
    ]


def test_a_path_through_a_scalar_is_skipped_and_counted():
    result = _replay({"name": "B"}, [AuditStep("u", D(2026, 2, 1), "update",
                                                [FieldChange("name.deep", True, 1)])])
    assert result.skipped_changes == 1 and result.versions == []


def test_the_loader_rebuilds_versions_before_the_first_observation(load):
    f = oid()
    audit = [
        audit_record("flow", f, "2026-01-01T00:00:00Z", event="create"),
        audit_record("flow", f, "2026-01-10T00:00:00Z",
                     changes=[{"fieldPath": "disabled", "oldValue": True, "newValue": False}]),
        audit_record("flow", f, "2026-02-01T00:00:00Z",
                     changes=[{"fieldPath": "name", "oldValue": "Draft", "newValue": "Orders"}]),
    ]
    counts = load(observed_at="2026-03-01T02:00:00.000Z",
                  flows=[flow(f, "Orders", lastExecutedAt="2026-02-28T00:00:00Z")], audit=audit)
    assert counts["reconstructed_versions"] == 2
    rows = load.rows(
        "SELECT version, name, doc ->> '$.disabled', valid_from, valid_to, origin, audit_event_id "
        "FROM flow_versions ORDER BY version"
    )
    assert rows == [
        (1, "Draft", "true", D(2026, 1, 1), D(2026, 1, 10), "reconstructed", audit[1]["_id"]),
        (2, "Draft", "false", D(2026, 1, 10), D(2026, 2, 1), "reconstructed", audit[2]["_id"]),
        (3, "Orders", "false", D(2026, 2, 1), None, "observed", None),
    ]
    assert load.rows("SELECT name FROM flows_as_of(TIMESTAMP '2026-01-05')") == [("Draft",)]
    assert load.rows("SELECT count(*) FROM flows_as_of(TIMESTAMP '2025-12-31')") == [(0,)]
    assert all(r.holds for r in run_checks(load.con))


def test_older_audit_arriving_later_rebuilds_the_early_history(load):
    f = oid()
    load(observed_at="2026-03-01T02:00:00.000Z", flows=[flow(f, "Orders")])
    assert load.rows("SELECT count(*) FROM flow_versions") == [(1,)]
    late = audit_record("flow", f, "2026-02-01T00:00:00Z",
                        changes=[{"fieldPath": "name", "oldValue": "Draft", "newValue": "Orders"}])
    counts = load(observed_at="2026-03-02T02:00:00.000Z", flows=[flow(f, "Orders")], audit=[late])
    assert counts["reconstructed_versions"] == 1 and counts["new_versions"] == 0
    assert load.rows("SELECT name, valid_from, valid_to FROM flow_versions ORDER BY version") == [
        ("Draft", D(2025, 1, 1), D(2026, 2, 1)),
        ("Orders", D(2026, 2, 1), None),
    ]
    # A third identical load rebuilds nothing more.
    counts = load(observed_at="2026-03-03T02:00:00.000Z", flows=[flow(f, "Orders")], audit=[late])
    assert counts["reconstructed_versions"] == 0
    assert load.rows("SELECT count(*) FROM flow_versions") == [(2,)]
