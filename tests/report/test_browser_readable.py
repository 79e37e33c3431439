"""The demo's reports are readable everywhere (issue 11): no page scrolls sideways at 1280 px
or at a phone's 390 px, a PDF printed from the recent changes holds every value of a mapping
change, headers sort by keyboard, dark mode follows the system, the flow list is searchable."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest

from flowaudit.transform.diff import MISSING, diff_values
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _scroll_width(page, path: Path, width: int) -> int:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(path.as_uri())
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_report_page_of_the_demo_scrolls_sideways_at_1280_px(browser_page, demo_out: Path):
    page, problems = browser_page
    latest = demo_out / "reports" / "latest"
    pages = sorted(latest.rglob("*.html"))
    assert len(pages) > 20 and latest / "drift.html" in pages
    wide = {
        str(p.relative_to(latest)): w for p in pages if (w := _scroll_width(page, p, 1280)) > 1280
    }
    assert wide == {}
    assert problems == []


def test_the_overview_and_the_change_pages_fit_a_phone(browser_page, demo_out: Path):
    page, problems = browser_page
    latest = demo_out / "reports" / "latest"
    for name in ("index.html", "changes.html", "drift.html", "audit.html"):
        assert _scroll_width(page, latest / name, 390) <= 390, name
    # A change's time stays on one line.
    page.goto((latest / "changes.html").as_uri())
    when = page.locator("#changes tbody tr[data-row] td time").first
    assert when.bounding_box()["height"] < 24
    assert problems == []


def _mapping_change(demo_out: Path) -> tuple[str, list[str], list[str]]:
    """The newest mapping change in the recent changes, the paths of its keyed entries and
    every value those entries hold (flowaudit.report.field_diff)."""
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        event_id, old, new = con.execute(
            "SELECT f.event_id, CAST(old_value AS VARCHAR), CAST(new_value AS VARCHAR) "
            "FROM store.audit_field_changes AS f JOIN store.audit_records AS a USING (account, event_id) "
            "WHERE field_path = 'mapping.fields' AND length(CAST(new_value AS VARCHAR)) > 200 "
            "AND old_value IS NOT NULL ORDER BY a.time DESC LIMIT 1").fetchall()[0]  # fmt: skip
    finally:
        con.close()
    changes = diff_values(json.loads(old), json.loads(new), "mapping.fields")
    values = [str(v) for c in changes for side in (c.old, c.new) if side is not MISSING
              for v in (side.values() if isinstance(side, dict) else [side])]  # fmt: skip
    return event_id, [c.path for c in changes], values


def test_a_pdf_printed_from_the_changes_page_holds_every_value_of_a_mapping_change(
    browser_page,
    demo_out: Path,
):
    from pypdf import PdfReader

    page, problems = browser_page
    event_id, paths, values = _mapping_change(demo_out)
    page.goto((demo_out / "reports" / "latest" / "changes.html").as_uri() + "#period=all")
    row = page.locator(f'#changes tbody tr[data-event-id="{event_id}"]')
    assert row.is_visible()
    # The change is drawn as its keyed entries (mappings by `generate`), not two whole lists.
    shown_paths = row.locator("table.fields tbody tr td:first-child code").all_inner_texts()
    assert [p for p in shown_paths if p.startswith("mapping.fields")] == paths
    pdf = page.pdf(format="A4")
    text = _squeezed("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    missing = [v for v in [*paths, *values] if _squeezed(v) not in text]
    assert values and missing == []
    assert "⇅" not in text and "Person" not in text  # no sort arrows, no filters
    assert problems == []


def test_sortable_headers_sort_by_keyboard(browser_page, demo_out: Path):
    page, problems = browser_page
    page.goto((demo_out / "reports" / "latest" / "drift.html").as_uri())
    header = page.locator("#drift th.sortable").first
    button = header.locator("button")
    assert button.count() == 1
    button.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    page.keyboard.press("Space")
    assert header.get_attribute("aria-sort") == "ascending"
    names = page.locator("#drift > tbody > tr[data-row] > td:first-child").all_inner_texts()
    assert len(names) >= 2
    in_order = page.evaluate(
        "n => n.every((x, i) => i === 0 || n[i - 1].localeCompare(x) <= 0)", names
    )
    assert in_order
    assert problems == []


def test_dark_mode_follows_the_system_setting(browser_page, demo_out: Path):
    page, problems = browser_page
    background = "getComputedStyle(document.body).backgroundColor"
    page.goto((demo_out / "reports" / "latest" / "index.html").as_uri())
    page.emulate_media(color_scheme="light")
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")
    red, green, blue = (int(n) for n in page.evaluate(background)[4:-1].split(","))
    assert max(red, green, blue) < 60
    assert problems == []


def test_the_overview_flow_list_is_grouped_by_integration_and_searchable(
    browser_page, demo_out: Path
):
    page, problems = browser_page
    page.goto((demo_out / "reports" / "latest" / "index.html").as_uri())
    groups = page.locator("#flow-groups details.flow-group")
    assert groups.count() >= 2
    flows = page.locator("#flow-groups ul.flows li")
    total = flows.count()
    name = flows.first.inner_text()
    page.fill("#flow-search", name)
    visible = page.locator("#flow-groups ul.flows li:visible")
    assert 1 <= visible.count() < total
    assert all(name.lower() in visible.nth(i).inner_text().lower() for i in range(visible.count()))
    page.fill("#flow-search", "")
    assert page.locator("#flow-groups ul.flows li:visible").count() == total
    assert problems == []
