"""What a page shows of a value: configuration values masked, pretty-printed and within a
page's limits, document differences as before/after rows, links to flow pages, bar charts.
(Change-history tables are drawn from compact data instead: flowaudit.report.change_table.)"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flowaudit.report.contexts import ABSENT, Bar, BarChart, FieldChange, Link, Value
from flowaudit.report.field_diff import Names, long_string_lines, named_path
from flowaudit.report.filters import pretty_json
from flowaudit.report.masking import cap_text, display_document, display_field_value
from flowaudit.transform.diff import MISSING, Change

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# One value's whole text on a page (a document of many long strings), after each string's cap.
MAX_VALUE_CHARS = 200_000


def shown_value(value: Any, path: str, pattern: str) -> Value:
    """A JSON value as a reader sees it: masked if secret, pretty-printed, within the page's
    limits (flowaudit.report.masking); MISSING = absent."""
    if value is MISSING:
        return ABSENT
    return Value(cap_text(pretty_json(display_field_value(path, value, pattern)), MAX_VALUE_CHARS))


def shown_document(doc: dict[str, Any] | None, pattern: str) -> Value:
    """A whole resource document, masked and pretty-printed, within the page's limits."""
    if doc is None:
        return ABSENT
    return Value(cap_text(pretty_json(display_document(doc, pattern)), MAX_VALUE_CHARS))


def diff_field_changes(
    changes: Iterable[Change], pattern: str, labels: Sequence[str] = (), names: Names | None = None
) -> tuple[FieldChange, ...]:
    """Document-diff changes as readable before/after rows (with reconciliation labels): a
    long string's change as its changed lines, step selectors named (report/field_diff.py)."""
    result = []
    for index, change in enumerate(changes):
        path = named_path(change.path, names) if names else change.path
        label = labels[index] if index < len(labels) else ""
        if change.kind == "moved":
            old, new = Value(f"position {change.old + 1}"), Value(f"position {change.new + 1}")
        elif change.kind == "modified" and (lines := long_string_lines(change.path, change.old, change.new, pattern)):
            result.append(FieldChange(path, change.kind, ABSENT, ABSENT, label, lines))
            continue
        else:
            old = shown_value(change.old, change.path, pattern)
            new = shown_value(change.new, change.path, pattern)
        result.append(FieldChange(path, change.kind, old, new, label))
    return tuple(result)


def flow_file_name(flow_id: str) -> str:
    """A file name for a flow page that no id can turn into a path."""
    if _SAFE_ID.match(flow_id):
        return f"{flow_id}.html"
    return "flow-" + hashlib.sha256(flow_id.encode()).hexdigest()[:24] + ".html"


def script_file_name(script_id: str) -> str:
    """A file name for a script page that no id can turn into a path."""
    if _SAFE_ID.match(script_id):
        return f"{script_id}.html"
    return "script-" + hashlib.sha256(script_id.encode()).hexdigest()[:24] + ".html"


def flow_href(flow_id: str, root: str = "") -> str:
    return f"{root}flows/{flow_file_name(flow_id)}"


# Exports, imports and connections are listed on pages of their own type (a large account
# has tens of thousands), at most about this many rows a page: a resource's page is found
# from its id alone (a hash bucket), so a flow page links to it without reading the list.
RESOURCE_ROWS_PER_PAGE = 1_000


def resource_page(resource_type: str, resource_id: str, parts: int) -> str:
    """The page (relative to the report folder) that lists a resource of a type split into
    `parts` pages."""
    if parts <= 1:
        return f"resources/{resource_type}.html"
    bucket = int(hashlib.sha256(resource_id.encode()).hexdigest()[:8], 16) % parts
    return f"resources/{resource_type}-{bucket + 1}.html"


def resource_href(resource_type: str, resource_id: str, parts: int, root: str = "") -> str:
    """The row of an export, import or connection on its type's page."""
    return f"{root}{resource_page(resource_type, resource_id, parts)}#{resource_anchor(resource_type, resource_id)}"


def resource_anchor(resource_type: str, resource_id: str) -> str:
    """The id of a resource's row on the resources page (any id made safe for a fragment)."""
    if _SAFE_ID.match(resource_id):
        return f"{resource_type}-{resource_id}"
    return f"{resource_type}-" + hashlib.sha256(resource_id.encode()).hexdigest()[:24]


def flow_link(name: str, flow_id: str, root: str) -> Link:
    return Link(name, flow_href(flow_id, root))


def bar_chart(
    title: str,
    days: Sequence[tuple[Any, int]],
    *,
    width: int = 600,
    height: int = 120,
    last_night: tuple[Any, Any] | None = None,
    partial: Any = None,
) -> BarChart:
    """A bar per day, scaled to the busiest day; the days from last_night's first to its last
    (the days the newest run brought) and the partial day (the day still going on when the
    data was read) marked."""
    top = max((count for _, count in days), default=0)
    slot = width / max(len(days), 1)
    bars = []
    for index, (day, count) in enumerate(days):
        bar_height = 0.0 if top == 0 else height * count / top
        bars.append(
            Bar(
                x=index * slot + slot * 0.1,
                y=height - bar_height,
                width=max(slot * 0.8, 0.5),
                height=bar_height,
                label=str(day),
                value=int(count),
                marks=_marks(day, last_night, partial),
            )
        )
    return BarChart(
        title=title,
        width=width,
        height=height,
        bars=tuple(bars),
        max_value=int(top),
        first_label=str(days[0][0]) if days else "",
        last_label=str(days[-1][0]) if days else "",
        total=int(sum(count for _, count in days)),
        marked=any(bar.marks for bar in bars),
    )


def _marks(day: Any, last_night: tuple[Any, Any] | None, partial: Any) -> str:
    marks = []
    if last_night is not None and last_night[0] <= day <= last_night[1]:
        marks.append("last-night")
    if partial is not None and day == partial:
        marks.append("partial")
    return " ".join(marks)
