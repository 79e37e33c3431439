"""Change-history tables (recent changes, the monthly archive, a flow's changes) as compact
data that the page's own script draws (reports/templates/_script.js, `drawChangeTables`).

A row of HTML per audit record repeated every name and pretty-printed every value: ~1.3 KB a
record, a gigabyte of pages for a large account. As data, a page carries each name once and
each value compact, and stays one self-contained file; rows, filters and sorting are built
in the reader's browser. Values are masked and cut here (flowaudit.report.masking), before
they reach a page."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from flowaudit import jsonfast
from flowaudit.report.contexts import ChangeTable
from flowaudit.report.display import flow_href
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text, display_value, is_secret_path
from flowaudit.report.site import Site

# Columns of the event rows a page's fetch reads (queries/reports/*_rows.sql, flow_events.sql):
# time as ISO-8601 UTC text, new_since whether the record came after the previous run.
EVENT_COLUMNS = ("event_id", "time", "resource_type", "resource_id", "resource_name", "flow_ids",
                 "source", "event", "user_name", "user_email", "new_since")  # fmt: skip
# A change's kind: "a" added (no value before), "r" removed (none after), "m" modified.
_ADDED, _REMOVED, _MODIFIED = "a", "r", "m"
MAX_REMEMBERED_VALUES = 200_000  # field values shown, remembered by their text (see _shown)
_UNSEEN = object()


def change_table(
    table_id: str,
    events: Iterable[Sequence[Any]],
    changes: Mapping[str, Sequence[Sequence[Any]]],
    site: Site,
    *,
    root: str,
) -> ChangeTable:
    """The table of these audit records (EVENT_COLUMNS rows, shown in the order given) with
    their field changes (per event id: position, path, old_present, old JSON text,
    new_present, new JSON text), names from the site's directory."""
    shown = site.shown_values
    people: dict[tuple[str, str], int] = {}
    integrations: dict[str, int] = {}
    flows: dict[str, int] = {}
    rows = []
    for (
        event_id,
        time,
        rtype,
        rid,
        resource_name,
        flow_ids,
        source,
        event,
        user,
        email,
        new_since,
    ) in events:
        rtype, rid, flow_ids = rtype or "", rid or "", list(flow_ids or ())
        person = people.setdefault((_name(user), email or ""), len(people))
        integration = site.integration_of(rtype, rid, flow_ids) if rid else ""
        rows.append([
            event_id, time, person, source or "", event or "", rtype,
            (_name(resource_name) if resource_name else site.name_of(rtype, rid)) if rid else "",
            integrations.setdefault(integration, len(integrations)),
            [flows.setdefault(flow_id, len(flows)) for flow_id in flow_ids],
            [_field(change, site.pattern, shown) for change in changes.get(event_id, ())],
            1 if new_since else 0,
        ])  # fmt: skip
    payload = {
        "people": [list(person) for person in people],
        "integrations": list(integrations),
        "flows": [[site.name_of("flow", f), flow_href(f, root)] for f in flows],
        "rows": rows,
    }
    return ChangeTable(table_id, len(rows), script_json(payload))


def _name(text: str | None) -> str:
    return cap_text(text or "", MAX_NAME_CHARS)


def _field(change: Sequence[Any], pattern: str, shown: dict[tuple[bool, str], Any]) -> list[Any]:
    _position, path, old_present, old_text, new_present, new_text = change
    path = path or ""
    kind = _ADDED if not old_present else _REMOVED if not new_present else _MODIFIED
    secret = is_secret_path(path, pattern)
    old = _shown(secret, old_text, pattern, shown) if old_present else None
    new = _shown(secret, new_text, pattern, shown) if new_present else None
    return [path, kind, old, new]


def _shown(secret: bool, text: str | None, pattern: str, shown: dict[tuple[bool, str], Any]) -> Any:
    """What a page shows of a field value given as JSON text, remembered by its text: a
    record's new value is the next record's old value, and a record shows on several pages."""
    if text is None:
        return None
    key = (secret, text)
    value = shown.get(key, _UNSEEN)
    if value is _UNSEEN:
        if len(shown) >= MAX_REMEMBERED_VALUES:
            shown.clear()
        value = shown[key] = display_value(jsonfast.loads(text), pattern, masked=secret)
    return value


def script_json(value: Any) -> str:
    """JSON for a <script type="application/json"> block: keys sorted (as values are shown),
    and `<`, `>`, `&` escaped so that no text in it can close the block."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
