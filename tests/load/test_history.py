"""Rebuilding one resource's history (flowaudit.load.history) from observation spans and
audit records, case by case: forward between observations, backward before the first,
audit-only lifetimes, unexplained changes with their bounds, and the half-open boundary."""

from __future__ import annotations

import json

from flowaudit.documents.volatility import VolatileFields
from flowaudit.load.history import (
    AUDIT,
    OBSERVED,
    RECONSTRUCTED,
    UNEXPLAINED,
    Checkpoint,
    FieldChange,
    Record,
    Span,
    build_timeline,
)

VOLATILE = VolatileFields(["lastModified", "logging.debugUntil"])
HOUR = 3_600_000_000  # microseconds


def doc(**fields) -> str:
    return json.dumps({"_id": "f1", **fields})


def span(first, last, text, *, absent_at=None, run=1) -> Span:
    return Span(first, last, text, run, run, absent_at, None)


def change(position, path, old=..., new=...) -> FieldChange:
    return FieldChange(position, path, old is not ..., None if old is ... else old,
                       new is not ..., None if new is ... else new)  # fmt: skip


def record(event_id, time, event="update", *changes, deleted_name=None) -> Record:
    return Record(event_id, time, event, 1, deleted_name, list(changes))


def runs(*times, zone=0) -> list[Checkpoint]:
    return [Checkpoint(t, t - zone, n) for n, t in enumerate(times, start=1)]


def states(timeline):
    return [
        (v.valid_from, v.valid_to, v.origin, v.event_id, json.loads(v.content.text()))
        for v in timeline.versions
    ]


def at(timeline, moment):
    """The content valid at moment (None: the resource did not exist)."""
    for version in timeline.versions:
        if version.valid_from <= moment and (version.valid_to is None or moment < version.valid_to):
            return json.loads(version.content.text())
    return None


def test_a_change_between_two_runs_starts_a_version_at_its_record():
    t1, t2 = 10 * HOUR, 34 * HOUR
    spans = [
        span(t1, t1, doc(name="A", disabled=False)),
        span(t2, t2, doc(name="A", disabled=True), run=2),
    ]
    records = [record("e1", 17 * HOUR, "update", change(0, "disabled", False, True))]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    # Nothing says when the first sighting's content began: just before that sighting.
    assert [(v.valid_from, v.origin, v.event_id) for v in timeline.versions] == [
        (t1 - 1, OBSERVED, None),
        (17 * HOUR, OBSERVED, "e1"),
    ]
    assert at(timeline, 16 * HOUR)["disabled"] is False
    assert at(timeline, 17 * HOUR)["disabled"] is True
    assert timeline.versions[1].changes == [("e1", 0)]


def test_several_changes_between_runs_each_get_their_version():
    t1, t2 = 0, 48 * HOUR
    spans = [
        span(t1, t1, doc(name="A", disabled=False)),
        span(t2, t2, doc(name="A", disabled=False), run=2),
    ]
    records = [
        record("e1", 7 * HOUR, "update", change(0, "disabled", False, True)),
        record("e2", 30 * HOUR, "update", change(0, "disabled", True, False)),
    ]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    assert at(timeline, 6 * HOUR)["disabled"] is False
    assert at(timeline, 8 * HOUR)["disabled"] is True
    assert at(timeline, 31 * HOUR)["disabled"] is False
    assert [v.origin for v in timeline.versions] == [OBSERVED, RECONSTRUCTED, OBSERVED]


def test_a_change_no_record_explains_is_an_unexplained_version_bounded_by_the_runs():
    t1, t2 = 0, 24 * HOUR
    spans = [
        span(t1, t1, doc(name="A", schedule="a")),
        span(t2, t2, doc(name="A", schedule="b"), run=2),
    ]
    timeline = build_timeline(spans, [], runs(t1, t2), VOLATILE)
    last = timeline.versions[-1]
    # It happened before the run that found it: its version begins just before that run.
    assert (last.origin, last.valid_from, last.changed_after, last.changed_before) == (
        UNEXPLAINED,
        t2 - 1,
        t1,
        t2,
    )
    assert [(d.path, d.change, d.old_value, d.new_value) for d in last.differences] == [
        ("schedule", "modified", '"a"', '"b"')
    ]


