"""render_reports: the whole report set from a database, written per run with a stable
`latest/` copy. No network; the database is only read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.config import Settings
from flowaudit.errors import DatabaseError
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.migrations import check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.logs import get_logger
from flowaudit.report.account_pages import render_account_pages
from flowaudit.report.baselines import find_baseline
from flowaudit.report.contexts import Link, Page
from flowaudit.report.dataset import ReportData, flow_file_name, load_report_data
from flowaudit.report.drift_page import Baseline, build_drift_page, split_drift_page
from flowaudit.report.environment import make_environment
from flowaudit.report.flow_page import build_flow_page
from flowaudit.report.output import dated_folders, prune_old_folders, write_report_folder
from flowaudit.report.pages import (
    build_history_page,
    build_index,
    build_recent_changes,
    plan_history_pages,
    recent_rows,
)
from flowaudit.report.queries import report_frame
from flowaudit.report.reuse import (
    MANIFEST,
    PreviousReport,
    find_previous_report,
    page_key,
    rendering_salt,
)
from flowaudit.report.script_pages import flow_script_keys, flow_scripts, load_script_data

log = get_logger(__name__)

NAV = (("Overview", "index.html"), ("Recent changes", "changes.html"), ("Drift", "drift.html"),
       ("Access", "access.html"), ("Scripts and resources", "resources.html"))  # fmt: skip


@dataclass
class RenderedPages:
    """A report's pages: rendered text by path, pages carried over from the previous
    report (path -> the earlier file), and every reusable page's key (written as pages.json)."""

    files: dict[str, str] = field(default_factory=dict)
    reused: dict[str, Path] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


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
    """Render every report page from the database; return the path of the run's index.html.

    Pages whose inputs did not change since the newest earlier report in out_dir are
    carried over from it instead of rendered again."""
    if isinstance(con_or_path, str | Path):
        con = connect(con_or_path, read_only=True)
        try:
            return render_reports(con, out_dir, settings, since=since, baseline=baseline,
                                  stale_since=stale_since, now=now)
        except duckdb.Error as exc:  # a damaged file fails its first real read, not its opening
            raise DatabaseError(describe_duckdb_error(con_or_path, exc)) from None
        finally:
            con.close()
    con = con_or_path
    check_schema(con)  # a database from a newer flowaudit is refused, not misread
    check_public_schema(con)  # and so is SQL stored in the file that this flowaudit did not write
    now, since = as_utc(now) or datetime.now(UTC), as_utc(since)
    out_dir = Path(out_dir)
    previous = find_previous_report(dated_folders(out_dir))
    pages = render_pages(con, settings, since=since, baseline=baseline, stale_since=stale_since, now=now,
                         previous=previous)
    files = {**pages.files, MANIFEST: json.dumps(pages.keys, indent=0, sort_keys=True)}
    folder = write_report_folder(out_dir, files, now, pages.reused)
    removed = prune_old_folders(out_dir, settings.retention_days, now)
    if removed:
        log.info("removed %d report folder(s) older than %d days", len(removed), settings.retention_days)
    log.info("reports written to %s (%d pages rendered, %d unchanged pages carried over)",
             folder, len(pages.files), len(pages.reused))
    return folder / "index.html"


