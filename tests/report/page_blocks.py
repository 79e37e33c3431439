"""A page's data blocks read as its script reads them (flowaudit.report.data_blocks): JSON
as it is, or deflated and base64-encoded."""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from flowaudit.report.data_blocks import DEFLATED_TYPE, block_json, read_data_block

DATA_TYPES = ("application/json", DEFLATED_TYPE)


def block_data(page: LexborHTMLParser, block_id: str) -> Any:
    """The value the page's block `block_id` carries."""
    node = page.css_first(f"script#{block_id}")
    assert node is not None, f"no data block {block_id}"
    return read_data_block(node.text(), node.attributes.get("type"))


def code_scripts(page: LexborHTMLParser) -> list:
    """The page's scripts that run (every other script element is a data block)."""
    return [s for s in page.css("script") if s.attributes.get("type") not in DATA_TYPES]


def block_texts(page: LexborHTMLParser) -> list[str]:
    """The JSON text of every data block of the page, unpacked."""
    blocks = (node for node in page.css("script") if node.attributes.get("type") in DATA_TYPES)
    return [block_json(node.text(), node.attributes.get("type")) for node in blocks]
