"""Change-history tables (recent changes, the monthly archive, a flow's changes) as compact
data that the page's own script draws (reports/templates/_script.js).

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
from flowaudit.documents.plain_words import plain_path
from flowaudit.report.change_sets import change_sets
from flowaudit.report.contexts import ChangeTable
from flowaudit.report.display import flow_href
from flowaudit.report.field_diff import LONG_STRING_CHARS, entry_data, field_entries, named_path
from flowaudit.report.masking import (
    MAX_NAME_CHARS,
    cap_text,
    display_value,
    is_secret_path,
    load_shown_json,
)
from flowaudit.report.site import Site

# A change table's rows (change_table): time as ISO-8601 UTC text, the record's flows as ids
# with the names the page prints, the integration text the page prints, new_since whether the
# record came after the previous run.
SHOWN_COLUMNS = ("event_id", "time", "resource_type", "resource_id", "resource_name", "flow_ids",
                 "flow_names", "integration", "source", "event", "user_name", "user_email", "new_since")  # fmt: skip
# A change's kind: "a" added (no value before), "r" removed (none after), "m" modified.
_ADDED, _REMOVED, _MODIFIED = "a", "r", "m"
MAX_REMEMBERED_VALUES = 200_000  # field values shown, remembered by their text (see _shown)
_UNSEEN = object()


def with_current_names(events: Iterable[Sequence[Any]], site: Site) -> list[tuple]:
    """audit_events rows (event_id, time text, resource_type, resource_id, resource_name,
    flow_ids, source, event, user_name, user_email, new_since) as SHOWN_COLUMNS rows, with
    today's names of their flows and integrations (from the site's directory)."""
    shown = []
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
        flow_ids = list(flow_ids or ())
        shown.append((
            event_id, time, rtype, rid, resource_name or (site.name_of(rtype, rid) if rid else ""), flow_ids,
            [site.name_of("flow", f) for f in flow_ids], site.integration_of(rtype, rid, flow_ids) if rid else "",
            source, event, user, email, new_since,
        ))  # fmt: skip
    return shown


def change_table(
    table_id: str,
    events: Iterable[Sequence[Any]],
    changes: Mapping[str, Sequence[Sequence[Any]]],
    site: Site,
    *,
    root: str,
    off_hours: frozenset[str] = frozenset(),
    attention: frozenset[str] | None = None,
) -> ChangeTable:
    """The table of these audit records (SHOWN_COLUMNS rows, shown in the order given) with
    their field changes (per event id: position, path, old_present, old JSON text,
    new_present, new JSON text); `off_hours`: the records made outside business hours;
    `attention`: the records needs_attention lists (None: not known for this table). A change set's members (change_sets) are
    drawn inside their leader's row, not as rows of their own."""
    shown = site.shown_values
    people: dict[tuple[str, str], int] = {}
    integrations: dict[str, int] = {}
    flows: dict[tuple[str, str], int] = {}
    paths: dict[str, str] = {}
    events = list(events)
    joins = change_sets(events)
    rows, by_event = [], {}
    for (event_id, time, rtype, rid, resource_name, flow_ids, flow_names, integration, source, event, user, email,
         new_since) in events:  # fmt: skip
        person = people.setdefault((_name(user), email or ""), len(people))
        rows.append([
            event_id, time, person, source or "", event or "", rtype or "",
            _name(resource_name or rid or ""),
            integrations.setdefault(_name(integration), len(integrations)),
            [flows.setdefault((f, _name(n or f)), len(flows)) for f, n in zip(flow_ids, flow_names, strict=True)],
            [entry for change in changes.get(event_id, ()) for entry in _fields(change, site, shown, time)],
            1 if new_since else 0,
            1 if event_id in off_hours else 0,
            1 if attention and event_id in attention else 0,
            [],  # the change set's other records (rows of this shape)
        ])  # fmt: skip
        by_event[event_id] = rows[-1]
        for change in rows[-1][9]:
            if change[0] not in paths and plain_path(change[0]) != change[0]:
                paths[change[0]] = plain_path(change[0])
    shown_rows = []
    for row in rows:
        leader = by_event.get(joins.get(row[0], ""))
        if leader is None:
            shown_rows.append(row)
            continue
        leader[13].append(row)
        leader[10], leader[11], leader[12] = (max(leader[i], row[i]) for i in (10, 11, 12))
    payload = {
        "people": [list(person) for person in people],
        "integrations": list(integrations),
        "flows": [[name, flow_href(flow_id, root)] for flow_id, name in flows],
        "paths": paths,  # field paths in plain words (flowaudit.documents.plain_words), by raw path
        "rows": shown_rows,
    }
    return ChangeTable(table_id, len(shown_rows), script_json(payload), attention is not None)


def _name(text: str | None) -> str:
    return cap_text(text or "", MAX_NAME_CHARS)


def _fields(change: Sequence[Any], site: Site, shown: dict[Any, Any], time: str) -> list[list[Any]]:
    """A field change as the entries a page shows (flowaudit.report.field_diff): a list or
    object value as its keyed entries (steps named as they were called at `time`), a long
    string as its changed lines, else as before/after."""
    _position, path, old_present, old_text, new_present, new_text = change
    path = path or ""
    if not (old_present and new_present and _maybe_compound(old_text, new_text)):
        return [_field(path, old_present, old_text, new_present, new_text, site.pattern, shown)]
    key = ("entries", path, old_text, new_text)
    entries = shown.get(key, _UNSEEN)
    if entries is _UNSEEN:
        if len(shown) >= MAX_REMEMBERED_VALUES:
            shown.clear()
        # Nesting below MAX_DEPTH is summarised first: the diff walks what a page can show.
        found = field_entries(path, load_shown_json(old_text), load_shown_json(new_text), site.pattern)
        entries = shown[key] = [entry_data(entry) for entry in found]
    if site.step_names is None:
        return entries
    names = site.step_names
    return [[named_path(e[0], lambda t, i: names.name_at(t, i, time)), *e[1:]] for e in entries]


def _maybe_compound(old: str | None, new: str | None) -> bool:
    """Whether two values' JSON texts may be lists or objects, or strings one of which is long
    (a cheap look; field_diff decides)."""
    if not old or not new:
        return False
    if old[0] in "{[" and new[0] in "{[":
        return True
    return old[0] == new[0] == '"' and any(len(t) > LONG_STRING_CHARS or "\\n" in t for t in (old, new))


def _field(path: str, old_present: bool, old_text: str | None, new_present: bool, new_text: str | None,
           pattern: str, shown: dict[Any, Any]) -> list[Any]:  # fmt: skip
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
