"""The data a page's script draws from (change rows, a flow's versions and old step
configurations), carried inside the page as a `<script>` block that the browser never runs.

A small block is JSON as it is. A large one is deflated (zlib, RFC 1950) and base64-encoded:
`<script type="application/zlib" data-encoding="base64">`, which the page's script inflates
with the browser's own DecompressionStream (reports/templates/_script.js, `readData`). The
change data of a month or a flow's old configurations are repetitive JSON that shrinks about
4x so, on thousands of pages (`large`'s report folder: 830 MB, 330 MB of it such JSON).

`read_data_block` is the Python side of `readData`: tests, and anyone reading a page's data
without a browser, decode a block with it."""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

from markupsafe import Markup

DEFLATE_FROM = 2048  # characters of JSON; a smaller block gains too little to be worth packing
DEFLATED_TYPE = "application/zlib"
LEVEL = 6  # zlib's default: level 1 packs `large`'s blocks ~20% bigger for half the CPU

_ID = re.compile(r"[A-Za-z][\w-]*")
_PLAIN_START = '<script type="application/json" id='
_PACKED_START = f'<script type="{DEFLATED_TYPE}" data-encoding="base64" id='


def data_block(payload: str, block_id: str) -> Markup:
    """The `<script>` element carrying `payload` (JSON escaped as change_table.script_json
    escapes it: nothing in it can close the block) under the id `block_id`."""
    if not _ID.fullmatch(block_id):
        raise ValueError(f"not a block id: {block_id!r}")
    if len(payload) < DEFLATE_FROM:
        return Markup(f'{_PLAIN_START}"{block_id}">{payload}</script>')
    packed = base64.b64encode(zlib.compress(payload.encode("utf-8"), LEVEL)).decode("ascii")
    return Markup(f'{_PACKED_START}"{block_id}">{packed}</script>')


def unpacked_json(text: str) -> str:
    """The JSON text a packed block's base64 `text` carries."""
    return zlib.decompress(base64.b64decode(text.strip())).decode("utf-8")


def block_json(text: str, block_type: str | None) -> str:
    """The JSON text a data block carries, given its text and its `type` attribute."""
    return unpacked_json(text) if block_type == DEFLATED_TYPE else text


def read_data_block(text: str, block_type: str | None) -> Any:
    """The value a data block carries, given its text and its `type` attribute."""
    return json.loads(block_json(text, block_type))


_DEFLATED_BLOCK = re.compile(
    f'({re.escape(_PACKED_START)}"[^"]+">)' + r"([A-Za-z0-9+/=\s]*)(</script>)"
)


def unpacked_page(html: str) -> str:
    """The page's text with every packed block's JSON in place of its base64 (a search of a
    page's text, such as for a value that must never be shown, must see its data too)."""
    return _DEFLATED_BLOCK.sub(
        lambda m: m.group(1) + unpacked_json(m.group(2)) + m.group(3),
        html,
    )


def block_json_in(html: str, block_id: str) -> str | None:
    """The JSON text of the page's block `block_id`, plain or packed (None: the page has no
    such block). Pages escape every `<` of their content, so the block's tags are the
    template's own."""
    for start, block_type in ((_PLAIN_START, None), (_PACKED_START, DEFLATED_TYPE)):
        tag = f'{start}"{block_id}">'
        at = html.find(tag)
        if at >= 0:
            body_from = at + len(tag)
            return block_json(html[body_from : html.index("</script>", body_from)], block_type)
    return None
