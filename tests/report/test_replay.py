"""Configuration before the first observation, replayed backwards from the audit log."""

from datetime import datetime

from flowaudit.transform.diff import MISSING
from flowaudit.transform.replay import (
    AuditChange,
    FieldChange,
    Version,
    as_of,
    replay_backwards,
    set_path,
)

T = [datetime(2026, 3, d) for d in range(1, 8)]


def test_set_path_puts_back_a_nested_value_and_removes_an_absent_one():
    doc = {"http": {"method": "PUT"}, "extra": 1}
    assert set_path(doc, "http.method", "POST") == {"http": {"method": "POST"}, "extra": 1}
    assert set_path(doc, "extra", MISSING) == {"http": {"method": "PUT"}}
    assert doc == {"http": {"method": "PUT"}, "extra": 1}  # the input is not changed


def test_replay_undoes_each_record_back_to_the_creation():
    observed = Version(T[5], None, {"name": "C", "disabled": True, "schedule": "x"})
    records = [
        AuditChange("c", T[0], "create"),
        AuditChange("u1", T[1], "update", (FieldChange("name", "A", "B"),)),
        AuditChange("u2", T[3], "update", (FieldChange("name", "B", "C"), FieldChange("disabled", False, True))),
        AuditChange("u3", T[4], "update", (FieldChange("schedule", MISSING, "x"),)),
        AuditChange("later", T[6], "update", (FieldChange("name", "C", "D"),)),
    ]
    versions = replay_backwards(observed, records)
    assert [(v.valid_from, v.valid_to) for v in versions] == [(T[0], T[1]), (T[1], T[3]), (T[3], T[4])]
    assert [v.doc for v in versions] == [
        {"name": "A", "disabled": False},
        {"name": "B", "disabled": False},
        {"name": "C", "disabled": True},
    ]
    assert {v.origin for v in versions} == {"reconstructed"}
    timeline = [*versions, observed]
    assert as_of(timeline, datetime(2026, 3, 2, 12)) == {"name": "B", "disabled": False}
    assert as_of(timeline, datetime(2026, 2, 1)) is None
    assert as_of(timeline, T[6]) == observed.doc


def test_without_a_create_record_the_oldest_version_has_an_open_start():
    observed = Version(T[3], None, {"name": "B"})
    versions = replay_backwards(observed, [AuditChange("u1", T[1], "update", (FieldChange("name", "A", "B"),))])
    assert [(v.valid_from, v.valid_to, v.doc) for v in versions] == [(None, T[1], {"name": "A"})]
