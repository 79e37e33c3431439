"""The flow page's runs chart and the overview's changes followed by failures: the chart
is inline SVG with a bar per day and the flow's versions marked where they began; the
overview names the change, the person and the rise. Checked on the demo's reports (its
busiest flow is broken for a day) and on the pure builders."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb

from flowaudit.config import Settings
from flowaudit.report.change_table import script_json
from flowaudit.report.contexts import FlowVersion, Page
from flowaudit.report.data_blocks import block_json_in, data_block
from flowaudit.report.environment import make_environment
from flowaudit.report.flow_health_part import MARKS_BLOCK, redraw
from flowaudit.report.health import CHART_DAYS, WIDTH, build_health_chart, chart_period, health_key


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Collect:
    parser = _Collect()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _broken(demo_out: Path) -> tuple[str, str, str]:
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT flow_id, event_id, user_name FROM changes_followed_by_failures LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()


def test_a_days_bar_and_a_versions_mark_sit_where_they_happened():
    first, last = date(2026, 3, 1), date(2026, 3, 30)
    rows = [(date(2026, 3, 10), 24, 6, 1), (date(2026, 3, 11), 24, 0, 0)]
    versions = [
        FlowVersion(3, datetime(2026, 3, 10, 12, tzinfo=UTC), None, "observed", ()),
        FlowVersion(
            2,
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 3, 10, 12, tzinfo=UTC),
            "observed",
            (),
        ),
    ]
    steps = [(datetime(2026, 3, 16, tzinfo=UTC), "import Post orders (update)", "Ada")]
    chart = build_health_chart(rows, first, last, versions, steps)
    assert len(chart.days) == 30 and chart.total_runs == 48 and chart.total_with_errors == 6
    day = chart.days[9]
    assert (day.day, day.runs, day.with_errors, day.failed) == ("2026-03-10", 24, 6, 1)
    assert day.errors_height == chart.height * 6 / 24 and day.runs_height == chart.height
    version, step = chart.marks
    assert (version.kind, version.label) == ("version", "v3")  # v2 began before the period
    assert version.x == WIDTH * 9.5 / 30 and step.x == WIDTH * 15 / 30
    assert "by Ada" in step.title and chart.note == ""


def test_a_flow_that_did_not_run_says_so_and_its_key_does_not_move_with_the_date():
    first, last = chart_period(datetime(2026, 3, 30, 2, tzinfo=UTC))
    assert (last - first).days + 1 == CHART_DAYS
    chart = build_health_chart([], first, last, [])
    assert chart.total_runs == 0 and "no run" in chart.note
    assert health_key([], first, last) == health_key([], date(2026, 1, 1), date(2026, 1, 30)) == []


def test_the_broken_flows_page_charts_its_failing_day_and_marks_its_versions(demo_out: Path):
    flow_id, _event, _user = _broken(demo_out)
    page = _parse(demo_out / "reports" / "latest" / "flows" / f"{flow_id}.html")
    days = [attrs for tag, attrs in page.tags if tag == "g" and "data-day" in attrs]
    assert len(days) == CHART_DAYS
    # The breakage lasts 20 hours from the demo's first night, whose hour is the hour the
    # demo ran: it may fall on one UTC day or be split over two, so at least a third of
    # its runs err on its worse day, and the days away from it are almost clean. Those are
    # pooled: a flow's own noise (up to 2.5% of its runs) can put one error on a short day.
    by_share = sorted(days, key=lambda d: int(d["data-errors"]) / max(int(d["data-runs"]), 1))
    worst = by_share[-1]
    assert int(worst["data-errors"]) > 0.3 * int(worst["data-runs"]), (
        "the day the mapping broke the flow shows in red"
    )
    away = by_share[:-2]
    away_errors = sum(int(d["data-errors"]) for d in away)
    away_runs = sum(int(d["data-runs"]) for d in away)
    assert away_runs > 0 and away_errors < 0.05 * away_runs, (
        "the days away from the breakage are almost clean"
    )
    assert all(int(d["data-errors"]) <= int(d["data-runs"]) for d in days)
    marks = [attrs for tag, attrs in page.tags if tag == "g" and "mark" in attrs.get("class", "")]
    assert any("mark-step" in m["class"] for m in marks), "the import's mapping change is marked"
    svg = [
        attrs
        for tag, attrs in page.tags
        if tag == "svg" and "health-chart" in attrs.get("class", "")
    ]
    assert len(svg) == 1 and "xmlns" in svg[0]
    html = (demo_out / "reports" / "latest" / "flows" / f"{flow_id}.html").read_text(
        encoding="utf-8"
    )
    assert not re.search(r"<script[^>]+src=", html), "no library is downloaded"


def test_the_overview_names_the_breaking_change_the_person_and_the_rise(demo_out: Path):
    flow_id, event_id, user = _broken(demo_out)
    index = demo_out / "reports" / "latest" / "index.html"
    page = _parse(index)
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-event" in attrs]
    assert rows and rows[0]["data-event"] == event_id
    html = index.read_text(encoding="utf-8")
    section = html[
        html.index('id="failures"') : html.index("</section>", html.index('id="failures"'))
    ]
    assert user in section and "mapping.fields" in section and f"flows/{flow_id}.html" in section
    assert re.search(r"\+\d+ points", section)


def test_a_flow_with_many_marks_carries_them_packed_and_its_chart_redraws_from_them(demo_out: Path):
    """A flow with a long history carries its chart's marks deflated (a data block of 2,048
    characters or more), and a night draws its chart again from them as from plain ones: the
    versions marked and the page around the chart are the same."""
    page = next(p for p in sorted((demo_out / "reports" / "latest" / "flows").glob("*.html"))
                if 'id="health"' in p.read_text(encoding="utf-8"))  # fmt: skip
    text = page.read_text(encoding="utf-8")
    marks = json.loads(block_json_in(text, MARKS_BLOCK))
    first, last = chart_period(datetime(2026, 6, 30, 12, tzinfo=UTC))
    # Versions of years before the period (left unmarked) and three inside it.
    marks["versions"] = [[n, f"2001-{n % 12 + 1:02d}-01T00:00:00Z"] for n in range(1, 201)] + [
        [201, "2026-06-10T08:00:00Z"], [202, "2026-06-20T09:30:00Z"], [203, "2026-06-29T23:59:00Z"]]  # fmt: skip
    payload = script_json(marks)
    block = re.search(
        r'<script type="application/[a-z]+"[^>]* id="health-marks">.*?</script>', text, re.S
    )
    plain_block = f'<script type="application/json" id="health-marks">{payload}</script>'
    packed_block = str(data_block(payload, "health-marks"))
    plain = text.replace(block.group(0), plain_block)
    packed = text.replace(block.group(0), packed_block)
    assert 'type="application/zlib"' in packed and len(packed) < len(plain) - 1000
    rows = [(date(2026, 6, day), 10, day % 3, 0) for day in range(1, 31)]
    env = make_environment(Settings().templates_dir)
    header = Page(
        "Flow", "default", datetime(2026, 6, 30, 13, tzinfo=UTC), None, reusable=True, root="../"
    )
    from_plain = redraw(plain, env, header, rows, first, last)
    from_packed = redraw(packed, env, header, rows, first, last)
    assert from_plain is not None and from_packed is not None
    assert from_packed == from_plain.replace(plain_block, packed_block)
    versions_marked = re.findall(r'<g class="mark mark-version" data-version="(\d+)"', from_packed)
    assert versions_marked == ["201", "202", "203"]
