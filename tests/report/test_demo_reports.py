"""The demo's reports, parsed, with every number checked against SQL over the demo's own
database (the public views): counts, changes per day, drift labels, flow pages."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.demo import HOSTILE_NAME
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.display import flow_file_name
from flowaudit.report.flow_page import MAX_FLOW_EVENTS, TIMELINE_DRAWN
from flowaudit.report.masking import mask_document
from flowaudit.transform.patches import apply_patch
from tests.report.change_rows import change_rows
from tests.report.page_blocks import block_data, block_texts, code_scripts

pytestmark = pytest.mark.slow

CHANGING = "('create', 'update', 'delete', 'restore', 'purge')"


@pytest.fixture(scope="module")
def latest(demo_out: Path) -> Path:
    return demo_out / "reports" / "latest"


def parse(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def sql(demo_out: Path, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def last_two_runs(demo_out: Path):
    rows = sql(demo_out, "SELECT observed_at FROM runs WHERE status = 'succeeded' ORDER BY run_id DESC LIMIT 2")
    return rows[0][0], rows[1][0]


def test_the_demo_keeps_a_dated_folder_per_night(demo_out: Path):
    folders = sorted(p.name for p in (demo_out / "reports").iterdir() if p.name != "latest")
    assert len(folders) == 4  # the first night and three simulated days
    nights = sql(demo_out, "SELECT count(*) FROM runs WHERE status = 'succeeded'")[0][0]
    assert nights == 4


def test_index_counts_match_the_public_views(latest: Path, demo_out: Path):
    shown = {c.attributes["data-count-of"]: int(c.css_first(".n").text()) for c in parse(latest / "index.html").css("[data-count-of]")}
    # Every type of the registry, from its public view of current resources (the demo's
    # account has some of each, so none is left off the page).
    expected = {t.plural_title: sql(demo_out, f"SELECT count(*) FROM {t.listing}")[0][0] for t in RESOURCE_TYPES}
    assert all(expected.values())
    expected["audit records"] = sql(demo_out, "SELECT count(*) FROM audit_events")[0][0]
    assert shown == expected


def test_the_charts_count_the_changes_of_each_day(latest: Path, demo_out: Path):
    per_day = dict(sql(demo_out, f"SELECT CAST(time AS DATE), count(*) FROM audit_events WHERE event IN {CHANGING} GROUP BY ALL"))
    newest, _ = last_two_runs(demo_out)
    charts = parse(latest / "index.html").css("figure.chart")
    assert len(charts) == 2
    for chart, days in zip(charts, (30, 90), strict=True):
        bars = chart.css("rect.bar")
        assert [b.attributes["data-day"] for b in bars] == [
            str(newest.date() - timedelta(days=n)) for n in range(days - 1, -1, -1)
        ]
        shown = {date.fromisoformat(b.attributes["data-day"]): int(b.attributes["data-count"]) for b in bars}
        last_day = sql(demo_out, f"SELECT count(*) FROM audit_events WHERE event IN {CHANGING} "
                                 "AND CAST(time AS DATE) = ? AND time <= ?", [newest.date(), newest])[0][0]
        assert shown == {day: (per_day.get(day, 0) if day < newest.date() else last_day) for day in shown}
        assert int(chart.css_first(".chart-total").text()) == sum(shown.values())
    # The three simulated days each had changes.
    assert all(shown[newest.date() - timedelta(days=n)] > 0 for n in (1, 2))


def test_recent_changes_list_every_audit_record_after_the_window_start(latest: Path, demo_out: Path):
    page = parse(latest / "changes.html")
    start = page.css_first("[data-period-start]").attributes["data-period-start"]
    rows = change_rows(page, "changes")
    shown = sorted(r["event_id"] for r in rows)
    expected = sorted(e for (e,) in sql(demo_out, "SELECT event_id FROM audit_events WHERE time > CAST(? AS TIMESTAMP)", [start.rstrip("Z")]))
    assert shown == expected and shown
    _newest, previous = last_two_runs(demo_out)
    marked = sorted(r["event_id"] for r in rows if r["new_since_last_run"])
    assert marked == sorted(e for (e,) in sql(demo_out, "SELECT event_id FROM audit_events WHERE time > ?", [previous]))


def test_the_silent_change_of_the_last_day_is_unexplained(latest: Path, demo_out: Path):
    newest, previous = last_two_runs(demo_out)
    # The change no audit record explains, found by the last run.
    silent = sql(demo_out, "SELECT resource_type, resource_id FROM unexplained_changes "
                           "WHERE changed_before > ? AND changed_before <= ?", [previous, newest])
    assert silent, "the demo's last day makes one change no audit record explains"
    page = parse(latest / "drift.html")
    rows = {(r.attributes["data-type"], r.attributes["data-resource-id"]): r for r in page.css("#drift tbody tr[data-row]")}
    for key in silent:
        assert rows[key].attributes["data-label"] == "unexplained", key
    counts = {n.attributes["data-n"]: int(n.text()) for n in page.css("[data-n]")}
    labelled = [t.attributes["data-label"] for t in page.css("#drift table.fields [data-label]")]
    assert counts["unexplained"] == labelled.count("unexplained") >= len(silent)
    assert counts["explained"] == labelled.count("explained")
    index = parse(latest / "index.html")
    assert int(index.css_first("#drift-unexplained .n").text()) == counts["unexplained"]


def test_every_explained_resource_has_an_audit_record_in_the_window(latest: Path, demo_out: Path):
    newest, previous = last_two_runs(demo_out)
    audited = set(sql(demo_out, "SELECT DISTINCT resource_type, resource_id FROM audit_events WHERE time > ? AND time <= ?",
                      [previous, newest]))
    explained = [(r.attributes["data-type"], r.attributes["data-resource-id"])
                 for r in parse(latest / "drift.html").css("#drift tbody tr[data-row]")
                 if r.attributes["data-label"] == "explained"]
    assert explained and set(explained) <= audited


def test_the_renamed_flow_page_shows_its_hostile_name_as_text(latest: Path, demo_out: Path):
    (flow_id,) = sql(demo_out, "SELECT flow_id FROM flows WHERE name = ?", [HOSTILE_NAME])[0]
    page = parse(latest / "flows" / flow_file_name(flow_id))
    assert page.css_first("h1").text() == f"Flow: {HOSTILE_NAME}"
    code = code_scripts(page)
    assert len(code) == 1 and "alert(" not in code[0].text()
    for text in block_texts(page):
        assert "<" not in text  # markup in data is escaped, so it can never close the block


def test_a_flow_page_lists_the_records_of_its_steps(latest: Path, demo_out: Path):
    flows = sql(demo_out, """
        SELECT flow_id, count(*) FILTER (WHERE via <> 'flow') AS via_steps, count(*) AS total
        FROM flow_audit_events GROUP BY ALL HAVING via_steps > 0 ORDER BY total DESC""")
    assert any(total <= MAX_FLOW_EVENTS for *_, total in flows) and any(total > MAX_FLOW_EVENTS for *_, total in flows)
    for flow_id, _via_steps, total in flows[:3] + flows[-3:]:
        page = parse(latest / "flows" / flow_file_name(flow_id))
        shown = [r["event_id"] for r in change_rows(page, "flow-changes")]
        newest = [e for (e,) in sql(demo_out, "SELECT event_id FROM flow_audit_events WHERE flow_id = ? "
                                              "ORDER BY time DESC, event_id DESC LIMIT ?", [flow_id, MAX_FLOW_EVENTS])]
        assert shown == newest
        note = page.css_first("#versions .left-out")
        if total > MAX_FLOW_EVENTS:
            assert note is not None and f"{total - MAX_FLOW_EVENTS} oldest of {total} changes" in note.text()


def test_a_flow_page_rebuilds_every_earlier_version_from_its_patches(latest: Path, demo_out: Path):
    flow_id, versions = sql(demo_out, "SELECT flow_id, count(*) FROM flow_versions GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 1")[0]
    assert versions > 2
    page = parse(latest / "flows" / flow_file_name(flow_id))
    data = block_data(page, "flow-versions")["versions"]
    assert [v["number"] for v in data] == list(range(versions, 0, -1))
    # The newest versions are written in the timeline; the page's script draws the older ones
    # from their lines in the data (test_browser_flow_timeline holds the two alike).
    written = len(page.css("#versions li[data-version]"))
    assert written == min(versions, TIMELINE_DRAWN)
    assert [v["number"] for v in data if "line" in v] == list(range(versions - written, 0, -1))
    stored = {n: json.loads(doc) for n, doc in sql(
        demo_out, "SELECT version, CAST(doc AS VARCHAR) FROM flow_versions WHERE flow_id = ?", [flow_id])}
    doc = json.loads(page.css_first("#current-config pre.value").text())
    pattern = Settings().secret_field_pattern
    assert doc == mask_document(stored[versions], pattern)
    for entry in data[:-1]:
        doc = apply_patch(doc, entry["back"])
        assert doc == mask_document(stored[entry["number"] - 1], pattern), entry["number"] - 1
    # Carrying patches instead of documents keeps the page small.
    assert (latest / "flows" / flow_file_name(flow_id)).stat().st_size < 200_000


def test_the_demos_rename_through_the_api_is_explained_by_its_record(demo_out: Path):
    """The rename is made right after a run, in that run's last second: it is the next
    run's change, explained by its audit record, never unexplained."""
    rows = sql(demo_out, "SELECT label, event_ids, source FROM version_changes "
                         "WHERE field_path = 'name' AND new_value ->> '$' = ?", [HOSTILE_NAME])
    assert len(rows) == 1
    label, event_ids, source = rows[0]
    assert (label, source) == ("explained", "api") and len(event_ids) == 1
    assert sql(demo_out, "SELECT count(*) FROM unexplained_changes WHERE new_value ->> '$' = ?",
               [HOSTILE_NAME]) == [(0,)]
