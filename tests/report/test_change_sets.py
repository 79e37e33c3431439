"""Change sets (issue 11): a flow created or cloned with its steps is one row of the change
tables, the needs-attention filter follows the overview's macro, and field paths show in
plain words with the raw path kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.documents.plain_words import plain_path
from flowaudit.report.change_sets import change_sets
from tests.pipeline.helpers import query
from tests.report.change_rows import change_rows


def _row(
    event_id, time, rtype, rid, flow_ids, event="create", user="Ana", email="ana@x", source="ui"
):
    return (event_id, time, rtype, rid, "", flow_ids, [], "", source, event, user, email, False)


def test_a_flow_create_gathers_its_steps_made_by_the_same_person_and_source_within_a_minute():
    events = [
        _row("flow", "2026-03-02T10:00:30Z", "flow", "F", ["F"]),
        _row("export", "2026-03-02T10:00:00Z", "export", "E", ["F"]),
        _row("import", "2026-03-02T10:00:29Z", "import", "M", ["F", "G"]),
        _row("late", "2026-03-02T10:01:31Z", "import", "M2", ["F"]),  # 61 s after
        _row("other-person", "2026-03-02T10:00:30Z", "export", "E2", ["F"], user="Bo"),
        _row("other-source", "2026-03-02T10:00:30Z", "export", "E3", ["F"], source="api"),
        _row("other-flow", "2026-03-02T10:00:30Z", "export", "E4", ["G"]),
        _row("an-update", "2026-03-02T10:00:30Z", "export", "E", ["F"], event="update"),
    ]
    assert change_sets(events) == {"export": "flow", "import": "flow"}


def test_a_step_joins_the_nearest_of_two_creates_of_its_flows():
    events = [
        _row("first", "2026-03-02T10:00:00Z", "flow", "F", ["F"]),
        _row("second", "2026-03-02T10:00:40Z", "flow", "G", ["G"]),
        _row("step", "2026-03-02T10:00:35Z", "export", "E", ["F", "G"]),
    ]
    assert change_sets(events) == {"step": "second"}


def test_internal_fields_show_in_plain_words_with_positions_and_keys_kept():
    assert plain_path("_flowGroupingId") == "flow group"
    assert plain_path("pageGenerators[0]._exportId") == "sources[0].export"
    assert plain_path("pageProcessors.1._importId") == "steps.1.import"
    assert (
        plain_path("mapping.fields[generate=_connectionId]")
        == "mapping.fields[generate=_connectionId]"
    )
    assert plain_path("http.relativeURI") == "http.relativeURI"
    assert plain_path("") == "" and plain_path(None) == ""


@pytest.fixture(scope="module")
def recent(demo_out: Path) -> list[dict]:
    page = LexborHTMLParser(
        (demo_out / "reports" / "latest" / "changes.html").read_text(encoding="utf-8")
    )
    return change_rows(page, "changes")


def test_the_simulators_clones_are_one_change_set_each(recent: list[dict], demo_out: Path):
    clones = query(demo_out / "demo.duckdb", "SELECT event_id, resource_id FROM audit_events "
                  "WHERE resource_type = 'flow' AND event = 'create' AND resource_name LIKE 'Clone - %'")  # fmt: skip
    shown = {r["event_id"]: r for r in recent}
    clones = [(e, f) for e, f in clones if e in shown]
    assert clones, "the demo's recent changes hold a clone"
    with_steps = 0
    for event_id, flow_id in clones:
        # The simulator's clone copies each step of the flow (a create record each, then the
        # flow's, all at one time); a clone that kept the original's steps has none.
        steps = {e for (e,) in query(demo_out / "demo.duckdb", "SELECT event_id FROM audit_events WHERE event = 'create' "
                                    "AND resource_type IN ('export', 'import') AND list_contains(flow_ids, ?) "
                                    "AND time = (SELECT time FROM audit_events WHERE event_id = ?)",
                                    [flow_id, event_id])}  # fmt: skip
        assert {r["event_id"] for r in recent if r["set_leader"] == event_id} == steps
        assert shown[event_id]["set_size"] == (len(steps) + 1 if steps else 0)
        assert shown[event_id]["set_leader"] is None
        with_steps += bool(steps)
    assert with_steps, "a clone in the demo's recent changes copied its steps"
    # Every other record is a row of its own: no record is in two sets, none is lost.
    assert len(shown) == len(recent)


def test_the_needs_attention_filter_marks_what_the_overviews_macro_lists(
    recent: list[dict], demo_out: Path
):
    start = min(r["time"] for r in recent)
    listed = {e for (e,) in query(demo_out / "demo.duckdb", "SELECT event_id FROM needs_attention(CAST(? AS TIMESTAMPTZ), now() "
                                 "+ INTERVAL 1 DAY) WHERE event_id IS NOT NULL", [start])}  # fmt: skip
    marked = {r["event_id"] for r in recent if r["attention"] and r["set_leader"] is None}
    leaders = {r["event_id"] for r in recent if r["set_leader"] is None}
    members = {}
    for r in recent:
        if r["set_leader"]:
            members.setdefault(r["set_leader"], set()).add(r["event_id"])
    # A row is marked when its record, or a record of its change set, needs attention.
    expected = {e for e in leaders if ({e} | members.get(e, set())) & listed}
    assert marked and marked == expected


def test_change_tables_show_internal_paths_in_plain_words(recent: list[dict]):
    fields = [
        (f["path"], plain)
        for r in recent
        for f, plain in zip(r["fields"], r["plain_paths"], strict=True)
    ]
    assert any(path != plain for path, plain in fields)
    assert all(plain == plain_path(path) for path, plain in fields)