def render_pages(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    since: datetime | None,
    baseline: str | None,
    stale_since: datetime | None,
    now: datetime,
    previous: PreviousReport | None = None,
) -> RenderedPages:
    """Every page, rendered or (when its key is unchanged) carried over from `previous`."""
    previous = previous or PreviousReport()
    env = make_environment(settings.templates_dir)
    data = load_report_data(con, settings.account)
    pattern, volatile = settings.secret_field_pattern, tuple(settings.volatile_fields)
    stale_since, stale_reason = _staleness(data, stale_since)
    salt = rendering_salt(env, settings.account, pattern, volatile, stale_since, stale_reason, NAV)

    def page(title: str, root: str = "", reusable: bool = False) -> Page:
        return Page(
            title=title, account=settings.account, generated_at=now, data_as_of=data.data_as_of,
            stale_since=stale_since, stale_reason=stale_reason, root=root,
            nav=tuple(Link(text, root + href) for text, href in NAV), reusable=reusable,
        )

    def render(template: str, ctx: Any) -> str:
        return env.get_template(template).render(ctx=ctx)

    out = RenderedPages()
    history = plan_history_pages(data)
    history_links = tuple(Link(h.title, f"history/{h.file_name}") for h in history)
    scripts = load_script_data(con, settings.account)
    flow_keys = _flow_page_keys(con, data, salt, flow_script_keys(scripts))

    # Decide first which pages must be rendered, so that only their records' field
    # changes are read into Python.
    history_todo = []
    open_month = f"{data.data_as_of or now:%Y-%m}"
    for plan in history:
        siblings = tuple(Link(h.title, h.file_name) for h in history if h.month == plan.month and h is not plan)
        relative = f"history/{plan.file_name}"
        # A closed month's page is an archive of its records: names and flow links stay as
        # they were when it was first rendered after the month closed (the page says when).
        # Keying it on today's names would re-render every month after any rename.
        shown = plan.rows["label" if plan.month >= open_month else "event_id"].to_list()
        key = page_key(salt, relative, plan.title, [s.text for s in siblings], shown)
        if not _carry_over(out, previous, relative, key):
            history_todo.append((plan, siblings))
    flows_todo = [fid for fid in data.flow_ids() if not _carry_over(out, previous, _flow_path(fid), flow_keys[fid])]

    recent = recent_rows(data, since)
    needed = set(recent["event_id"].to_list())
    for plan, _siblings in history_todo:
        needed.update(plan.rows["event_id"].to_list())
    for flow_id in flows_todo:
        needed.update(data.events_of_flow(flow_id)["event_id"].to_list())
    data.load_changes(needed)

    for plan, siblings in history_todo:
        ctx = build_history_page(data, page(plan.title, "../", reusable=True), plan, pattern,
                                 (*siblings, Link("all periods", "../index.html#links")))
        out.files[f"history/{plan.file_name}"] = render("changes.html", ctx)

    out.files["changes.html"] = render(
        "changes.html", build_recent_changes(data, page("Recent changes"), since, pattern, history_links)
    )
    drift = build_drift_page(
        con, data, page("Configuration drift"), _baseline(con, data, settings.account, baseline),
        volatile_fields=volatile, pattern=pattern,
    )
    for name, part in split_drift_page(drift).items():
        out.files[name] = render("drift.html", part)

    documents = report_frame(con, "flow_version_documents", account=settings.account, flow_ids=flows_todo)
    by_flow = {key[0]: frame.to_dicts() for key, frame in documents.group_by("flow_id")} if documents.height else {}
    for flow_id in flows_todo:
        ctx = build_flow_page(
            data, page(f"Flow {data.name_of('flow', flow_id)}", "../", reusable=True), flow_id,
            by_flow.get(flow_id, []), pattern=pattern, volatile_fields=volatile,
        )
        ctx = replace(ctx, scripts=flow_scripts(data, scripts, flow_id, ctx.page.root))
        out.files[_flow_path(flow_id)] = render("flow.html", ctx)
    out.files.update(render_account_pages(con, data, scripts, page, render, pattern=pattern,
                                          volatile_fields=volatile))  # fmt: skip

    summary = drift.summary if drift.baseline_at is not None else None
    index = build_index(con, data, page("Overview"), summary, history_links)
    out.files["index.html"] = render("index.html", index)
    return out


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC time (a naive one is read as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _flow_path(flow_id: str) -> str:
    return f"flows/{flow_file_name(flow_id)}"


def _carry_over(out: RenderedPages, previous: PreviousReport, relative: str, key: str) -> bool:
    out.keys[relative] = key
    earlier = previous.reusable(relative, key)
    if earlier is not None:
        out.reused[relative] = earlier
    return earlier is not None


def _flow_page_keys(
    con: duckdb.DuckDBPyConnection, data: ReportData, salt: str, script_keys: dict[str, list[str]]
) -> dict[str, str]:
    """Each flow page's key: its versions, its records with the names printed beside them,
    its name, integration, the names of the steps it ever used and its scripts' versions."""
    versions: dict[str, list] = {}
    for row in report_frame(con, "flow_version_keys", account=data.account).iter_rows():
        versions.setdefault(row[0], []).append(row[1:])
    steps: dict[str, list[str]] = {}
    for (rtype, rid), flows in data.flows_of.items():
        for flow_id in flows:
            steps.setdefault(flow_id, []).append(f"{rtype}/{rid}/{data.name_of(rtype, rid)}")
    keys = {}
    for flow_id in data.flow_ids():
        labels = data.events_of_flow(flow_id)["label"].sort().to_list()
        keys[flow_id] = page_key(
            salt, flow_id, data.name_of("flow", flow_id), data.integration_of("flow", flow_id),
            sorted(steps.get(flow_id, [])), versions.get(flow_id, []), labels,
            script_keys.get(flow_id, []),
        )
    return keys


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


__all__ = ["RenderedPages", "render_pages", "render_reports"]
