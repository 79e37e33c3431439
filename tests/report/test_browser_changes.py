"""The recent changes in a real browser (issue 11): they open on what the last run brought,
switch to the last 7 days or everything the page holds, filter on new, off-hours and API
changes, keep the filters in the page's address, and show what a create made."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = "#changes tbody tr[data-row]"


def _previous_run_and_off_hours(demo_out: Path) -> tuple[object, set[str]]:
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        runs = con.execute(
            "SELECT observed_at FROM runs WHERE status = 'succeeded' ORDER BY observed_at DESC LIMIT 2"
        ).fetchall()
        off = {r[0] for r in con.execute(
            "SELECT event_id FROM rule_violations WHERE rule = 'outside_business_hours'").fetchall()}  # fmt: skip
    finally:
        con.close()
    return runs[1][0], off


def test_recent_changes_open_on_the_last_run_and_switch_periods(browser_page, demo_out: Path):
    page, problems = browser_page
    changes = demo_out / "reports" / "latest" / "changes.html"
    page.goto(changes.as_uri())
    rows = page.locator(ROWS)
    total = rows.count()
    visible = page.locator(f"{ROWS}:visible")
    last_run = visible.count()
    # By default: only what came after the previous run, every such row.
    assert 0 < last_run < total
    assert page.locator(f"{ROWS}[data-new]").count() == last_run
    assert all(visible.nth(i).get_attribute("data-new") is not None for i in range(last_run))
    assert (
        page.locator("#changes-count").inner_text()
        == page.locator("#changes-total").inner_text()
        == str(last_run)
    )

    page.check("input[name=period][value=all]")
    assert visible.count() == total
    assert page.url.endswith("#period=all")

    # Off-hours and API over the whole period; the state survives a reload from the address.
    _previous, off_hours = _previous_run_and_off_hours(demo_out)
    page.check("input[name=offhours]")
    shown = {visible.nth(i).get_attribute("data-event-id") for i in range(visible.count())}
    every = {rows.nth(i).get_attribute("data-event-id") for i in range(total)}
    assert shown and shown == every & off_hours
    page.check("input[name=api]")
    assert all(visible.nth(i).get_attribute("data-source") == "api" for i in range(visible.count()))
    both = visible.count()
    assert "offhours=1" in page.url and "api=1" in page.url
    address = page.url
    page.goto("about:blank")
    page.goto(address)
    assert page.is_checked("input[name=period][value=all]") and page.is_checked("input[name=api]")
    assert page.locator(f"{ROWS}:visible").count() == both

    # A person chosen in the address; Clear puts the default period back.
    person = rows.first.get_attribute("data-user")
    page.goto(changes.as_uri() + "#period=week&user=" + person.replace(" ", "%20"))
    assert page.locator("select[name=user]").input_value() == person
    assert all(visible.nth(i).get_attribute("data-user") == person for i in range(visible.count()))
    page.click("form.filters button[type=reset]")
    page.wait_for_function(
        "document.querySelectorAll('#changes tbody tr[data-row]:not([hidden])').length > 0"
    )
    assert visible.count() == last_run
    assert problems == []


def test_a_create_shows_the_configuration_it_made(browser_page, demo_out: Path):
    page, problems = browser_page
    page.goto(
        (demo_out / "reports" / "latest" / "changes.html").as_uri() + "#period=all&event=create"
    )
    created = page.locator(f"{ROWS}:visible")
    assert created.count() >= 1
    for i in range(created.count()):
        fields = created.nth(i).locator("td[data-col=Fields] > table.fields")  # a change set's own
        assert fields.count() == 1, created.nth(i).inner_text()
        text = fields.text_content()  # folded values included
        assert "(whole resource)" in text and '"_id"' in text
    assert "No field-level detail recorded" not in page.locator("#changes").inner_text()
    assert problems == []
