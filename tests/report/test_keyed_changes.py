"""A mapping change on the demo's recent changes page shows its keyed entries (matched by
`generate`, as the drift page matches them) and never the two whole lists side by side."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.transform.diff import diff_values
from tests.report.change_rows import change_rows

pytestmark = pytest.mark.slow


def mapping_change(demo_out: Path) -> tuple[str, list, list]:
    """The newest mapping change of the recent changes page's period (event id, old, new)."""
    con = duckdb.connect(str(demo_out / "demo.duckdb"), read_only=True)
    try:
        event_id, old, new = con.execute(
            "SELECT f.event_id, CAST(old_value AS VARCHAR), CAST(new_value AS VARCHAR) "
            "FROM store.audit_field_changes AS f JOIN store.audit_records AS a USING (account, event_id) "
            "WHERE field_path = 'mapping.fields' AND old_value IS NOT NULL AND new_value IS NOT NULL "
            "ORDER BY a.time DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    return event_id, json.loads(old), json.loads(new)


def test_a_mapping_change_shows_its_keyed_entries_and_no_raw_blob(demo_out: Path):
    event_id, old, new = mapping_change(demo_out)
    page = LexborHTMLParser((demo_out / "reports" / "latest" / "changes.html").read_text(encoding="utf-8"))
    (row,) = [r for r in change_rows(page, "changes") if r["event_id"] == event_id]
    fields = [f for f in row["fields"] if f["path"].startswith("mapping.fields")]
    expected = [(c.path, c.kind) for c in diff_values(old, new, "mapping.fields")]
    assert expected and [(f["path"], f["kind"]) for f in fields] == expected
    assert all(f["path"].startswith("mapping.fields[generate=") for f in fields)
    # Neither whole list is shown as a value.
    assert all(f["old"] != old and f["new"] != new for f in fields)
    assert not any(isinstance(f["old"], list) or isinstance(f["new"], list) for f in fields)
