"""Resource versions from small staging areas: a new version only when the content changes,
from the audit record that made it; a change no record explains is an unexplained version
from the observation that found it; deletions close versions only when the listing was
complete. (Exactness against the simulator's ground truth: tests/pipeline/test_history_exact.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowaudit.errors import ApiContractError
from flowaudit.load.checks import run_checks
from flowaudit.load.loader import load_staging
from flowaudit.load.runs import begin_run

from .staging import audit_record, flow, oid, resource, write_staging

T1 = "2026-03-01T02:00:00.000Z"
T2 = "2026-03-02T02:00:00.000Z"
T3 = "2026-03-03T02:00:00.000Z"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _versions(load, flow_id):
    return load.rows(
        "SELECT version, name, valid_from, valid_to, deleted, origin FROM flow_versions "
        "WHERE flow_id = $id ORDER BY version",
        {"id": flow_id},
    )


def _all_checks_hold(con):
    broken = [(r.name, r.bad_rows) for r in run_checks(con) if not r.holds]
    assert broken == []


def test_a_first_load_makes_one_open_version_per_document(load):
    f = oid()
    counts = load(observed_at=T1, flows=[flow(f, "Orders")], exports=[resource(oid(), "E")])
    assert counts["new_versions"] == 2
    assert load.rows("SELECT flow_id, name, disabled FROM flows") == [(f, "Orders", False)]
    [(version, name, valid_from, valid_to, deleted, origin)] = _versions(load, f)
    # No audit record: the version starts at the document's createdAt.
    assert (version, name, valid_from, valid_to, deleted, origin) == (
        1,
        "Orders",
        utc(2025, 1, 1),
        None,
        False,
        "observed",
    )
    _all_checks_hold(load.con)


def test_a_second_identical_load_adds_nothing(load):
    f = oid()
    docs = {
        "flows": [flow(f, "Orders")],
        "audit": [audit_record("flow", f, "2026-02-01T00:00:00Z")],
    }
    load(observed_at=T1, **docs)
    before = load.rows("SELECT * FROM store.resource_versions ORDER BY resource_id, valid_from")
    counts = load(observed_at=T2, **docs)
    assert counts["new_versions"] == 0 and counts["new_audit_records"] == 0
    after = load.rows("SELECT * FROM store.resource_versions ORDER BY resource_id, valid_from")
    assert before == after
    # The second sighting extends the observation.
    assert load.rows("SELECT first_seen_at, last_seen_at FROM store.observations") == [
        (utc(2026, 3, 1, 2), utc(2026, 3, 2, 2))
    ]
    assert load.rows("SELECT count(*) FROM audit_events") == [(1,)]


def test_a_volatile_field_change_is_not_a_new_version(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Orders")])
    counts = load(observed_at=T2, flows=[flow(f, "Orders", lastExecutedAt=T2, lastModified=T2)])
    assert counts["new_versions"] == 0
    # ...but the current view shows the newest raw document, volatile fields included.
    assert load.rows("SELECT last_executed_at FROM flows") == [(utc(2026, 3, 2, 2),)]


def test_a_changed_document_starts_its_version_at_the_audit_record(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Orders")])
    change = audit_record(
        "flow",
        f,
        "2026-03-01T15:30:00.000Z",
        changes=[{"fieldPath": "name", "oldValue": "Orders", "newValue": "Orders v2"}],
    )
    load(observed_at=T2, flows=[flow(f, "Orders v2")], audit=[change], audit_from=T1)
    rows = _versions(load, f)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, "Orders", utc(2025, 1, 1), utc(2026, 3, 1, 15, 30)),
        (2, "Orders v2", utc(2026, 3, 1, 15, 30), None),
    ]
    _all_checks_hold(load.con)


def test_a_silent_change_is_an_unexplained_version_from_the_observation_that_found_it(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Orders")])
    load(observed_at=T2, flows=[flow(f, "Orders", schedule="? 0 3 ? * *")], audit_from=T1)
    rows = _versions(load, f)
    # It happened before the run that found it: its version begins just before that run.
    just_before = utc(2026, 3, 2, 2) - timedelta(microseconds=1)
    assert [(r[0], r[2], r[3], r[5]) for r in rows] == [
        (1, utc(2025, 1, 1), just_before, "observed"),
        (2, just_before, None, "unexplained"),
    ]
    assert load.rows(
        "SELECT resource_id, field_path, change, new_value::VARCHAR, changed_after, changed_before "
        "FROM unexplained_changes"
    ) == [(f, "schedule", "added", '"? 0 3 ? * *"', utc(2026, 3, 1, 2), utc(2026, 3, 2, 2))]
    _all_checks_hold(load.con)


def test_an_audit_record_older_than_the_last_sighting_does_not_explain_a_change(load):
    f = oid()
    early = audit_record("flow", f, "2026-02-15T00:00:00Z", event="update")
    load(observed_at=T1, flows=[flow(f, "Orders")], audit=[early])
    # The overlap window brings the old record again; the change itself is silent.
    load(observed_at=T2, flows=[flow(f, "Renamed")], audit=[early], audit_from=T1)
    assert _versions(load, f)[-1][2] == utc(2026, 3, 2, 2) - timedelta(microseconds=1)


def test_a_deleted_flow_closes_its_version_at_its_delete_record(load):
    keep, gone = oid(), oid()
    load(observed_at=T1, flows=[flow(keep, "Keep"), flow(gone, "Gone")])
    deletion = audit_record(
        "flow", gone, "2026-03-01T20:00:00Z", event="delete", deletedInfo={"name": "Gone"}
    )
    counts = load(observed_at=T2, flows=[flow(keep, "Keep")], audit=[deletion], audit_from=T1)
    assert counts["deleted"] == 1
    [(_, _, _, valid_to, deleted, _)] = _versions(load, gone)
    assert (valid_to, deleted) == (utc(2026, 3, 1, 20), True)
    assert load.rows("SELECT flow_id FROM flows") == [(keep,)]
    assert load.rows("SELECT resource_name FROM audit_events WHERE event = 'delete'") == [("Gone",)]
    _all_checks_hold(load.con)


def test_a_flow_missing_without_a_delete_record_closes_at_the_observation_time(load):
    gone = oid()
    load(observed_at=T1, flows=[flow(gone, "Gone")])
    load(observed_at=T2, flows=[], audit_from=T1)
    assert _versions(load, gone)[0][3:5] == (utc(2026, 3, 2, 2) - timedelta(microseconds=1), True)
    assert load.rows("SELECT field_path, change, changed_after FROM unexplained_changes") == [
        (None, "deleted", utc(2026, 3, 1, 2))
    ]


def test_an_incomplete_listing_closes_nothing(load):
    a, b = oid(), oid()
    load(observed_at=T1, flows=[flow(a, "A"), flow(b, "B")])
    counts = load(observed_at=T2, flows=[flow(a, "A")], incomplete=("flows",), audit_from=T1)
    assert counts["deleted"] == 0
    assert sorted(load.rows("SELECT flow_id FROM flows")) == sorted([(a,), (b,)])
    assert [row[3] for row in _versions(load, b)] == [None]


def test_a_flow_that_comes_back_gets_a_new_version(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Orders")])
    load(observed_at=T2, flows=[], audit_from=T1)
    load(observed_at=T3, flows=[flow(f, "Orders")], audit_from=T2)
    rows = _versions(load, f)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        (utc(2025, 1, 1), utc(2026, 3, 2, 2) - timedelta(microseconds=1), True),
        (utc(2026, 3, 3, 2) - timedelta(microseconds=1), None, False),
    ]
    _all_checks_hold(load.con)


def test_as_of_macros_return_the_version_valid_at_a_moment(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Orders")])
    load(observed_at=T2, flows=[flow(f, "Orders v2")], audit_from=T1)
    as_of = "SELECT name, version FROM flows_as_of($ts::TIMESTAMP)"
    assert load.rows(as_of, {"ts": "2024-12-31"}) == []
    assert load.rows(as_of, {"ts": "2026-03-01"}) == [("Orders", 1)]
    assert load.rows(as_of, {"ts": "2026-03-02 02:00"}) == [("Orders v2", 2)]


def test_only_documents_whose_text_changed_are_hashed_again(load):
    same, touched, renamed = oid(), oid(), oid()
    first = [flow(same, "Same"), flow(touched, "Touched"), flow(renamed, "Renamed")]
    assert load(observed_at=T1, flows=first)["hashed_documents"] == 3
    counts = load(
        observed_at=T2,
        audit_from=T1,
        flows=[
            flow(same, "Same"),
            flow(touched, "Touched", lastExecutedAt=T2),  # volatile only: hashed, no version
            flow(renamed, "Renamed v2"),
        ],
    )
    assert (counts["hashed_documents"], counts["new_versions"]) == (2, 1)
    # Every listed document was seen in this run, changed or not.
    assert load.rows("SELECT DISTINCT observed_at FROM flows") == [(utc(2026, 3, 2, 2),)]
    assert load.rows(
        "SELECT DISTINCT max(last_seen_at) OVER (PARTITION BY resource_id) FROM store.observations"
    ) == [(utc(2026, 3, 2, 2),)]
    assert load.rows("SELECT last_executed_at FROM flows WHERE flow_id = $f", {"f": touched}) == [
        (utc(2026, 3, 2, 2),)
    ]
    _all_checks_hold(load.con)


def test_a_changed_volatile_fields_setting_hashes_every_document_again(load, tmp_path):
    f = oid()
    doc = flow(f, "Orders", schedule="? 0 2 ? * *")
    load(observed_at=T1, flows=[doc])
    directory = write_staging(tmp_path / "again", observed_at=T2, audit_from=T1, flows=[doc])
    run_id = begin_run(load.con, "default", "incremental", "test")
    before = load.rows("SELECT content_hash FROM store.resource_versions")
    counts = load_staging(load.con, directory, run_id, volatile_fields=("lastModified", "schedule"))
    # Same text, but the content hash now leaves out `schedule`: it is taken again, and the
    # history is rebuilt under it (the version's content no longer holds the schedule).
    assert counts["hashed_documents"] == 1
    after = load.rows("SELECT content_hash, doc ->> '$.schedule' FROM store.resource_versions")
    assert len(after) == 1 and after[0][0] != before[0][0]


def test_a_listing_line_that_is_not_json_or_not_an_object_is_refused(load, tmp_path):
    directory = write_staging(tmp_path / "bad", observed_at=T1, flows=[flow(oid(), "A")])
    with open(directory / "flows.ndjson", "a", encoding="utf-8") as out:
        out.write("\n[1, 2]\n{oops\n")
    run_id = begin_run(load.con, "default", "full", "test")
    with pytest.raises(ApiContractError, match=r"^flows\.ndjson line 3: not a JSON object$"):
        load_staging(load.con, directory, run_id)
    (directory / "flows.ndjson").write_text('{"_id": "x1"}\n{oops\n', encoding="utf-8")
    run_id = begin_run(load.con, "default", "full", "test")
    with pytest.raises(ApiContractError, match=r"^flows\.ndjson line 2: not valid JSON$"):
        load_staging(load.con, directory, run_id)
    assert load.rows("SELECT count(*) FROM store.resource_versions") == [(0,)]


def test_a_document_listed_twice_keeps_its_later_line(load):
    f = oid()
    load(observed_at=T1, flows=[flow(f, "Early"), flow(f, "Late")])
    assert load.rows("SELECT name FROM flows") == [("Late",)]
    assert [row[1] for row in _versions(load, f)] == ["Late"]
