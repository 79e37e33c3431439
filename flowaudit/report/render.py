"""render_reports: the whole report set from a database, written per run with a stable
`latest/` copy. No network; the database is only read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.config import Settings
from flowaudit.load.db import connect
from flowaudit.logs import get_logger
from flowaudit.report.baselines import find_baseline
from flowaudit.report.contexts import Link, Page
from flowaudit.report.dataset import ReportData, flow_file_name, load_report_data
from flowaudit.report.drift_page import Baseline, build_drift_page
from flowaudit.report.environment import make_environment
from flowaudit.report.output import prune_old_folders, write_report_folder
from flowaudit.report.pages import (
    build_flow_page,
    build_history_page,
    build_index,
    build_recent_changes,
    plan_history_pages,
)
from flowaudit.report.queries import report_frame

log = get_logger(__name__)

NAV = (("Overview", "index.html"), ("Recent changes", "changes.html"), ("Drift", "drift.html"))


def render_reports(
    con_or_path: duckdb.DuckDBPyConnection | Path | str,
    out_dir: Path,
    settings: Settings,
    *,
    since: datetime | None = None,
    baseline: str | None = None,
    stale_since: datetime | None = None,
    now: datetime | None = None,
) -> Path:
    """Render every report page from the database; return the path of the run's index.html."""
    if isinstance(con_or_path, str | Path):
        con = connect(con_or_path, read_only=True)
        try:
            return render_reports(con, out_dir, settings, since=since, baseline=baseline,
                                  stale_since=stale_since, now=now)
        finally:
            con.close()
    con = con_or_path
    now = now or datetime.now(UTC).replace(tzinfo=None)
    files = render_pages(con, settings, since=since, baseline=baseline, stale_since=stale_since, now=now)
    folder = write_report_folder(Path(out_dir), files, now)
    removed = prune_old_folders(Path(out_dir), settings.retention_days, now)
    if removed:
        log.info("removed %d report folder(s) older than %d days", len(removed), settings.retention_days)
    log.info("reports written to %s (%d pages)", folder, len(files))
    return folder / "index.html"


def render_pages(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    since: datetime | None,
    baseline: str | None,
    stale_since: datetime | None,
    now: datetime,
) -> dict[str, str]:
    """Every page's HTML by its path relative to the report folder."""
    env = make_environment(settings.templates_dir)
    data = load_report_data(con, settings.account)
    pattern, volatile = settings.secret_field_pattern, tuple(settings.volatile_fields)
    stale_since, stale_reason = _staleness(data, stale_since)

    def page(title: str, root: str = "") -> Page:
        return Page(
            title=title, account=settings.account, generated_at=now, data_as_of=data.data_as_of,
            stale_since=stale_since, stale_reason=stale_reason, root=root,
            nav=tuple(Link(text, root + href) for text, href in NAV),
        )

    def render(template: str, ctx: Any) -> str:
        return env.get_template(template).render(ctx=ctx)

    files: dict[str, str] = {}
    history = plan_history_pages(data)
    history_links = tuple(Link(h.title, f"history/{h.file_name}") for h in history)
    for plan in history:
        siblings = tuple(Link(h.title, h.file_name) for h in history if h is not plan)
        ctx = build_history_page(data, page(plan.title, "../"), plan, pattern, siblings)
        files[f"history/{plan.file_name}"] = render("changes.html", ctx)

    files["changes.html"] = render(
        "changes.html", build_recent_changes(data, page("Recent changes"), since, pattern, history_links)
    )
    drift = build_drift_page(
        con, data, page("Configuration drift"), _baseline(con, data, settings.account, baseline),
        volatile_fields=volatile, pattern=pattern,
    )
    files["drift.html"] = render("drift.html", drift)

    versions = report_frame(con, "resource_versions", account=settings.account, resource_type="flow")
    by_flow = {key[0]: frame.to_dicts() for key, frame in versions.group_by("resource_id")} if versions.height else {}
    for flow_id in data.flow_ids():
        ctx = build_flow_page(
            data, page(f"Flow {data.name_of('flow', flow_id)}", "../"), flow_id, by_flow.get(flow_id, []),
            pattern=pattern, volatile_fields=volatile,
        )
        files[f"flows/{flow_file_name(flow_id)}"] = render("flow.html", ctx)

    summary = drift.summary if drift.baseline_at is not None else None
    index = build_index(con, data, page("Overview"), summary, history_links)
    files["index.html"] = render("index.html", index)
    return files


def _staleness(data: ReportData, given: datetime | None) -> tuple[datetime | None, str]:
    """Stale when the caller says so, or when the newest run failed after the last success."""
    last = data.runs[0] if data.runs else None
    reason = (last["error"] or "") if last and last["status"] == "failed" else ""
    if given is not None:
        return given, reason
    if last is not None and last["status"] == "failed":
        return data.data_as_of or last["started_at"], reason
    return None, ""


def _baseline(con, data: ReportData, account: str, name: str | None) -> Baseline | None:
    if name is not None:
        pin = find_baseline(con, account, name)
        return Baseline(f"the pinned baseline “{pin.name}”", pin.as_of)
    previous = data.previous_success_at
    if previous is None:
        return None
    runs = data.successful_runs
    return Baseline(f"the previous successful run (#{runs[1]['run_id']})", previous)


__all__ = ["render_pages", "render_reports"]
