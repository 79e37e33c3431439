"""A flow page's timeline in a real browser: the newest versions are written in the page, the
older ones are drawn by its script from the versions' data block (flow_page.TIMELINE_DRAWN),
and once drawn the timeline is the one a page with every version written in it shows."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.report import flow_page
from flowaudit.report.display import flow_file_name
from flowaudit.report.render import render_reports
from tests.report.page_blocks import block_data
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Each line of the timeline as the browser has it: its attributes, its text, and every element
# in it with its attributes and text (whitespace between elements aside).
LINES = """() => Array.from(document.querySelectorAll("#versions ol.timeline > li")).map(li => {
  const attrs = e => e.getAttributeNames().sort().map(n => n + "=" + e.getAttribute(n)).join(" ");
  const text = e => e.textContent.replace(/\\s+/g, " ").trim();
  return [attrs(li), text(li), Array.from(li.querySelectorAll("*")).map(e => [e.tagName, attrs(e), text(e)])];
})"""


def _longest_flow(db: Path) -> tuple[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT flow_id, count(*) AS n FROM flow_versions WHERE flow_id IN (SELECT flow_id FROM flows) "
            "GROUP BY flow_id ORDER BY n DESC, flow_id LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()


def test_the_older_versions_are_drawn_as_the_page_writes_the_newest(
    browser_page, demo_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    page, problems = browser_page
    db = tmp_path / "demo.duckdb"
    db.write_bytes((demo_out / "demo.duckdb").read_bytes())
    flow_id, count = _longest_flow(db)
    assert count >= 4, "the demo has a flow with a few versions"
    now = datetime.now(UTC)
    monkeypatch.setattr(flow_page, "TIMELINE_DRAWN", count)
    written = render_reports(db, tmp_path / "written", Settings(), now=now).parent
    monkeypatch.setattr(flow_page, "TIMELINE_DRAWN", 2)
    drawn = render_reports(db, tmp_path / "drawn", Settings(), now=now).parent
    name = flow_file_name(flow_id)

    html = LexborHTMLParser((written / "flows" / name).read_text(encoding="utf-8"))
    assert len(html.css("#versions ol.timeline > li")) == count  # every version written
    assert html.css_first("#older-versions") is None
    html = LexborHTMLParser((drawn / "flows" / name).read_text(encoding="utf-8"))
    assert len(html.css("#versions ol.timeline > li")) == 2  # the rest is left to the script
    assert html.css_first("#older-versions").text().startswith(f"The {count - 2} older versions")
    lines = [v["line"] for v in block_data(html, "flow-versions")["versions"] if "line" in v]
    assert len(lines) == count - 2

    page.goto((written / "flows" / name).as_uri())
    whole = page.evaluate(LINES)
    page.goto((drawn / "flows" / name).as_uri())
    assert page.evaluate(LINES) == whole
    numbers = [int(attrs.split("data-version=")[1]) for attrs, _text, _parts in whole]
    assert numbers == list(range(count, 0, -1))  # every version, newest first
    assert page.locator("#older-versions").is_hidden()
    assert problems == []
