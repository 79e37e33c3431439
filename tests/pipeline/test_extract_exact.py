"""The database holds exactly what the account holds: complete on the first run, nothing
added by a repeated run, exactly the new records and versions after a day of changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowaudit.documents.scrub import Scrubber
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract, query, snapshot

KINDS = ("integrations", "flows", "exports", "imports", "connections")
ID_COLUMNS = {
    "integrations": "integration_id",
    "flows": "flow_id",
    "exports": "export_id",
    "imports": "import_id",
    "connections": "connection_id",
}


def assert_views_match_account(db: Path, account: SimulatedAccount) -> None:
    for kind in KINDS:
        expected = {doc["_id"]: doc for doc in account.resources(kind)}
        rows = query(db, f"SELECT {ID_COLUMNS[kind]}, name FROM {kind}")
        assert {rid for rid, _ in rows} == set(expected), kind
        assert {rid: name for rid, name in rows} == {
            rid: doc["name"] for rid, doc in expected.items()
        }, kind

    flows = {doc["_id"]: doc for doc in account.resources("flows")}
    for flow_id, disabled, schedule, integration_id, timezone in query(
        db, "SELECT flow_id, disabled, schedule, integration_id, timezone FROM flows"
    ):
        doc = flows[flow_id]
        assert disabled == doc.get("disabled", False)
        assert schedule == doc.get("schedule")
        assert integration_id == doc.get("_integrationId")
        assert timezone == doc.get("timezone")

    served = account.audit_records(include_expired=False)
    assert {r["_id"] for r in served} == {
        event_id for (event_id,) in query(db, "SELECT event_id FROM audit_events")
    }
    expected_changes = sum(len(r.get("fieldChanges") or []) for r in served)
    assert query(db, "SELECT count(*) FROM field_changes") == [(expected_changes,)]


def test_a_first_run_holds_exactly_what_the_small_account_holds(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=3)
    db = tmp_path / "a.duckdb"
    result = extract(db, account)
    assert result.mode == "full"
    assert_views_match_account(db, account)


@pytest.mark.slow
def test_a_first_run_holds_exactly_what_the_medium_account_holds(tmp_path: Path):
    account = SimulatedAccount.generate("medium", seed=2)
    db = tmp_path / "m.duckdb"
    extract(db, account, rate=100000, concurrency=16)
    assert_views_match_account(db, account)


def test_absent_and_null_old_values_stay_distinct(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=1)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    by_key = {}
    scrubber = Scrubber()  # captured payloads and secrets are stored scrubbed, by design
    for record in account.audit_records(include_expired=False):
        for position, change in enumerate(scrubber.audit_record(record).get("fieldChanges") or []):
            by_key[(record["_id"], change["fieldPath"], position)] = change
    rows = query(
        db,
        "SELECT event_id, field_path, old_present, old_value::VARCHAR FROM field_changes",
    )
    absent = [r for r in rows if not r[2]]
    explicit_null = [r for r in rows if r[2] and r[3] == "null"]
    assert absent and explicit_null, "the simulator must produce both cases"
    for event_id, field_path, old_present, old_value in rows:
        matches = [c for (e, f, _), c in by_key.items() if e == event_id and f == field_path]
        assert any(("oldValue" in c) == old_present for c in matches)
        if old_present:
            assert any(json.loads(old_value) == c["oldValue"] for c in matches)
        else:
            assert old_value is None


def test_a_second_run_adds_nothing(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=1)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    before = snapshot(db)
    again = extract(db, account)
    assert again.mode == "incremental"
    assert again.counts["new_audit_records"] == 0
    assert again.counts["new_versions"] == 0
    assert snapshot(db) == before


def test_after_a_day_an_incremental_run_adds_exactly_the_new_records_and_versions(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=1)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    ids_before = {r["_id"] for r in account.audit_records()}
    docs_before = {kind: {d["_id"]: d for d in account.resources(kind)} for kind in KINDS}
    versions_before = query(db, "SELECT count(*) FROM flow_versions")[0][0]

    account.advance(hours=24)
    result = extract(db, account)

    new_ids = {r["_id"] for r in account.audit_records()} - ids_before
    assert new_ids, "a simulated day makes changes"
    assert result.counts["new_audit_records"] == len(new_ids)
    stored = {event_id for (event_id,) in query(db, "SELECT event_id FROM audit_events")}
    assert stored == ids_before | new_ids
    assert_views_match_account(db, account)

    # Exactly the flows whose content changed (or that are new) got a new version.
    volatile = {"lastModified", "lastExecutedAt"}

    def content(doc):
        return {k: v for k, v in doc.items() if k not in volatile}

    changed_flows = {
        fid
        for fid, doc in {d["_id"]: d for d in account.resources("flows")}.items()
        if fid not in docs_before["flows"] or content(docs_before["flows"][fid]) != content(doc)
    }
    new_version_flows = {
        flow_id
        for (flow_id,) in query(
            db,
            "SELECT DISTINCT flow_id FROM flow_versions WHERE run_id = ? AND origin = 'observed'",
            [result.run_id],
        )
    }
    assert changed_flows
    assert new_version_flows == changed_flows
    assert query(db, "SELECT count(*) FROM flow_versions")[0][0] > versions_before

    deleted = set(docs_before["flows"]) - {d["_id"] for d in account.resources("flows")}
    assert deleted, "a simulated day deletes a flow"
    for flow_id in deleted:
        rows = query(
            db,
            "SELECT valid_to, deleted FROM flow_versions WHERE flow_id = ? "
            "ORDER BY version DESC LIMIT 1",
            [flow_id],
        )
        assert rows[0][0] is not None and rows[0][1] is True
        assert query(db, "SELECT count(*) FROM flows WHERE flow_id = ?", [flow_id]) == [(0,)]