def test_an_unexplained_change_is_never_merged_into_an_audited_one():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t1, t1, doc(name="A", x=1, y=1)), span(t2, t2, doc(name="B", x=1, y=2), run=2)]
    records = [record("e1", 5 * HOUR, "update", change(0, "name", "A", "B"))]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    assert [(v.origin, v.event_id) for v in timeline.versions] == [
        (OBSERVED, None),
        (RECONSTRUCTED, "e1"),
        (UNEXPLAINED, None),
    ]
    assert [d.path for d in timeline.versions[-1].differences] == ["y"]


def test_a_record_whose_old_value_disagrees_reveals_an_earlier_unexplained_change():
    t1, t2 = 0, 24 * HOUR
    spans = [
        span(t1, t1, doc(name="A", disabled=False)),
        span(t2, t2, doc(name="A", disabled=False), run=2),
    ]
    # Someone disabled it silently; the record turning it back on says it was disabled.
    records = [record("e1", 9 * HOUR, "update", change(0, "disabled", True, False))]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    unexplained = [v for v in timeline.versions if v.origin == UNEXPLAINED]
    assert len(unexplained) == 1
    assert (unexplained[0].changed_after, unexplained[0].changed_before) == (t1, 9 * HOUR)
    assert [(d.path, d.new_value) for d in unexplained[0].differences] == [("disabled", "true")]


def test_a_record_at_exactly_an_observation_belongs_after_it():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t1, t1, doc(name="A")), span(t2, t2, doc(name="B"), run=2)]
    records = [record("e1", t1, "update", change(0, "name", "A", "B"))]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    assert [v.origin for v in timeline.versions] == [OBSERVED, OBSERVED]
    assert timeline.versions[1].valid_from == t1 and timeline.versions[0].valid_to == t1


def test_a_record_in_the_listings_uncertain_second_not_yet_listed_is_not_unexplained():
    t1, t2 = 10 * HOUR, 34 * HOUR
    zone = 1_000_000  # the run's first Date was one second before its observation time
    spans = [span(t1, t1, doc(name="A")), span(t2, t2, doc(name="B"), run=2)]
    records = [record("e1", t1 - 400_000, "update", change(0, "name", "A", "B"))]
    timeline = build_timeline(
        spans, records, runs(t1, t2, zone=zone), VOLATILE, zone_of=lambda t: t - zone
    )
    assert [v.origin for v in timeline.versions] == [OBSERVED, OBSERVED]
    assert timeline.versions[1].valid_from == t1 - 400_000


def test_versions_before_the_first_observation_are_rebuilt_back_to_the_create_record():
    t1 = 100 * HOUR
    spans = [span(t1, t1, doc(name="C", disabled=True))]
    records = [
        record("c", 1 * HOUR, "create"),
        record("e1", 2 * HOUR, "update", change(0, "name", "A", "B")),
        record(
            "e2",
            3 * HOUR,
            "update",
            change(0, "name", "B", "C"),
            change(1, "disabled", False, True),
        ),
    ]
    timeline = build_timeline(spans, records, runs(t1), VOLATILE)
    assert states(timeline) == [
        (1 * HOUR, 2 * HOUR, RECONSTRUCTED, "c", {"_id": "f1", "name": "A", "disabled": False}),
        (2 * HOUR, 3 * HOUR, RECONSTRUCTED, "e1", {"_id": "f1", "name": "B", "disabled": False}),
        (3 * HOUR, None, OBSERVED, "e2", {"_id": "f1", "name": "C", "disabled": True}),
    ]


