"""The reports in a real headless browser: open the index, follow a link to a flow page,
use a filter, and see no console error; hostile names stay text. Runs (never skips) in CI."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from flowaudit.config import Settings
from flowaudit.report.render import render_reports
from tests.report.conftest import HOSTILE

pytestmark = pytest.mark.browser

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
        yield page, problems
        browser.close()


def test_a_person_can_open_click_through_and_filter(browser_page, store_path: Path, tmp_path: Path):
    page, problems = browser_page
    index = render_reports(store_path, tmp_path / "out", Settings(), now=datetime(2026, 3, 3, 5))
    page.goto(index.as_uri())
    assert page.title().startswith("Overview")

    page.click(f"#links ul.flows a:text-is('{HOSTILE}')")
    page.wait_for_load_state()
    assert "/flows/" in page.url
    assert page.locator("h1").inner_text() == f"Flow: {HOSTILE}"

    page.goto((index.parent / "changes.html").as_uri())
    rows = page.locator("#changes tbody tr[data-row]")
    total = rows.count()
    page.select_option("form.filters select[data-key=user]", "Bob")
    visible = page.locator("#changes tbody tr[data-row]:visible")
    assert 0 < visible.count() < total
    assert all(visible.nth(i).get_attribute("data-user") == "Bob" for i in range(visible.count()))
    assert page.locator("#changes-count").inner_text() == str(visible.count())
    page.select_option("form.filters select[data-key=user]", "")
    page.select_option("form.filters select[data-key=flow]", "Invoices")
    assert page.locator("#changes tbody tr[data-row]:visible").count() >= 1

    page.goto((index.parent / "drift.html").as_uri())
    page.select_option("form.filters select[data-key=label]", "unexplained")
    shown = page.locator("#drift tbody tr[data-row]:visible")
    assert shown.count() == 1 and shown.first.get_attribute("data-label") == "unexplained"
    page.locator("#drift th.sortable").first.click()

    assert problems == []
