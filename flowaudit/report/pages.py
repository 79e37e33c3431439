"""Building the index, change-history and per-flow pages from the loaded report data.

Large accounts stay readable: history pages are split by month and capped in size, flow
pages keep the newest changes and versions, and every page says what it left out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import polars as pl

from flowaudit.report.contexts import (
    ChangesPage,
    DriftSummary,
    FlowPage,
    FlowVersion,
    IndexPage,
    Link,
    Page,
    Ranked,
    RunSummary,
    Step,
)
from flowaudit.report.dataset import ReportData, flow_file_name
from flowaudit.report.queries import report_frame
from flowaudit.report.views import (
    bar_chart,
    change_events,
    diff_field_changes,
    filter_options,
    flow_link,
    shown_document,
)
from flowaudit.transform.diff import MISSING, diff_documents, step_resources
from flowaudit.transform.replay import AuditChange, FieldChange, Version, replay_backwards

MAX_EVENTS_PER_PAGE = 1000
MAX_FLOW_EVENTS = 300
MAX_FLOW_VERSIONS = 40
RESOURCE_TYPES = ("integration", "flow", "export", "import", "connection")


@dataclass(frozen=True)
class HistoryPage:
    """One archive page of the change history: a month, or part of one."""

    file_name: str
    title: str
    rows: list[dict]


def run_summary(row: dict | None) -> RunSummary | None:
    if row is None:
        return None
    return RunSummary(
        row["run_id"], row["status"], row["mode"], row["started_at"], row["finished_at"],
        row["observed_at"], row["error"] or "",
    )


def audit_gaps(data: ReportData) -> tuple[tuple[str, ...], datetime | None]:
    """Periods no successful run's audit window covered, and since when coverage is whole."""
    runs = [r for r in data.successful_runs if r["audit_to"] is not None]
    # A full run reads the audit log from its beginning (audit_from NULL).
    windows = sorted(((r["audit_from"] or datetime.min), r["audit_to"]) for r in runs)
    if not windows:
        return (), None
    gaps, covered_to = [], windows[0][1]
    start = windows[0][0]
    for begin, end in windows[1:]:
        if begin > covered_to:
            gaps.append(f"{covered_to:%Y-%m-%d %H:%M} to {begin:%Y-%m-%d %H:%M} UTC")
        covered_to = max(covered_to, end)
    if start == datetime.min:
        start = data.events["time"].min() if data.events.height else None
    return tuple(gaps), start


def build_index(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    page: Page,
    drift: DriftSummary | None,
    history_links: tuple[Link, ...],
) -> IndexPage:
    as_of = data.data_as_of or datetime.now()
    current = report_frame(con, "configuration_as_of", account=data.account, at=None)
    per_type = dict(current.group_by("resource_type").len().iter_rows())
    counts = tuple(Ranked(f"{t}s", int(per_type.get(t, 0))) for t in RESOURCE_TYPES)
    counts += (Ranked("audit records", data.events.height),)
    charts = []
    for days in (30, 90):
        frame = report_frame(
            con, "changes_per_day", account=data.account, **{"from": as_of - timedelta(days=days - 1), "to": as_of}
        )
        charts.append(bar_chart(f"Last {days} days", list(frame.iter_rows())))
    window = {"account": data.account, "from": as_of - timedelta(days=90), "to": as_of}
    top_flows = tuple(
        Ranked(data.name_of("flow", fid), int(n), f"flows/{flow_file_name(fid)}")
        for fid, n in report_frame(con, "top_flows", limit=10, **window).iter_rows()
    )
    top_people = tuple(Ranked(p, int(n)) for p, n in report_frame(con, "top_people", limit=10, **window).iter_rows())
    gaps, covered_since = audit_gaps(data)
    return IndexPage(
        page=page,
        last_run=run_summary(data.runs[0] if data.runs else None),
        last_success=run_summary(data.successful_runs[0] if data.successful_runs else None),
        counts=counts,
        charts=tuple(charts),
        top_flows=top_flows,
        top_people=top_people,
        drift=drift,
        audit_gaps=gaps,
        audit_covered_since=covered_since,
        history_links=history_links,
        flow_links=tuple(flow_link(data, fid, "") for fid in data.flow_ids()),
    )


def recent_window(data: ReportData, since: datetime | None) -> tuple[datetime | None, str]:
    """Start of the default change-history page and how to describe it."""
    as_of = data.data_as_of or datetime.now()
    if since is not None:
        return since, f"Changes since {since:%Y-%m-%d %H:%M} UTC"
    week = as_of - timedelta(days=7)
    previous = data.previous_success_at
    start = min(week, previous) if previous else week
    return start, f"Changes since {start:%Y-%m-%d %H:%M} UTC (the last 7 days, and since the previous run)"


def build_recent_changes(
    data: ReportData, page: Page, since: datetime | None, pattern: str, archive: tuple[Link, ...]
) -> ChangesPage:
    start, period = recent_window(data, since)
    rows = data.events if start is None else data.events.filter(pl.col("time") > start)
    rows = rows.sort("time", "event_id", descending=True)
    left_out = ""
    if rows.height > MAX_EVENTS_PER_PAGE:
        left_out = (
            f"This page shows the newest {MAX_EVENTS_PER_PAGE} of {rows.height} changes in the period; "
            "the older ones are on the monthly history pages linked below."
        )
        rows = rows.head(MAX_EVENTS_PER_PAGE)
    events = change_events(
        rows.iter_rows(named=True), data, pattern=pattern, root=page.root, new_after=data.previous_success_at
    )
    return ChangesPage(
        page, period, start, data.data_as_of, data.previous_success_at, events, filter_options(events),
        left_out, archive,
    )