def test_a_resource_deleted_before_the_first_run_lives_from_its_records():
    t1 = 100 * HOUR
    records = [
        record("c", 1 * HOUR, "create"),
        record("e1", 2 * HOUR, "update", change(0, "disabled", False, True)),
        record("d", 3 * HOUR, "delete", deleted_name="Old flow"),
    ]
    timeline = build_timeline([], records, runs(t1), VOLATILE)
    assert states(timeline) == [
        (1 * HOUR, 2 * HOUR, AUDIT, "c", {"name": "Old flow", "disabled": False}),
        (2 * HOUR, 3 * HOUR, AUDIT, "e1", {"name": "Old flow", "disabled": True}),
    ]
    assert timeline.versions[-1].closed_by == "deleted"
    assert at(timeline, 4 * HOUR) is None


def test_a_deletion_with_and_without_its_record():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t1, t1, doc(name="A"), absent_at=t2)]
    with_record = build_timeline(
        spans, [record("d", 5 * HOUR, "delete", deleted_name="A")], runs(t1, t2), VOLATILE
    )
    assert (with_record.versions[-1].valid_to, with_record.versions[-1].closed_by) == (
        5 * HOUR,
        "deleted",
    )
    assert with_record.deletions == []
    silent = build_timeline(spans, [], runs(t1, t2), VOLATILE)
    assert silent.versions[-1].valid_to == t2 - 1  # gone before the run that found it gone
    ((index, difference, after, before),) = silent.deletions
    assert (index, difference.change, after, before) == (0, "deleted", t1, t2)


def test_a_resource_created_between_runs_is_rebuilt_back_to_its_create_record():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t2, t2, doc(name="B"), run=2)]
    records = [
        record("c", 3 * HOUR, "create"),
        record("e1", 4 * HOUR, "update", change(0, "name", "A", "B")),
    ]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    assert [(v.valid_from, v.origin, v.event_id) for v in timeline.versions] == [
        (3 * HOUR, RECONSTRUCTED, "c"),
        (4 * HOUR, OBSERVED, "e1"),
    ]
    assert at(timeline, 2 * HOUR) is None


def test_a_resource_that_appears_with_no_create_record_is_an_unexplained_creation():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t2, t2, doc(name="B", createdAt="x"), run=2)]
    timeline = build_timeline(spans, [], runs(t1, t2), VOLATILE, created_at=lambda d: 5 * HOUR)
    (version,) = timeline.versions
    assert (version.origin, version.valid_from, version.changed_after) == (
        UNEXPLAINED,
        5 * HOUR,
        t1,
    )
    assert [d.change for d in version.differences] == ["created"]


def test_volatile_fields_make_no_version():
    t1, t2 = 0, 24 * HOUR
    spans = [span(t1, t1, doc(name="A", lastModified="1", logging={"debugUntil": "x", "level": 1})),
             span(t2, t2, doc(name="A", lastModified="2", logging={"debugUntil": "y", "level": 1}), run=2)]  # fmt: skip
    records = [record("e1", 3 * HOUR, "update", change(0, "logging.debugUntil", "x", "y"))]
    timeline = build_timeline(spans, records, runs(t1, t2), VOLATILE)
    assert len(timeline.versions) == 1


def test_a_silent_change_seen_at_a_later_run_of_the_same_span_is_found_there():
    t1, t2, t3 = 0, 24 * HOUR, 48 * HOUR
    # The same content at all three runs; a recorded change at 30h was silently undone.
    spans = [span(t1, t3, doc(name="A"))]
    records = [record("e1", 30 * HOUR, "update", change(0, "name", "A", "B"))]
    timeline = build_timeline(spans, records, runs(t1, t2, t3), VOLATILE)
    last = timeline.versions[-1]
    assert (last.origin, last.changed_after, last.changed_before) == (UNEXPLAINED, t2, t3)
