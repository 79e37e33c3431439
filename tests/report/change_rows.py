"""Reading a page's change-history table as a person would see its rows: the table's data
block decoded into one dict per row, with the same fields the page's script draws
(reports/templates/_script.js). The browser test checks that the script draws exactly these."""

from __future__ import annotations

import json
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from tests.report.page_blocks import block_data

KINDS = {"a": "added", "r": "removed", "m": "modified", "v": "moved", "l": "lines", "x": "more"}


def change_rows(page: LexborHTMLParser, table_id: str) -> list[dict[str, Any]]:
    """The rows of the change table `table_id`, in the order the page shows them."""
    table = page.css_first(f"table#{table_id}")
    assert table is not None, f"no change table {table_id}"
    data = block_data(page, table.attributes["data-rows"])
    rows = []
    for r in data["rows"]:
        rows += [_row(r, data, None), *(_row(m, data, r[0]) for m in r[13])]
    return rows


def _row(r: list, data: dict, set_leader: str | None) -> dict[str, Any]:
    """A record as the page shows it; set_leader: the record whose change set it is drawn in."""
    person = data["people"][r[2]]
    flows = [data["flows"][i] for i in r[8]]
    return {
        "event_id": r[0], "time": r[1], "user": person[0], "user_email": person[1], "source": r[3],
            "event": r[4], "resource_type": r[5], "resource_name": r[6], "integration": data["integrations"][r[7]],
            "flows": [name for name, _href in flows], "flow_hrefs": [href for _name, href in flows],
            "fields": [{"path": f[0], "kind": KINDS[f[1]], "old": f[2], "new": f[3]} for f in r[9]],
            "new_since_last_run": bool(r[10]), "attention": bool(r[12]), "set_leader": set_leader,
            "set_size": len(r[13]) + 1 if set_leader is None and r[13] else 0,
            "plain_paths": [data["paths"].get(f[0], f[0]) for f in r[9]],
        }  # fmt: skip


def shown_text(row: dict[str, Any]) -> str:
    """Everything a row prints, as one text (names, people, paths and values)."""
    return json.dumps(row, ensure_ascii=False)
