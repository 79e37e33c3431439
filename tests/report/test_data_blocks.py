"""A page's data blocks (flowaudit.report.data_blocks): small ones are JSON as they are, large
ones are carried deflated and base64-encoded, read back exactly, and drawn by Chromium from
what the page carries; a browser that cannot inflate them says so on the page."""

# ruff: noqa: F811  (the browser_page fixture is imported from test_browser and named as a parameter)
from __future__ import annotations

import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.report.change_table import script_json
from flowaudit.report.data_blocks import (
    DEFLATE_FROM,
    DEFLATED_TYPE,
    data_block,
    read_data_block,
    unpacked_json,
    unpacked_page,
)
from tests.report.change_rows import change_rows
from tests.report.test_browser import browser_page  # noqa: F401  (the shared fixture)

ROWS = [
    {"path": f"pageProcessors[{i}].mapping", "old": "</script><b>x</b>", "new": i}
    for i in range(200)
]


def _block(markup: str):
    node = LexborHTMLParser(f"<html><body>{markup}</body></html>").css_first("script")
    return node.attributes.get("type"), node.text()


def test_a_small_block_is_json_and_a_large_one_is_packed_and_reads_back_the_same():
    small = script_json({"rows": ROWS[:2]})
    assert len(small) < DEFLATE_FROM
    kind, text = _block(data_block(small, "flow-changes-data"))
    assert kind == "application/json" and json.loads(text) == {"rows": ROWS[:2]}

    large = script_json({"rows": ROWS})
    assert len(large) >= DEFLATE_FROM
    markup = data_block(large, "flow-changes-data")
    kind, text = _block(markup)
    assert kind == DEFLATED_TYPE and read_data_block(text, kind) == {"rows": ROWS}
    assert len(markup) < len(large) / 4  # what packing is for
    assert "<" not in text and "<" not in unpacked_json(text)  # markup in data stays escaped
    # A search of the page's text (for a value that must never be shown) sees the data.
    assert "pageProcessors[199].mapping" in unpacked_page(str(markup))


def test_a_block_id_cannot_carry_markup():
    with pytest.raises(ValueError, match="not a block id"):
        data_block("{}", 'x" onload="alert(1)')


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_draws_every_row_of_a_packed_block(browser_page, demo_out: Path):
    page, problems = browser_page
    changes = demo_out / "reports" / "latest" / "changes.html"
    carried = LexborHTMLParser(changes.read_text(encoding="utf-8"))
    assert carried.css_first("script#changes-data").attributes["type"] == DEFLATED_TYPE
    leaders = [r["event_id"] for r in change_rows(carried, "changes") if r["set_leader"] is None]
    page.goto(changes.as_uri() + "#period=all")
    drawn = page.locator("#changes > tbody > tr[data-row]")
    assert drawn.count() == len(leaders) > 0
    assert [drawn.nth(i).get_attribute("data-event-id") for i in range(drawn.count())] == leaders
    assert problems == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_browser_that_cannot_inflate_says_so_instead_of_an_empty_table(
    browser_page, demo_out: Path
):
    page, problems = browser_page
    page.add_init_script("delete window.DecompressionStream;")
    page.goto((demo_out / "reports" / "latest" / "changes.html").as_uri())
    note = page.locator("p.data-error")
    assert note.count() >= 1 and "cannot unpack the page's data" in note.first.inner_text()
    assert page.locator("#changes tbody tr[data-row]").count() == 0
    assert problems == []
