"""Attribution of export and import events to flows: a flow's own events belong to it, a
step's events to every flow that uses the step (flow_id only when exactly one does)."""

from __future__ import annotations

from .staging import audit_record, flow, oid, resource

T1 = "2026-03-01T02:00:00.000Z"


def test_flow_steps_come_from_every_place_a_flow_names_them():
    from flowaudit.documents.steps import flow_steps

    doc = {
        "pageGenerators": [{"_exportId": "e1"}],
        "pageProcessors": [
            {"type": "import", "_importId": "i1"},
            {"type": "export", "_exportId": "e2"},
        ],
        "routers": [{"branches": [{"pageProcessors": [{"_importId": "i2"}]}]}],
        "_exportId": "legacy-e",
    }
    assert sorted(flow_steps(doc)) == [
        ("export", "e1"),
        ("export", "e2"),
        ("export", "legacy-e"),
        ("import", "i1"),
        ("import", "i2"),
    ]


def test_a_shared_export_is_attributed_to_both_flows(load):
    shared, own, a, b = oid(), oid(), oid(), oid()
    flows = [
        flow(
            a,
            "A",
            pageGenerators=[{"_exportId": shared}],
            pageProcessors=[{"type": "import", "_importId": own}],
        ),
        flow(
            b,
            "B",
            routers=[{"branches": [{"pageProcessors": [{"type": "export", "_exportId": shared}]}]}],
        ),
    ]
    audit = [
        audit_record("export", shared, "2026-02-01T00:00:00Z"),
        audit_record("import", own, "2026-02-02T00:00:00Z"),
    ]
    load(
        observed_at=T1,
        flows=flows,
        exports=[resource(shared, "Shared")],
        imports=[resource(own, "Own")],
        audit=audit,
    )
    events = load.rows("SELECT resource_type, flow_id, flow_ids FROM audit_events ORDER BY time")
    assert events == [("export", None, sorted([a, b])), ("import", a, [a])]
    per_flow = load.rows(
        "SELECT flow_id, flow_name, via FROM flow_audit_events WHERE resource_type = 'export' ORDER BY flow_name"
    )
    assert per_flow == [(a, "A", "export"), (b, "B", "export")]
    assert load.rows("SELECT flow_ids, flow_count FROM exports") == [(sorted([a, b]), 2)]
    assert load.rows(
        "SELECT shape, page_processor_count, import_ids FROM flows WHERE flow_id = $a", {"a": a}
    ) == [("linear", 1, [own])]
    assert load.rows(
        "SELECT shape, page_processor_count FROM flows WHERE flow_id = $b", {"b": b}
    ) == [("routed", 1)]


def test_a_step_a_flow_no_longer_uses_keeps_its_old_events_attributed(load):
    e, f = oid(), oid()
    load(
        observed_at=T1,
        flows=[flow(f, "F", pageGenerators=[{"_exportId": e}])],
        exports=[resource(e, "E")],
        audit=[audit_record("export", e, "2026-02-01T00:00:00Z")],
    )
    load(
        observed_at="2026-03-02T02:00:00.000Z",
        flows=[flow(f, "F", pageGenerators=[])],
        exports=[resource(e, "E")],
        audit_from=T1,
    )
    assert load.rows("SELECT flow_id FROM audit_events") == [(f,)]
    assert load.rows("SELECT flow_ids FROM exports") == [([],)]
