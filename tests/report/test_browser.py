"""The demo's reports in a real headless browser: open the index, follow a link to the
flow with markup in its name (shown as text, no dialog), use filters, show an earlier
configuration, and see no console error. Runs (never skips) when CI is set."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from flowaudit.config import Settings
from flowaudit.demo import HOSTILE_NAME
from flowaudit.report.masking import mask_document

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (apt-get install chromium); CI always runs this test",
                allow_module_level=True)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must have chromium installed (see .ci/run)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        # Any request that is not a local file would mean the page reaches the network.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (problems.append(f"network: {route.request.url}"), route.abort()))
        _goto_waits_for_the_drawing(page)
        yield page, problems
        browser.close()


READY = "html[data-ready]"


def _goto_waits_for_the_drawing(page) -> None:
    """A report page draws its tables and version viewer once the browser has inflated its
    data blocks, a moment after the page has loaded (flowaudit.report.data_blocks): every
    `goto` of a report waits for that, as a person's eyes do."""
    goto = page.goto

    def goto_drawn(url: str, **kwargs):
        response = goto(url, **kwargs)
        if url.startswith("file:"):
            page.wait_for_selector(READY, state="attached")
        return response

    page.goto = goto_drawn


def _hostile_flow(demo_out: Path) -> tuple[str, int, dict]:
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        (flow_id,) = con.execute("SELECT flow_id FROM flows WHERE name = ?", [HOSTILE_NAME]).fetchall()[0]
        version, doc = con.execute(
            "SELECT version, CAST(doc AS VARCHAR) FROM flow_versions WHERE flow_id = ? AND name <> ? "
            "ORDER BY version DESC LIMIT 1", [flow_id, HOSTILE_NAME]).fetchall()[0]
    finally:
        con.close()
    return flow_id, version, json.loads(doc)


def test_a_person_opens_the_demo_clicks_through_and_filters(browser_page, demo_out: Path):
    page, problems = browser_page
    index = demo_out / "reports" / "latest" / "index.html"
    page.goto(index.as_uri())
    assert page.title().startswith("Overview")
    assert int(page.locator("#drift-unexplained .n").inner_text()) >= 1

    # The renamed flow: its link text is the markup, as text; following it runs nothing.
    flow_id, earlier, earlier_doc = _hostile_flow(demo_out)
    link = page.locator("#links ul.flows a", has_text=HOSTILE_NAME)
    assert link.count() == 1 and link.inner_text() == HOSTILE_NAME
    link.click()
    page.wait_for_load_state()
    page.wait_for_selector(READY, state="attached")
    assert page.url.endswith(f"/flows/{flow_id}.html")
    assert page.locator("h1").inner_text() == f"Flow: {HOSTILE_NAME}"

    # An earlier configuration, rebuilt in the page from the current one and the patches.
    page.select_option("#version-select", str(earlier))
    shown = json.loads(page.locator("#version-config").inner_text())
    assert shown == mask_document(earlier_doc, Settings().secret_field_pattern)
    assert shown["name"] == earlier_doc["name"] != HOSTILE_NAME  # as it was before the rename

    # Filters on the recent changes: by source, then by text.
    page.goto((index.parent / "changes.html").as_uri())
    rows = page.locator("#changes tbody tr[data-row]")
    total = rows.count()
    sources = page.locator("form.filters select[data-key=source] option").all_inner_texts()[1:]
    assert len(sources) >= 2
    page.select_option("form.filters select[data-key=source]", sources[0])
    visible = page.locator("#changes tbody tr[data-row]:visible")
    assert 0 < visible.count() < total
    assert all(visible.nth(i).get_attribute("data-source") == sources[0] for i in range(visible.count()))
    assert page.locator("#changes-count").inner_text() == str(visible.count())
    page.select_option("form.filters select[data-key=source]", "")
    page.fill("form.filters input[type=search]", "NetSuite")
    assert 0 < page.locator("#changes tbody tr[data-row]:visible").count() < total

    # The drift page: the silent change is the one unexplained row; sorting works.
    page.goto((index.parent / "drift.html").as_uri())
    page.select_option("form.filters select[data-key=label]", "unexplained")
    shown_rows = page.locator("#drift tbody tr[data-row]:visible")
    assert shown_rows.count() >= 1
    assert all(shown_rows.nth(i).get_attribute("data-label") == "unexplained" for i in range(shown_rows.count()))
    page.locator("#drift th.sortable").first.click()

    assert problems == []


def test_the_runs_chart_renders_in_chromium_with_no_console_error(browser_page, demo_out: Path):
    page, problems = browser_page
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        (flow_id,) = con.execute("SELECT flow_id FROM changes_followed_by_failures LIMIT 1").fetchall()[0]
    finally:
        con.close()
    page.goto((demo_out / "reports" / "latest" / "index.html").as_uri())
    page.locator("#failures-table tbody tr[data-row] a").first.click()
    page.wait_for_load_state()
    page.wait_for_selector(READY, state="attached")
    assert page.url.endswith(f"/flows/{flow_id}.html")
    chart = page.locator("#health svg.health-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # Bars are drawn: the failing day's red part has a height on screen.
    red = page.locator("#health g.day rect.errors")
    heights = [red.nth(i).bounding_box()["height"] for i in range(red.count())]
    assert red.count() == 30 and max(heights) > 10
    assert page.locator("#health g.mark").count() >= 1
    assert problems == []


def test_the_first_screen_holds_the_verdict_and_the_silent_change(browser_page, demo_out: Path):
    page, problems = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto((demo_out / "reports" / "latest" / "index.html").as_uri())
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        # The demo's last night holds one silent change.
        (silent,) = con.execute("SELECT resource_name FROM unexplained_changes "
                                "ORDER BY changed_before DESC LIMIT 1").fetchall()[0]  # fmt: skip
    finally:
        con.close()

    def on_first_screen(locator) -> bool:
        box = locator.bounding_box()
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 800 and box["x"] + box["width"] <= 1280

    verdict = page.locator("#verdict .verdict-line")
    assert verdict.inner_text().startswith("The last run is healthy and complete.") and on_first_screen(verdict)
    heading = page.locator("#attention h2")
    assert "attention" in heading.inner_text().lower() and on_first_screen(heading)
    row = page.locator("#attention tr[data-kind=unexplained]", has_text=silent).first
    assert on_first_screen(row.locator("a", has_text=silent))
    # The UTC time is on hover; the row leads to the drift page.
    assert page.locator("#attention time").first.get_attribute("title").endswith(" UTC")
    row.locator("a", has_text=silent).click()
    assert page.url.endswith("/drift.html")
    assert not problems
