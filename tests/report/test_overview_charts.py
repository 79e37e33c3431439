"""The overview's charts and lists of issue 11: changes per person split UI/API, the
hour-of-day heatmap in the display time zone, last night and the partial day marked on the
day charts, the digests sent (a failed one in the failure colour with its error), and the
glossary of the audit labels (also on the recent changes page)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.report.render import render_reports
from tests.pipeline.helpers import query


@pytest.fixture(scope="module")
def index(demo_out: Path) -> LexborHTMLParser:
    return LexborHTMLParser(
        (demo_out / "reports" / "latest" / "index.html").read_text(encoding="utf-8")
    )


def _window(db: Path) -> tuple[datetime, datetime | None]:
    runs = query(
        db,
        "SELECT observed_at FROM runs WHERE status = 'succeeded' ORDER BY observed_at DESC LIMIT 2",
    )
    return runs[0][0], runs[1][0] if len(runs) > 1 else None


def test_each_persons_changes_are_split_by_ui_and_api(index: LexborHTMLParser, demo_out: Path):
    db = demo_out / "demo.duckdb"
    as_of, _previous = _window(db)
    rows = index.css("#top-people table.people-split tbody tr[data-person]")
    assert rows
    found = dict(
        ((p, s), n)
        for p, s, n in query(db, "SELECT coalesce(user_name, user_email, user_id, '(unknown)'), source, count(*) "
                            "FROM audit_events WHERE event IN ('create', 'update', 'delete', 'restore', 'purge') "
                            "AND time > ? - INTERVAL 90 DAY AND time <= ? GROUP BY ALL", [as_of, as_of])
    )  # fmt: skip
    assert any(int(r.css("td.num")[1].text()) > 0 for r in rows), "the demo has API changes"
    for row in rows:
        person = row.attributes["data-person"]
        ui, api, other = (int(td.text()) for td in row.css("td.num"))
        assert ui == found.get((person, "ui"), 0) and api == found.get((person, "api"), 0)
        assert other == sum(
            n for (p, s), n in found.items() if p == person and s not in ("ui", "api")
        )


def test_the_heatmap_counts_changes_by_weekday_and_hour(demo_out: Path, tmp_path: Path):
    db = demo_out / "demo.duckdb"
    settings = Settings(db=db, out=tmp_path, display_timezone="Asia/Tokyo")
    page = LexborHTMLParser(
        render_reports(db, tmp_path, settings, now=datetime(2027, 1, 1, tzinfo=UTC)).read_text()
    )
    as_of, _previous = _window(db)
    times = [t for (t,) in query(db, "SELECT time FROM audit_events WHERE event IN ('create', 'update', 'delete', "
                                 "'restore', 'purge') AND time > ? - INTERVAL 90 DAY AND time <= ?", [as_of, as_of])]  # fmt: skip
    from zoneinfo import ZoneInfo

    expected: dict[tuple[int, int], int] = {}
    for t in times:
        local = t.astimezone(ZoneInfo("Asia/Tokyo"))
        expected[(local.weekday(), local.hour)] = expected.get((local.weekday(), local.hour), 0) + 1
    cells = page.css("#heatmap rect.heat")
    assert len(cells) == 7 * 24
    shown = {(int(c.attributes["data-weekday"]), int(c.attributes["data-hour"])): int(c.attributes["data-count"])
             for c in cells if c.attributes["data-count"] != "0"}  # fmt: skip
    assert shown == expected and shown
    assert "Asia/Tokyo" in page.css_first("#heatmap h2").text()


def test_the_day_charts_mark_last_night_and_the_partial_day(
    index: LexborHTMLParser, demo_out: Path
):
    as_of, previous = _window(demo_out / "demo.duckdb")
    for chart in index.css("#activity svg.chart"):
        marked = {
            b.attributes["data-day"]
            for b in chart.css("rect.bar")
            if "last-night" in b.attributes["class"]
        }
        partial = [
            b.attributes["data-day"]
            for b in chart.css("rect.bar")
            if "partial" in b.attributes["class"]
        ]
        days = {b.attributes["data-day"] for b in chart.css("rect.bar")}
        expected = {
            d
            for d in days
            if previous.astimezone(UTC).date().isoformat()
            <= d
            <= as_of.astimezone(UTC).date().isoformat()
        }
        assert marked == expected and marked
        assert partial == [as_of.astimezone(UTC).date().isoformat()]
    assert "since the previous run" in index.css_first("#activity .chart-legend").text()


def test_a_failed_digest_shows_in_the_failure_colour_with_its_error(demo_out: Path, tmp_path: Path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_out / "demo.duckdb", db)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "INSERT INTO store.notifications VALUES (3, 'default', TIMESTAMPTZ '2026-12-01 02:05:00Z', 'mail', "
            "'ops@example.com', 'flowaudit: 2 need attention', 'failed', 2, 'SMTP server refused: 554 no'), "
            "(3, 'default', TIMESTAMPTZ '2026-12-01 02:05:00Z', 'webhook', 'hooks.example.com', "
            "'flowaudit: 2 need attention', 'sent', 1, NULL)"
        )
    finally:
        con.close()
    out = tmp_path / "out"
    page = LexborHTMLParser(
        render_reports(
            db, out, Settings(db=db, out=out), now=datetime(2027, 1, 1, tzinfo=UTC)
        ).read_text()
    )
    failed = page.css_first("#notifications tr[data-status=failed]")
    assert "notification-failed" in failed.attributes["class"]
    assert "SMTP server refused: 554 no" in failed.css_first(".notify-error").text()
    assert "ops@example.com" in failed.text()
    sent = page.css_first("#notifications tr[data-status=sent]")
    assert "flowaudit: 2 need attention" in sent.text() and "hooks.example.com" in sent.text()


def test_no_digest_yet_says_how_to_get_one(index: LexborHTMLParser):
    assert "mail_to" in index.css_first("#notifications").text()


def test_the_glossary_says_what_each_audit_label_means(index: LexborHTMLParser, demo_out: Path):
    changes = LexborHTMLParser(
        (demo_out / "reports" / "latest" / "changes.html").read_text(encoding="utf-8")
    )
    for page in (index, changes):
        terms = [dt.text().strip() for dt in page.css("#glossary dt")]
        assert terms == ["explained", "unexplained", "system"]
        assert "no audit record explains" in page.css_first("#glossary").text()