def plan_history_pages(data: ReportData) -> list[HistoryPage]:
    """Monthly archive pages, split into parts of at most MAX_EVENTS_PER_PAGE changes."""
    if data.events.height == 0:
        return []
    months = data.events.with_columns(pl.col("time").dt.strftime("%Y-%m").alias("month"))
    pages = []
    for (month,), frame in sorted(months.group_by("month"), key=lambda item: item[0][0], reverse=True):
        rows = frame.sort("time", "event_id", descending=True).to_dicts()
        parts = [rows[i : i + MAX_EVENTS_PER_PAGE] for i in range(0, len(rows), MAX_EVENTS_PER_PAGE)]
        for number, part in enumerate(parts, start=1):
            suffix = "" if len(parts) == 1 else f"-{number}"
            title = f"Changes in {month}" + ("" if len(parts) == 1 else f" (part {number} of {len(parts)})")
            pages.append(HistoryPage(f"{month}{suffix}.html", title, part))
    return pages


def build_history_page(
    data: ReportData, page: Page, plan: HistoryPage, pattern: str, siblings: tuple[Link, ...]
) -> ChangesPage:
    events = change_events(plan.rows, data, pattern=pattern, root=page.root)
    return ChangesPage(page, plan.title, None, None, None, events, filter_options(events), "", siblings)


def flow_versions(
    flow_id: str, stored: list[dict], data: ReportData
) -> list[Version]:
    """A flow's versions, oldest first: stored ones, plus audit replay before the first
    observation when the store holds no reconstructed versions."""
    versions = [
        Version(r["valid_from"], r["valid_to"], json.loads(r["doc"]), r["origin"]) for r in stored
    ]
    if not versions or any(v.origin == "reconstructed" for v in versions):
        return versions
    events = data.events_of_flow(flow_id).filter(pl.col("resource_type") == "flow")
    records = []
    for row in events.iter_rows(named=True):
        changes = tuple(
            FieldChange(
                c["field_path"] or "",
                json.loads(c["old_value"]) if c["old_present"] and c["old_value"] is not None
                else (None if c["old_present"] else MISSING),
            )
            for c in data.field_changes.get(row["event_id"], ())
        )
        records.append(AuditChange(row["event_id"], row["time"], row["event"] or "", changes))
    return replay_backwards(versions[0], records) + versions


def build_flow_page(
    data: ReportData, page: Page, flow_id: str, stored_versions: list[dict], *, pattern: str, volatile_fields: tuple[str, ...]
) -> FlowPage:
    versions = flow_versions(flow_id, stored_versions, data)
    current = versions[-1].doc if versions else None
    deleted = bool(versions) and versions[-1].valid_to is not None
    left_out = []
    first_shown = max(len(versions) - MAX_FLOW_VERSIONS, 0)
    if first_shown:
        left_out.append(f"the {first_shown} oldest of {len(versions)} versions are not shown")
    timeline = []
    for number in range(len(versions), first_shown, -1):
        version = versions[number - 1]
        previous = versions[number - 2].doc if number > 1 else None
        changes = (
            diff_documents(previous, version.doc, volatile_fields=volatile_fields).changes
            if number > 1 else ()
        )
        timeline.append(
            FlowVersion(number, version.valid_from, version.valid_to, version.origin,
                        shown_document(version.doc, pattern), diff_field_changes(changes, pattern))
        )
    rows = data.events_of_flow(flow_id).sort("time", "event_id", descending=True)
    if rows.height > MAX_FLOW_EVENTS:
        left_out.append(
            f"the {rows.height - MAX_FLOW_EVENTS} oldest of {rows.height} changes are on the monthly history pages"
        )
        rows = rows.head(MAX_FLOW_EVENTS)
    events = change_events(rows.iter_rows(named=True), data, pattern=pattern, root=page.root)
    doc = current or {}
    return FlowPage(
        page=page,
        flow_id=flow_id,
        name=data.name_of("flow", flow_id),
        integration=data.integration_of("flow", flow_id),
        disabled=bool(doc.get("disabled")),
        schedule=str(doc.get("schedule") or ""),
        deleted=deleted,
        steps=_steps(doc, data),
        config=shown_document(current, pattern),
        versions=tuple(timeline),
        events=events,
        filters=filter_options(events),
        left_out=("On this page " + "; ".join(left_out) + ".") if left_out else "",
    )


def _steps(flow: dict, data: ReportData) -> tuple[Step, ...]:
    generators = {str(s.get("_exportId")) for s in flow.get("pageGenerators") or [] if isinstance(s, dict)}
    steps = []
    for rtype, rid in step_resources(flow):
        role = "source" if rtype == "export" and rid in generators else (
            "lookup" if rtype == "export" else "destination"
        )
        steps.append(Step(role, rtype, rid, data.name_of(rtype, rid), _where(flow, rid)))
    return tuple(steps)


def _where(flow: dict, resource_id: str) -> str:
    for key in ("pageGenerators", "pageProcessors"):
        for step in flow.get(key) or []:
            if isinstance(step, dict) and resource_id in (step.get("_exportId"), step.get("_importId")):
                return key
    return "routers" if flow.get("routers") else ""
