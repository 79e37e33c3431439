"""Loading the whole account: scripts' code carried over when it was not read again, the
recycle bin giving a deleted resource its last configuration (an observation just before
the deletion, used once), references attributing a script's records to the flows that use
it, and migration 0010 scrubbing what an earlier flowaudit stored."""

from __future__ import annotations

import json

from flowaudit.documents.scrub import ScrubPolicy
from flowaudit.load.migrations import migrate
from tests.load.staging import audit_record, flow, oid, resource
from tests.pipeline.helpers import places_holding_in

T1, T2, T3 = "2026-03-01T02:00:00.000Z", "2026-03-02T02:00:00.000Z", "2026-03-03T02:00:00.000Z"
CODE_1 = "function preSavePage (options) {\n  return options.data;\n}\n"
CODE_2 = "function preSavePage (options) {\n  console.log('x');\n  return options.data;\n}\n"


def script(script_id: str, code: str | None, modified: str = "2025-01-01T00:00:00.000Z") -> dict:
    doc = resource(script_id, "Drop test orders", lastModified=modified)
    if code is not None:
        doc["content"] = code
    return doc


def test_a_script_listed_without_its_code_keeps_the_stored_code_while_lastmodified_stays(load):
    sid = oid("s")
    load(observed_at=T1, scripts=[script(sid, CODE_1)])
    counts = load(observed_at=T2, scripts=[script(sid, None)])
    rows = load.rows("SELECT content, version FROM scripts JOIN script_versions USING (script_id)")
    assert rows == [(CODE_1, 1)] and counts["new_versions"] == 0
    # A listing whose lastModified moved without the code read is not given the old code.
    load(observed_at=T3, scripts=[script(sid, None, modified="2026-03-02T10:00:00.000Z")])
    assert load.rows("SELECT content FROM scripts") == [(None,)]


def test_a_code_change_is_a_version_whose_record_says_who(load):
    sid = oid("s")
    load(observed_at=T1, scripts=[script(sid, CODE_1)])
    change = {"fieldPath": "content", "oldValue": CODE_1, "newValue": CODE_2}
    load(observed_at=T2, scripts=[script(sid, CODE_2, "2026-03-01T10:00:00.000Z")],
         audit=[audit_record("script", sid, "2026-03-01T10:00:00.000Z", changes=[change], user="ada")])  # fmt: skip
    assert load.rows("SELECT version, origin, user_email FROM script_versions ORDER BY version") == [
        (1, "observed", None), (2, "observed", "ada@example.com"),
    ]  # fmt: skip
    assert load.rows("SELECT reason, field_path FROM security_changes") == [
        ("script code", "content")
    ]


def test_a_scripts_records_are_attributed_to_the_flows_whose_steps_use_it(load):
    sid, export_id, flow_id = oid("s"), oid("e"), oid("f")
    export = resource(
        export_id, "Get orders", hooks={"preSavePage": {"_scriptId": sid, "function": "f"}}
    )
    load(
        observed_at=T1,
        flows=[flow(flow_id, "Orders", pageGenerators=[{"_exportId": export_id}])],
        exports=[export], scripts=[script(sid, CODE_1)],
        audit=[audit_record("script", sid, "2026-02-28T10:00:00.000Z", changes=[
            {"fieldPath": "name", "oldValue": "a", "newValue": "Drop test orders"}])],
    )  # fmt: skip
    assert load.rows("SELECT flow_ids FROM audit_events WHERE resource_type = 'script'") == [
        ([flow_id],)
    ]
    assert load.rows("SELECT flow_ids FROM scripts") == [([flow_id],)]
    assert load.rows("SELECT resource_type, resource_id, path FROM store.resource_refs") == [
        ("export", export_id, "hooks.preSavePage")
    ]


def _bin_entry(doc: dict, model: str = "flows") -> dict:
    return {"model": model, "doc": doc}


def test_the_recycle_bin_gives_a_deleted_flow_its_last_configuration(load):
    """Observed at T1; a silent change, then deleted (record) before T2: the bin's last
    content is the final version, so the change is seen (unexplained) and dated before
    the deletion, which still closes the flow at its record."""
    fid = oid("f")
    load(observed_at=T1, flows=[flow(fid, "Orders", schedule="? 0 2 ? * *")])
    deleted_at = "2026-03-01T15:00:00.000Z"
    last = flow(fid, "Orders", schedule="? 0 5 ? * *", lastModified=deleted_at)
    counts = load(
        observed_at=T2, flows=[],
        audit=[audit_record("flow", fid, deleted_at, "delete", deletedInfo={"name": "Orders"})],
        recycle_bin=[_bin_entry(last)],
    )  # fmt: skip
    assert counts["recycle_bin_observed"] == 1
    rows = load.rows("SELECT version, origin, valid_from, valid_to, deleted, doc ->> '$.schedule' "
                     "FROM flow_versions ORDER BY version")  # fmt: skip
    assert [(r[0], r[1], r[4], r[5]) for r in rows] == [
        (1, "observed", False, "? 0 2 ? * *"), (2, "unexplained", True, "? 0 5 ? * *"),
    ]  # fmt: skip
    assert str(rows[1][3]).startswith("2026-03-01 15:00:00")
    assert load.rows("SELECT field_path, change FROM unexplained_changes") == [
        ("schedule", "modified")
    ]
    # Read again the next night (it stays in the bin 30 days): used once, nothing changes.
    again = load(observed_at=T3, flows=[], recycle_bin=[_bin_entry(last)])
    assert again["recycle_bin_observed"] == 0 and again["new_versions"] == 0


