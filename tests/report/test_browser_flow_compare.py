"""A flow page in a real browser: choosing a version shows its steps and connections as they
were then, and two chosen versions compare as keyed entries computed and drawn by the page's
script (the entries themselves are held to Python's in test_flow_compare_parity)."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.report.page_blocks import block_data
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _compared_flow(latest: Path) -> tuple[Path, dict]:
    for path in sorted((latest / "flows").glob("*.html")):
        page = LexborHTMLParser(path.read_text(encoding="utf-8"))
        if page.css_first("script#flow-configs") is not None:
            data = block_data(page, "flow-configs")
            if len(data["compared"]) >= 3:
                return path, data
    raise AssertionError("no demo flow has three versions to compare")


def test_a_flow_page_shows_steps_at_a_version_and_compares_two(browser_page, demo_out: Path):
    page, problems = browser_page
    path, data = _compared_flow(demo_out / "reports" / "latest")
    page.goto(path.as_uri())
    older = data["compared"][-1]
    page.select_option("#version-select", str(older))
    parts = data["at"][str(older)]
    shown = page.locator("#version-steps details.step-config")
    assert shown.count() == len(parts)
    assert shown.first.get_attribute("data-step") == f"{parts[0][0]}:{parts[0][1]}"

    newer = data["compared"][0]
    page.select_option("#compare-from", str(older))
    page.select_option("#compare-to", str(newer))
    result = page.locator("#compare-result")
    assert f"From version {older} to version {newer}" in result.inner_text()
    paths = result.locator("table.fields tbody tr td:first-child code").all_inner_texts()
    assert paths and all(p.startswith(("flow", "export", "import", "connection")) for p in paths)
    # Either order of the two selects compares older to newer.
    page.select_option("#compare-from", str(newer))
    page.select_option("#compare-to", str(older))
    assert result.locator("table.fields tbody tr td:first-child code").all_inner_texts() == paths
    assert problems == []
