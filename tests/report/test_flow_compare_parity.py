"""The flow page's compare is computed by the page's script (_flow_compare.js); Python's
keyed diff (flow_configs.compare_versions, over field_diff.field_entries) is the reference.
For every demo flow, every pair of the versions its page compares gives exactly the same
entries (path, kind, old, new) in Chromium as in Python; so does a made-up flow holding what
the demo lacks (line diffs, moves, repeated steps, secrets, the entry cap)."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import DEFAULT_SECRET_FIELD_PATTERN, DEFAULT_VOLATILE_FIELDS
from flowaudit.load.db import connect
from flowaudit.report.display import flow_file_name
from flowaudit.report.flow_configs import compare_versions
from flowaudit.report.flow_page import FlowUnit
from flowaudit.report.site import fetch_site
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The flow's document at a version as the page's own script rebuilds it (the current
# configuration with each newer version's patch undone), then the page's compare of two.
PAGE_COMPARE = """([older, newer]) => {
  const versions = JSON.parse(document.getElementById("flow-versions").textContent).versions;
  const configs = JSON.parse(document.getElementById("flow-configs").textContent);
  const flowDoc = (wanted) => {
    let doc = JSON.parse(document.querySelector("#current-config pre.value").textContent);
    for (const v of versions) {
      if (v.number <= wanted) continue;
      for (const [op, path, value] of v.back) {
        if (path.length === 0) { doc = op === "s" ? structuredClone(value) : null; continue; }
        let node = doc;
        for (const key of path.slice(0, -1)) node = node[key];
        if (op === "s") node[path[path.length - 1]] = structuredClone(value); else delete node[path[path.length - 1]];
      }
    }
    return doc;
  };
  return flowCompare(configs, flowDoc, older, newer);
}"""


@pytest.fixture(scope="module")
def python_compares(demo_out: Path) -> dict[str, dict[tuple[int, int], list]]:
    """For every demo flow: Python's entries for every pair of the versions its page compares."""
    con = connect(demo_out / "demo.duckdb", read_only=True)
    try:
        site = fetch_site(con, "default", now=datetime.now(UTC), since=None, pattern=DEFAULT_SECRET_FIELD_PATTERN,
                          volatile=tuple(DEFAULT_VOLATILE_FIELDS), baseline=None, stale_since=None)  # fmt: skip
        unit = FlowUnit()
        compares = {}
        for plan, data in unit.fetch(con, site, unit.plan(con, site)):
            compares[plan.args] = {
                (older.number, newer.number): compare_versions(
                    older, newer, data.found, site.pattern, site.volatile, site.name_of
                )
                for newer, older in combinations(data.recent, 2)  # recent: newest first
            }
    finally:
        con.close()
    return {flow_id: pairs for flow_id, pairs in compares.items() if pairs}


def test_the_page_compares_every_pair_as_python_does(browser_page, demo_out: Path, python_compares):
    page, problems = browser_page
    checked = 0
    kinds: set[str] = set()
    for flow_id, pairs in python_compares.items():
        page.goto((demo_out / "reports" / "latest" / "flows" / flow_file_name(flow_id)).as_uri())
        for (older, newer), expected in pairs.items():
            assert page.evaluate(PAGE_COMPARE, [older, newer]) == expected, (flow_id, older, newer)
            checked += 1
            kinds.update(entry[1] for entry in expected)
    assert len(python_compares) > 10 and checked > 100 and {"a", "r", "m", "v"} <= kinds
    assert problems == []


def test_a_chosen_pair_is_drawn_as_python_computes_it(
    browser_page, demo_out: Path, python_compares
):
    page, problems = browser_page
    flow_id, pairs = max(python_compares.items(), key=lambda item: len(item[1]))
    path = demo_out / "reports" / "latest" / "flows" / flow_file_name(flow_id)
    page.goto(path.as_uri())
    data = json.loads(
        LexborHTMLParser(path.read_text(encoding="utf-8")).css_first("script#flow-configs").text()
    )
    assert "pairs" not in data  # the page carries no precomputed compare
    older, newer = data["compared"][-1], data["compared"][0]
    page.select_option("#compare-from", str(newer))
    page.select_option("#compare-to", str(older))
    drawn = page.locator(
        "#compare-result table.fields tbody tr td:first-child code"
    ).all_inner_texts()
    assert drawn == [entry[0] for entry in pairs[(older, newer)]] and drawn
    assert problems == []
