"""Turning database rows into the small view objects templates show: values (masked,
pretty, marked absent), change events, filter options and bar charts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flowaudit.report.contexts import (
    ABSENT,
    Bar,
    BarChart,
    ChangeEvent,
    FieldChange,
    FilterOptions,
    Link,
    Value,
)
from flowaudit.report.dataset import ReportData, flow_file_name
from flowaudit.report.filters import pretty_json
from flowaudit.report.masking import (
    cap_text,
    display_document,
    display_field_value,
    load_shown_json,
)
from flowaudit.transform.diff import MISSING, Change

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


def _json_or_missing(text: str | None, present: bool) -> Any:
    if not present:
        return MISSING
    return None if text is None else load_shown_json(text)


def audit_field_changes(rows: Iterable[dict[str, Any]], pattern: str) -> tuple[FieldChange, ...]:
    """An audit record's fieldChanges as readable before/after rows."""
    result = []
    for row in rows:
        path = row["field_path"] or ""
        old = _json_or_missing(row["old_value"], row["old_present"])
        new = _json_or_missing(row["new_value"], row["new_present"])
        kind = "added" if old is MISSING else "removed" if new is MISSING else "modified"
        result.append(
            FieldChange(path, kind, shown_value(old, path, pattern), shown_value(new, path, pattern))
        )
    return tuple(result)


def diff_field_changes(
    changes: Iterable[Change], pattern: str, labels: Sequence[str] = ()
) -> tuple[FieldChange, ...]:
    """Document-diff changes as readable before/after rows (with reconciliation labels)."""
    result = []
    for index, change in enumerate(changes):
        if change.kind == "moved":
            old, new = Value(f"position {change.old + 1}"), Value(f"position {change.new + 1}")
        else:
            old = shown_value(change.old, change.path, pattern)
            new = shown_value(change.new, change.path, pattern)
        label = labels[index] if index < len(labels) else ""
        result.append(FieldChange(change.path, change.kind, old, new, label))
    return tuple(result)


def flow_link(data: ReportData, flow_id: str, root: str) -> Link:
    return Link(data.name_of("flow", flow_id), f"{root}flows/{flow_file_name(flow_id)}")


def change_events(
    rows: Iterable[dict[str, Any]],
    data: ReportData,
    *,
    pattern: str,
    root: str,
    new_after: datetime | None = None,
) -> tuple[ChangeEvent, ...]:
    """Audit-event rows as change-history entries, newest first."""
    events = []
    for row in rows:
        rtype, rid = row["resource_type"] or "", row["resource_id"] or ""
        flow_ids = list(row["flow_ids"] or ())
        events.append(
            ChangeEvent(
                event_id=row["event_id"],
                time=row["time"],
                user=row["user_name"],
                user_email=row["user_email"],
                source=row["source"] or "",
                event=row["event"] or "",
                resource_type=rtype,
                resource_id=rid,
                resource_name=row["resource_name"] or data.name_of(rtype, rid) if rid else "",
                integration=data.integration_of(rtype, rid, flow_ids) if rid else "",
                flows=tuple(flow_link(data, f, root) for f in flow_ids),
                fields=_fields_of(data, row["event_id"], pattern),
                new_since_last_run=bool(new_after and row["time"] > new_after),
            )
        )
    events.sort(key=lambda e: (e.time, e.event_id), reverse=True)
    return tuple(events)


def _fields_of(data: ReportData, event_id: str, pattern: str) -> tuple[FieldChange, ...]:
    # An event shows on up to three pages (recent, month, each flow): format it once.
    cached = data.shown_fields.get(event_id)
    if cached is None:
        cached = audit_field_changes(data.changes_of(event_id), pattern)
        data.shown_fields[event_id] = cached
    return cached


def filter_options(events: Sequence[ChangeEvent]) -> FilterOptions:
    """The distinct values each in-page filter offers."""

    def distinct(values: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({v for v in values if v}, key=str.lower))

    return FilterOptions(
        people=distinct(e.user for e in events),
        integrations=distinct(e.integration for e in events),
        flows=distinct(link.text for e in events for link in e.flows),
        sources=distinct(e.source for e in events),
        events=distinct(e.event for e in events),
    )


def bar_chart(
    title: str, days: Sequence[tuple[Any, int]], *, width: int = 600, height: int = 120
) -> BarChart:
    """A bar per day, scaled to the busiest day."""
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
    )
