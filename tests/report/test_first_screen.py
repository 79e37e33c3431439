"""The manager's morning on the demo: the overview opens with the night's verdict and what
needs attention (the same Night the digest reads), needs_attention lists security-relevant
changes and changes outside business hours, times show in display_timezone with UTC on
hover, and the drift page puts the night's drift beside the pinned baseline's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.attention import Night, read_night
from flowaudit.config import Settings
from flowaudit.load.db import connect
from flowaudit.report.render import render_reports
from flowaudit.report.verdict import FIRST_ROWS, build_verdict

pytestmark = pytest.mark.slow


def parse(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def night(demo_out: Path) -> Night:
    con = connect(demo_out / "demo.duckdb", read_only=True)
    try:
        return read_night(con, "default")
    finally:
        con.close()


def _attention(demo_out: Path, night: Night) -> list[tuple]:
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT kind, resource_type, field_path, changed_at, detail FROM needs_attention($a, $b)",
            {"a": night.period_from, "b": night.period_to},
        ).fetchall()
    finally:
        con.close()


def test_needs_attention_lists_changes_outside_business_hours(demo_out: Path, night: Night):
    rows = _attention(demo_out, night)
    off_hours = [r for r in rows if r[0] == "off_hours"]
    assert off_hours, "the demo's night has changes outside business hours"
    for _kind, _type, _field, at, detail in off_hours:
        # The demo runs with the default rules: Monday to Friday, 08:00-18:00 UTC.
        at = at.astimezone(UTC)
        assert at.isoweekday() > 5 or not 8 <= at.hour < 18, at
        assert "business hours" in detail
    # A change made inside business hours is not listed as off-hours.
    assert any(r[0] != "off_hours" and 8 <= r[3].astimezone(UTC).hour < 18 for r in rows)


def test_needs_attention_lists_security_relevant_changes_with_the_reason(
    demo_out: Path, night: Night
):
    security = [r for r in _attention(demo_out, night) if r[0] == "security"]
    assert {r[1] for r in security} >= {"connection", "script"}
    reasons = {"connection": "connection credentials", "script": "script code",
               "accesstoken": "API token", "user": "user access"}  # fmt: skip
    for _kind, resource_type, field_path, _at, detail in security:
        assert detail == reasons[resource_type]
        if resource_type == "connection":
            assert "auth" in field_path  # a credential's field, not any connection change


def test_the_overview_opens_with_the_verdict_and_one_linked_row_per_item(
    demo_out: Path, night: Night
):
    page = parse(demo_out / "reports" / "latest" / "index.html")
    main = page.css_first("main")
    assert [s.attributes.get("id") for s in main.css("section")][:2] == ["verdict", "attention"]
    assert page.css_first("#verdict .verdict-line").text() == night.verdict()
    assert "verdict-healthy" in page.css_first("#verdict").attributes["class"]
    rows = page.css("#attention table.attention tr[data-kind]")
    assert len(rows) == night.attention and night.attention > FIRST_ROWS
    assert (
        len(page.css("#attention > table.attention tr[data-kind]")) == FIRST_ROWS
    )  # the rest fold
    first = rows[0]
    unexplained = night.items[0]
    assert first.attributes["data-kind"] == "unexplained" == unexplained.kind
    assert unexplained.resource_name in first.text() and unexplained.field_path in first.text()
    assert first.css_first("a").attributes["href"] == "drift.html"
    for row in rows:
        assert row.css_first("a").attributes["href"]  # every row links to where it is explained
        for moment in row.css("time"):
            assert moment.attributes["title"].endswith(" UTC")
    kinds = {row.attributes["data-kind"] for row in rows}
    assert {"unexplained", "security", "off_hours", "api", "schedule"} <= kinds


def test_times_show_in_the_display_time_zone_with_utc_on_hover(demo_out: Path, tmp_path: Path):
    settings = Settings(
        db=demo_out / "demo.duckdb", out=tmp_path, display_timezone="America/New_York"
    )
    index = render_reports(
        settings.db, settings.out, settings, now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    page = parse(index)
    times = page.css("#attention time")
    assert times
    for moment in times:
        stamp = datetime.strptime(moment.attributes["datetime"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        local = stamp.astimezone(ZoneInfo("America/New_York"))
        assert moment.text() == f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        assert moment.attributes["title"] == f"{stamp:%Y-%m-%d %H:%M:%S} UTC"
    assert "times in America/New_York" in page.css_first("#verdict").text()


def test_a_failed_run_makes_a_verdict_in_the_failure_colour():
    failed = Night(
        "prod", {"status": "failed", "error": "the API refused the token"}, None, None, 0, 0
    )
    verdict = build_verdict(failed, "UTC")
    assert (
        verdict.status == "failed"
        and "The last run failed: the API refused the token." in verdict.text
    )
    healthy = Night("prod", {"status": "succeeded", "audit_complete": True}, None, None, 0, 0)
    assert build_verdict(healthy, "UTC").status == "healthy"


def test_the_drift_page_shows_the_night_beside_the_pinned_baseline(demo_out: Path, tmp_path: Path):
    con = connect(demo_out / "demo.duckdb", read_only=True)
    try:
        ((pinned_by, pinned_at, note),) = con.execute(
            "SELECT pinned_by, pinned_at, note FROM baselines WHERE name = 'approved'"
        ).fetchall()
        unexplained = con.execute(
            "SELECT DISTINCT resource_name FROM unexplained_changes"
        ).fetchall()
    finally:
        con.close()
    settings = Settings(db=demo_out / "demo.duckdb", out=tmp_path)
    index = render_reports(settings.db, settings.out, settings, baseline="approved",
                           now=datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip
    page = parse(index.parent / "drift.html")
    pin = page.css_first("#pin-note").text()
    assert "“approved”" in pin and f"pinned by {pinned_by}" in pin
    assert f"{pinned_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" in pin
    assert ("approval" in pin) if note else ("no approval reference recorded" in pin)
    heads = [th.text() for th in page.css("#side-by-side thead th")]
    assert heads[1].startswith("The previous successful run") and heads[2].startswith(
        "The pinned baseline “approved”"
    )
    rows = page.css("#side-by-side tr[data-side-by-side]")
    assert rows
    # The night's silent change is on both sides: it happened after the pin and after the previous run.
    first = rows[0]
    assert any(name in first.text() for (name,) in unexplained)
    assert [len(td.css(".label-unexplained")) for td in first.css("td")[1:]] == [1, 1]
    # Without a pinned baseline the drift page has no side-by-side table.
    assert parse(demo_out / "reports" / "latest" / "drift.html").css_first("#side-by-side") is None
