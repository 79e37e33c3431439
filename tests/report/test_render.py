"""The rendered pages, parsed: numbers match SQL over the same store, names are text,
secrets are masked, nothing points outside the page, and folders rotate."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.errors import ConfigError, ReportOutputError, UsageError
from flowaudit.report.data_blocks import unpacked_page
from flowaudit.report.render import render_reports
from tests.report.change_rows import change_rows, shown_text
from tests.report.conftest import F1, HOSTILE
from tests.report.page_blocks import block_texts, code_scripts

NOW = datetime(2026, 3, 3, 5, 0)


@pytest.fixture
def report(store_path: Path, tmp_path: Path) -> Path:
    return render_reports(store_path, tmp_path / "out", Settings(), now=NOW).parent


def parse(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def sql(store_path: Path, query: str):
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_the_run_folder_is_dated_and_latest_is_a_copy(report: Path):
    assert report.name == "2026-03-03"
    latest = report.parent / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert sorted(p.relative_to(latest) for p in latest.rglob("*.html")) == sorted(
        p.relative_to(report) for p in report.rglob("*.html")
    )


def test_index_counts_match_the_store(report: Path, store_path: Path):
    page = parse(report / "index.html")
    shown = {
        card.attributes["data-count-of"]: int(card.css_first(".n").text())
        for card in page.css("[data-count-of]")
    }
    per_type = dict(sql(store_path, "SELECT resource_type || 's', count(*) FROM store.resource_versions "
                                    "WHERE valid_to IS NULL GROUP BY ALL"))
    assert {k: v for k, v in shown.items() if k != "audit records"} == {
        t: per_type.get(t, 0) for t in ("integrations", "flows", "exports", "imports", "connections")
    }
    assert shown["audit records"] == sql(store_path, "SELECT count(*) FROM store.audit_records")[0][0]


def test_the_30_day_chart_adds_up_to_the_changes_in_the_store(report: Path, store_path: Path):
    page = parse(report / "index.html")
    bars = page.css("figure.chart")[0].css("rect.bar")
    assert len(bars) == 30
    total = sum(int(b.attributes["data-count"]) for b in bars)
    expected = sql(store_path, "SELECT count(*) FROM store.audit_records WHERE time >= DATE '2026-02-01' "
                               "AND time <= TIMESTAMP '2026-03-02 02:00:00'")[0][0]
    assert total == expected == int(page.css("figure.chart")[0].css_first(".chart-total").text())


def test_the_drift_page_labels_each_kind_of_difference(report: Path):
    page = parse(report / "drift.html")
    counts = {n.attributes["data-n"]: int(n.text()) for n in page.css("[data-n]")}
    assert counts == {"added": 0, "removed": 0, "modified": 3, "disabled": 1, "schedules": 1,
                      "unexplained": 1, "explained": 1, "system": 1}
    labels = {row.css_first("td").text(strip=True)[:20]: row.attributes["data-label"]
              for row in page.css("#drift tbody tr[data-row]")}
    assert labels["exportGet orders"] == "unexplained"
    assert labels["flowInvoicesschedule"] == "system"
    assert [r.attributes["data-event-id"] for r in page.css("table.invisible tr[data-event-id]")] == ["b1", "b2"]


def test_recent_changes_list_every_record_of_the_period(report: Path, store_path: Path):
    page = parse(report / "changes.html")
    shown = sorted(r["event_id"] for r in change_rows(page, "changes"))
    expected = sorted(row[0] for row in sql(
        store_path, "SELECT event_id FROM store.audit_records WHERE time > TIMESTAMP '2026-02-23 02:00:00'"))
    assert shown == expected


def test_hostile_names_are_shown_as_text_never_as_markup(report: Path):
    for path in report.rglob("*.html"):
        page = parse(path)
        scripts = code_scripts(page)
        assert len(scripts) == 1, path  # only the report's own inline script
        assert "alert(1)" not in scripts[0].text()
        for text in block_texts(page):
            assert "<" not in text, path  # escaped: data can never close its block
    flow_page = parse(report / "flows" / f"{F1}.html")
    assert flow_page.css_first("h1").text() == f"Flow: {HOSTILE}"
    assert any(HOSTILE in shown_text(r) for r in change_rows(parse(report / "changes.html"), "changes"))


def test_secrets_never_reach_a_page(report: Path):
    for path in report.rglob("*.html"):
        text = unpacked_page(path.read_text(encoding="utf-8"))  # its data blocks too
        assert "SECRET-TOKEN-VALUE" not in text and "OLD-SECRET-VALUE" not in text, path


def test_pages_reference_nothing_outside_the_report(report: Path):
    external = re.compile(r"(?i)\b(?:https?:|ftp:|//[a-z0-9])")
    for path in report.rglob("*.html"):
        page = parse(path)
        for node in page.css("[href], [src], [action], link, img, iframe"):
            for attr in ("href", "src", "action"):
                value = node.attributes.get(attr) or ""
                assert not external.match(value), (path, value)
                if attr == "href" and value and not value.startswith("#"):
                    assert (path.parent / value.split("#")[0]).resolve().is_file(), (path, value)
        assert not page.css("link, img, iframe, object, embed"), path
        assert "@import" not in path.read_text() and "url(" not in path.read_text(), path


def test_a_failed_last_run_renders_a_stale_banner(report: Path):
    banner = parse(report / "index.html").css_first("#stale-banner")
    assert banner is not None
    assert "2026-03-02 02:00" in banner.text() and "API unreachable" in banner.text()


def test_a_flow_page_shows_its_version_timeline(report: Path):
    page = parse(report / "flows" / f"{F1}.html")
    versions = [li.attributes["data-version"] for li in page.css("ol.timeline li")]
    assert versions == ["2", "1"]
    assert "disabled" in page.css_first("ol.timeline li").text()


def test_a_second_rendering_the_same_day_gets_its_own_folder(store_path: Path, tmp_path: Path):
    first = render_reports(store_path, tmp_path / "out", Settings(), now=NOW)
    second = render_reports(store_path, tmp_path / "out", Settings(), now=NOW.replace(minute=30))
    assert first.parent != second.parent and second.parent.name.startswith("2026-03-03-")


def test_retention_prunes_old_dated_folders_only(store_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    (out / "2026-01-01").mkdir(parents=True)
    (out / "keep-me").mkdir()
    render_reports(store_path, out, Settings(retention_days=30), now=NOW)
    assert not (out / "2026-01-01").exists()
    assert (out / "keep-me").is_dir() and (out / "2026-03-03").is_dir()


def test_a_user_template_directory_overrides_one_template(store_path: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "drift.html").write_text('{% extends "base.html" %}{% block content %}MY DRIFT {{ ctx.summary.modified }}{% endblock %}')
    folder = render_reports(store_path, tmp_path / "out", Settings(templates_dir=mine), now=NOW).parent
    assert "MY DRIFT 3" in (folder / "drift.html").read_text()
    assert parse(folder / "index.html").css_first("#drift-summary") is not None


def test_a_missing_template_directory_is_a_config_error(store_path: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match="templates directory not found"):
        render_reports(store_path, tmp_path / "out", Settings(templates_dir=tmp_path / "nope"), now=NOW)


def test_an_unwritable_report_directory_is_a_report_output_error(store_path: Path, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportOutputError, match="cannot"):
        render_reports(store_path, blocker / "out", Settings(), now=NOW)


def test_an_unknown_baseline_name_is_a_usage_error(store_path: Path, tmp_path: Path):
    with pytest.raises(UsageError, match="no baseline named"):
        render_reports(store_path, tmp_path / "out", Settings(), baseline="nope", now=NOW)


def test_every_row_carries_its_flows_and_links_to_their_pages(report: Path):
    rows = change_rows(parse(report / "changes.html"), "changes")
    assert rows
    for row in rows:
        assert len(row["flows"]) == len(row["flow_hrefs"])
        assert all((report / href).is_file() for href in row["flow_hrefs"])
    invoices = next(r for r in rows if r["event_id"] == "s1")
    assert invoices["flows"] == ["Invoices"]


def test_since_moves_only_the_start_of_the_recent_changes_page(store_path: Path, tmp_path: Path):
    folder = render_reports(store_path, tmp_path / "out", Settings(), since=datetime(2026, 1, 1), now=NOW).parent
    page = parse(folder / "changes.html")
    assert page.css_first("[data-period-start]").attributes["data-period-start"] == "2026-01-01T00:00:00Z"
    shown = sorted(r["event_id"] for r in change_rows(page, "changes"))
    assert shown == sorted(row[0] for row in sql(store_path, "SELECT event_id FROM store.audit_records"))
    default = parse(render_reports(store_path, tmp_path / "out2", Settings(), now=NOW).parent / "drift.html")
    assert parse(folder / "drift.html").css_first("#drift-counts").text() == default.css_first("#drift-counts").text()


def test_a_long_drift_list_is_split_into_parts_unexplained_first(store_path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr("flowaudit.report.drift_page.MAX_DRIFT_RESOURCES", 1)
    folder = render_reports(store_path, tmp_path / "out", Settings(), now=NOW).parent
    parts = [parse(folder / name) for name in ("drift.html", "drift-2.html", "drift-3.html")]
    assert not (folder / "drift-4.html").exists()
    rows = [[r.attributes["data-label"] for r in p.css("#drift tbody tr[data-row]")] for p in parts]
    assert rows[0] == ["unexplained"] and sorted(rows[1] + rows[2]) == ["explained", "system"]
    for page in parts:  # every part keeps the whole summary and says what it lists
        assert {n.attributes["data-n"]: int(n.text()) for n in page.css("[data-n]")}["modified"] == 3
        assert "of 3" in page.css_first(".left-out").text()
        assert len(page.css("p.no-print a")) == 2
