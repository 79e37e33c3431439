"""Building the index and change-history pages from the loaded report data.

Large accounts stay readable: history pages are split by month and capped in size, and
every page says what it left out (flow pages: flowaudit.report.flow_page)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl

from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.contexts import (
    ChangesPage,
    DriftSummary,
    IndexPage,
    Link,
    Page,
    Ranked,
    RunSummary,
)
from flowaudit.report.dataset import ReportData, flow_file_name
from flowaudit.report.queries import report_frame
from flowaudit.report.views import bar_chart, change_events, filter_options, flow_link

MAX_EVENTS_PER_PAGE = 1000



@dataclass(frozen=True)
class HistoryPage:
    """One archive page of the change history: a month, or part of one."""

    file_name: str
    title: str
    month: str
    rows: pl.DataFrame  # newest first


def run_summary(row: dict | None) -> RunSummary | None:
    if row is None:
        return None
    return RunSummary(
        row["run_id"], row["status"], row["mode"], row["started_at"], row["finished_at"],
        row["observed_at"], row["error"] or "",
    )


_BEGINNING = datetime.min.replace(tzinfo=UTC)  # a full run's oldest window starts nowhere


def audit_gaps(con: duckdb.DuckDBPyConnection, data: ReportData) -> tuple[tuple[str, ...], datetime | None]:
    """Periods of audit history not known complete, and since when it is known complete.

    Only complete windows of the whole account's /audit read by succeeded runs count
    (queries/reports/audit_coverage.sql); the history is claimed up to the newest succeeded
    run's audit end, so a stretch only a per-flow or a capped run read is named."""
    claimed = [read_until(r) for r in data.successful_runs if r["audit_to"] is not None]
    if not claimed:
        return (), None
    until = max(claimed)
    # A full run reads the audit log from its beginning (window_from NULL).
    windows = [
        (begin or _BEGINNING, end)
        for begin, end in report_frame(con, "audit_coverage", account=data.account).iter_rows()
    ]
    if not windows:
        return (f"everything up to {until:%Y-%m-%d %H:%M} UTC (no run read the account's whole audit log)",), None
    gaps, (start, covered_to) = [], windows[0]
    for begin, end in windows[1:]:
        if begin > covered_to:
            gaps.append(_period(covered_to, begin))
        covered_to = max(covered_to, end)
    if covered_to < until:
        gaps.append(_period(covered_to, until))
    if start == _BEGINNING:
        start = data.events["time"].min() if data.events.height else None
    return tuple(gaps), start


def read_until(run: dict) -> datetime:
    """How far a run's audit reading can vouch for: its end, but for a run loaded before
    flowaudit bounded the observation time by the local clock (no `clock` recorded), no
    later than the run's own finish (queries/reports/audit_coverage.sql does the same)."""
    if run.get("clock") is None and run.get("finished_at") is not None:
        return min(run["audit_to"], run["finished_at"])
    return run["audit_to"]


def clock_notes(data: ReportData) -> tuple[str, ...]:
    """What the newest successful run says about clocks: a server clock far ahead (its
    observation time bounded) and a stored watermark it did not trust."""
    runs = data.successful_runs
    if not runs:
        return ()
    run, notes = runs[0], []
    clock = _json_object(run.get("clock"))
    if clock.get("bounded"):
        notes.append(
            f"Run #{run['run_id']}: the API's clock ran {clock.get('skew_seconds')} s ahead of this "
            f"machine's (its Date said {clock.get('server_last')}); the run's observation time was "
            f"held to {run['observed_at']:%Y-%m-%d %H:%M:%S} UTC (clock_tolerance_seconds)."
        )
    if run.get("watermark_distrusted") is not None:
        start = run["audit_from"]
        notes.append(
            f"Run #{run['run_id']} did not trust the stored audit watermark "
            f"{run['watermark_distrusted']:%Y-%m-%d %H:%M:%S} UTC (later than this machine's clock "
            "allows) and re-read the audit log "
            + ("from the beginning." if start is None else f"from {start:%Y-%m-%d %H:%M:%S} UTC.")
        )
    return tuple(notes)


def _json_object(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _period(begin: datetime, end: datetime) -> str:
    return f"{begin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


def build_index(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    page: Page,
    drift: DriftSummary | None,
    history_links: tuple[Link, ...],
) -> IndexPage:
    as_of = data.data_as_of or datetime.now(UTC)
    per_type = dict(report_frame(con, "current_counts", account=data.account).iter_rows())
    # The types a run can do without are counted when the account has some (their listing
    # may not be readable with the token: a 0 would claim more than is known).
    counts = tuple(Ranked(t.plural_title, int(per_type.get(t.name, 0))) for t in RESOURCE_TYPES
                   if not t.optional or per_type.get(t.name))  # fmt: skip
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
    gaps, covered_since = audit_gaps(con, data)
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
        clock_notes=clock_notes(data),
        history_links=history_links,
        flow_links=tuple(flow_link(data, fid, "") for fid in data.flow_ids()),
    )


def recent_window(data: ReportData, since: datetime | None) -> tuple[datetime | None, str]:
    """Start of the default change-history page and how to describe it."""
    as_of = data.data_as_of or datetime.now(UTC)
    if since is not None:
        return since, f"Changes since {since:%Y-%m-%d %H:%M} UTC"
    week = as_of - timedelta(days=7)
    previous = data.previous_success_at
    start = min(week, previous) if previous else week
    return start, f"Changes since {start:%Y-%m-%d %H:%M} UTC (the last 7 days, and since the previous run)"


def recent_rows(data: ReportData, since: datetime | None) -> pl.DataFrame:
    """The records the recent-changes page shows, newest first (at most MAX_EVENTS_PER_PAGE)."""
    start, _period = recent_window(data, since)
    rows = data.events if start is None else data.events.filter(pl.col("time") > start)
    return rows.sort("time", "event_id", descending=True).head(MAX_EVENTS_PER_PAGE)


def build_recent_changes(
    data: ReportData, page: Page, since: datetime | None, pattern: str, archive: tuple[Link, ...]
) -> ChangesPage:
    start, period = recent_window(data, since)
    in_period = data.events.height if start is None else data.events.filter(pl.col("time") > start).height
    rows = recent_rows(data, since)
    left_out = ""
    if in_period > rows.height:
        left_out = (
            f"This page shows the newest {rows.height} of {in_period} changes in the period; "
            "the older ones are on the monthly history pages linked below."
        )
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
        rows = frame.drop("month").sort("time", "event_id", descending=True)
        parts = [rows.slice(i, MAX_EVENTS_PER_PAGE) for i in range(0, rows.height, MAX_EVENTS_PER_PAGE)]
        for number, part in enumerate(parts, start=1):
            suffix = "" if len(parts) == 1 else f"-{number}"
            title = f"Changes in {month}" + ("" if len(parts) == 1 else f" (part {number} of {len(parts)})")
            pages.append(HistoryPage(f"{month}{suffix}.html", title, month, part))
    return pages


def build_history_page(
    data: ReportData, page: Page, plan: HistoryPage, pattern: str, siblings: tuple[Link, ...]
) -> ChangesPage:
    events = change_events(plan.rows.iter_rows(named=True), data, pattern=pattern, root=page.root)
    return ChangesPage(page, plan.title, None, None, None, events, filter_options(events), "", siblings)