def test_a_resource_created_and_deleted_between_runs_is_known_whole_from_the_bin(load):
    iid = oid("i")
    load(observed_at=T1, imports=[])
    created, deleted = "2026-03-01T08:00:00.000Z", "2026-03-01T09:00:00.000Z"
    last = resource(iid, "Post orders", mapping={"fields": [{"extract": "a", "generate": "b"}]},
                    lastModified=deleted)  # fmt: skip
    load(
        observed_at=T2, imports=[],
        audit=[audit_record("import", iid, created, "create"),
               audit_record("import", iid, deleted, "delete", deletedInfo={"name": "Post orders"})],
        recycle_bin=[_bin_entry(last, "imports")],
    )  # fmt: skip
    rows = load.rows("SELECT origin, valid_from, valid_to, doc -> '$.mapping' FROM import_versions")
    assert len(rows) == 1
    origin, valid_from, valid_to, mapping = rows[0]
    assert origin == "observed" and json.loads(mapping) == {
        "fields": [{"extract": "a", "generate": "b"}]
    }
    assert (str(valid_from), str(valid_to)) == (
        "2026-03-01 08:00:00+00:00",
        "2026-03-01 09:00:00+00:00",
    )


def test_a_bin_entry_is_placed_at_its_delete_record_when_the_times_differ_a_little(load):
    sid = oid("s")
    load(observed_at=T1, scripts=[script(sid, CODE_1)])
    record_time, bin_time = "2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00.004Z"
    load(observed_at=T2, scripts=[],
         audit=[audit_record("script", sid, record_time, "delete", deletedInfo={"name": "x"})],
         recycle_bin=[_bin_entry(script(sid, CODE_1, bin_time), "scripts")])  # fmt: skip
    rows = load.rows("SELECT origin, valid_to FROM script_versions")
    assert rows == [("observed", rows[0][1])] and str(rows[0][1]).startswith("2026-03-01 12:00:00+")
    assert load.rows("SELECT count(*) FROM unexplained_changes") == [(0,)]


def test_bin_entries_of_unknown_types_without_time_or_code_are_left_aside(load):
    load(observed_at=T1)
    counts = load(observed_at=T2, recycle_bin=[
        {"model": "mcpServers", "doc": {"_id": oid("m"), "lastModified": T1}},
        _bin_entry(resource(oid("f"), "no time", lastModified=None)),
        _bin_entry(script(oid("s"), None, "2026-03-01T01:00:00.000Z"), "scripts"),
    ])  # fmt: skip
    assert (counts["recycle_bin_entries"], counts["recycle_bin_skipped"]) == (3, 3)


def test_migration_0010_scrubs_what_an_earlier_flowaudit_stored(load, con, tmp_path):
    """The loader stores what its staging holds; an earlier flowaudit's extractor did not
    scrub, so its database holds captured payloads and secrets in documents, audit records
    and field changes. Migrating scrubs them all and rebuilds the history from the result."""
    eid = oid("e")
    email, cookie, secret = "jane.doe@customer-mail.example", "sess=4f9a8b7c6d5e", "hunter2-secret"
    first = resource(eid, "Get orders", sampleData=[{"email": email}], http={"password": secret})
    second = resource(eid, "Get orders", sampleData=[{"email": "other@customer-mail.example"}],
                      mockOutput={"_headers": {"set-cookie": cookie}}, http={"password": secret},
                      lastModified="2026-03-01T10:00:00.000Z")  # fmt: skip
    load(observed_at=T1, exports=[first])
    change = {"fieldPath": "sampleData", "oldValue": [{"email": email}],
              "newValue": [{"email": "other@customer-mail.example"}]}  # fmt: skip
    cookie_change = {"fieldPath": "mockOutput", "newValue": {"_headers": {"set-cookie": cookie}}}
    load(observed_at=T2, exports=[second],
         audit=[audit_record("export", eid, "2026-03-01T10:00:00.000Z", changes=[change, cookie_change])])  # fmt: skip
    con.execute("DELETE FROM store.meta WHERE key = 'scrub_policy'")  # as before migration 0010
    assert places_holding_in(con, email) and places_holding_in(con, secret)

    migrate(con)
    for value in (email, cookie, secret, "other@customer-mail.example"):
        assert places_holding_in(con, value) == [], value
    # The history, rebuilt from the scrubbed data, is as exact as before: the record explains.
    assert load.rows("SELECT origin FROM export_versions ORDER BY version") == [
        ("observed",),
        ("observed",),
    ]
    assert load.rows("SELECT count(*) FROM unexplained_changes") == [(0,)]
    assert load.rows("SELECT label FROM version_changes WHERE field_path = 'sampleData'") == [
        ("explained",)
    ]


def test_keeping_captured_data_is_a_policy_and_a_stricter_one_scrubs_again(load, con):
    eid = oid("e")
    email = "kept.customer@customer-mail.example"
    load(observed_at=T1, exports=[resource(eid, "Get orders", sampleData=[{"email": email}])])
    con.execute("DELETE FROM store.meta WHERE key = 'scrub_policy'")
    migrate(con, scrub_policy=ScrubPolicy(keep_captured=True))
    assert places_holding_in(con, email)
    assert migrate(con, scrub_policy=ScrubPolicy(keep_captured=True)) == []  # nothing to do
    migrate(con, scrub_policy=ScrubPolicy())
    assert places_holding_in(con, email) == []
