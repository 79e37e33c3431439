"""Audit records and field changes: de-duplicated by _id, absent and null old values kept
apart, values normalised, unknown fields kept, bad input refused without loading anything."""

from __future__ import annotations

import json

import pytest

from flowaudit.errors import ApiContractError
from flowaudit.load.loader import load_staging
from flowaudit.load.runs import begin_run

from .staging import audit_record, flow, oid, write_staging

T1 = "2026-03-01T02:00:00.000Z"
T2 = "2026-03-02T02:00:00.000Z"


def test_duplicate_audit_ids_are_stored_once(load):
    f = oid()
    record = audit_record(
        "flow",
        f,
        "2026-02-01T00:00:00Z",
        changes=[{"fieldPath": "disabled", "oldValue": False, "newValue": True}],
    )
    counts = load(observed_at=T1, flows=[flow(f, "F")], audit=[record, record])
    assert counts["new_audit_records"] == 1 and counts["new_field_changes"] == 1
    counts = load(observed_at=T2, flows=[flow(f, "F")], audit=[record], audit_from=T1)
    assert counts["new_audit_records"] == 0 and counts["new_field_changes"] == 0
    assert load.rows("SELECT count(*) FROM field_changes") == [(1,)]


def test_an_absent_old_value_and_a_null_old_value_stay_distinct(load):
    f = oid()
    record = audit_record(
        "flow",
        f,
        "2026-02-01T00:00:00Z",
        changes=[
            {"fieldPath": "description", "newValue": "new"},
            {"fieldPath": "schedule", "oldValue": None, "newValue": "? 0 2 ? * *"},
            {"fieldPath": "timezone", "oldValue": "UTC"},
        ],
    )
    load(observed_at=T1, flows=[flow(f, "F")], audit=[record])
    rows = load.rows(
        "SELECT field_path, old_present, old_value, new_present, new_value "
        "FROM field_changes ORDER BY position"
    )
    assert rows == [
        ("description", False, None, True, '"new"'),
        ("schedule", True, "null", True, '"? 0 2 ? * *"'),
        ("timezone", True, '"UTC"', False, None),
    ]


def test_values_of_any_json_type_are_kept_as_json(load):
    f = oid()
    value = [{"type": "import", "_importId": "x", "nested": {"a": [1, 2.5, True]}}]
    record = audit_record(
        "flow",
        f,
        "2026-02-01T00:00:00Z",
        changes=[{"fieldPath": "pageProcessors", "oldValue": [], "newValue": value}],
    )
    load(observed_at=T1, flows=[flow(f, "F")], audit=[record])
    [(old, new)] = load.rows("SELECT old_value, new_value FROM field_changes")
    assert json.loads(old) == [] and json.loads(new) == value


def test_source_and_event_are_lower_cased_and_users_kept(load):
    f = oid()
    record = audit_record(
        "flow", f, "2026-02-01T00:00:00Z", source="UI", event="Update", user="grace"
    )
    load(observed_at=T1, flows=[flow(f, "F")], audit=[record])
    assert load.rows("SELECT source, event, user_name, user_email, flow_id FROM audit_events") == [
        ("ui", "update", "Grace", "grace@example.com", f)
    ]


def test_unknown_fields_of_an_audit_record_are_kept(load):
    f = oid()
    record = audit_record("flow", f, "2026-02-01T00:00:00Z", newThing={"x": 1})
    load(observed_at=T1, flows=[flow(f, "F")], audit=[record])
    [(raw,)] = load.rows("SELECT raw FROM store.audit_records")
    assert json.loads(raw)["newThing"] == {"x": 1}


def test_audit_times_with_an_offset_are_stored_in_utc(load):
    f = oid()
    load(
        observed_at=T1,
        flows=[flow(f, "F")],
        audit=[audit_record("flow", f, "2026-02-01T10:00:00+02:00")],
    )
    assert str(load.rows("SELECT time FROM audit_events")[0][0]) == "2026-02-01 08:00:00+00:00"


def test_records_older_than_the_vendor_keeps_stay_in_the_store(load):
    f = oid()
    old = audit_record("flow", f, "2025-01-01T00:00:00Z")
    load(observed_at=T1, flows=[flow(f, "F")], audit=[old])
    load(observed_at=T2, flows=[flow(f, "F")], audit=[], audit_from=T1)
    assert load.rows("SELECT event_id FROM audit_events") == [(old["_id"],)]


def _failing_load(con, tmp_path, **staging):
    directory = write_staging(tmp_path / "bad", observed_at=T2, audit_from=T1, **staging)
    run_id = begin_run(con, "default", "incremental", "test")
    with pytest.raises(ApiContractError) as caught:
        load_staging(con, directory, run_id)
    return caught.value


def _store_snapshot(con):
    return [
        con.execute(f"SELECT * FROM store.{t} ORDER BY ALL").fetchall()
        for t in (
            "audit_records",
            "audit_field_changes",
            "resource_versions",
            "latest_documents",
            "watermarks",
        )
    ]


def test_a_record_without_an_id_is_refused_and_nothing_is_loaded(load, tmp_path):
    f = oid()
    load(
        observed_at=T1,
        flows=[flow(f, "F")],
        audit=[audit_record("flow", f, "2026-02-01T00:00:00Z")],
    )
    before = _store_snapshot(load.con)
    bad = audit_record("flow", f, "2026-03-01T12:00:00Z")
    del bad["_id"]
    error = _failing_load(
        load.con,
        tmp_path,
        flows=[flow(f, "Renamed")],
        audit=[audit_record("flow", f, "2026-03-01T11:00:00Z"), bad],
    )
    assert "without an _id" in error.message and "\n" not in error.message
    assert _store_snapshot(load.con) == before


def test_malformed_json_in_the_audit_file_is_refused(load, tmp_path):
    directory = write_staging(tmp_path / "bad", observed_at=T1)
    (directory / "audit.ndjson").write_text(
        '{"_id": "a1", "time": "2026-01-01T00:00:00Z"}\n{oops\n'
    )
    run_id = begin_run(load.con, "default", "full", "test")
    with pytest.raises(ApiContractError, match=r"audit\.ndjson: malformed JSON"):
        load_staging(load.con, directory, run_id)
    assert load.rows("SELECT count(*) FROM store.audit_records") == [(0,)]


def test_a_listing_document_without_an_id_is_refused(load, tmp_path):
    error = _failing_load(load.con, tmp_path, flows=[{"name": "no id"}])
    assert error.message == "flows.ndjson line 1: a document without an _id"


def test_wrong_types_in_documents_do_not_break_the_views(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, 12345, disabled="true", createdAt="not a time")])
    assert load.rows("SELECT name, disabled, created_at FROM flows") == [("12345", True, None)]
