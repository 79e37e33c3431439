"""The flow pages (flows/<id>.html, one per flow the account ever had): current
configuration and steps, the version timeline with the fields each version changed, every
earlier configuration carried as compact patches (the page's script applies them on request;
no full document per version), the flow's newest changes, its exports' and imports'
records included, and the scripts it uses with the newest changes of their code
(flowaudit.report.script_pages). Carried over while nothing a page shows changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import duckdb

from flowaudit import jsonfast
from flowaudit.documents.steps import flow_steps
from flowaudit.documents.volatility import VolatileFields, volatile_fields_for
from flowaudit.report.change_pages import changes_from_json
from flowaudit.report.change_table import change_table, script_json, with_current_names
from flowaudit.report.contexts import FlowPage, FlowVersion, Link, Step
from flowaudit.report.display import flow_file_name, resource_href, shown_document
from flowaudit.report.flow_configs import (
    CURRENT,
    Found,
    RecentVersion,
    configs_data,
    connection_moments,
    read_found,
    recent_versions,
    step_moments,
)
from flowaudit.report.flow_health_part import health_chart, marks_json, redraw
from flowaudit.report.health import (
    HealthRow,
    chart_period,
    fetch_flow_health,
    health_key,
    steps_changes,
)
from flowaudit.report.masking import display_document, display_value, is_secret_key, load_shown_json
from flowaudit.report.queries import report_rows
from flowaudit.report.reuse import page_key
from flowaudit.report.schedule_words import schedule_in_words
from flowaudit.report.script_pages import (
    ScriptIndex,
    fetch_scripts,
    flow_script_key,
    flow_scripts,
    script_index,
)
from flowaudit.report.site import Site
from flowaudit.report.units import PagePart, PagePlan
from flowaudit.transform.patches import make_patch

MAX_FLOW_EVENTS = 40  # the newest changes a flow page lists; the older are on the history pages
MAX_CHANGED_PATHS = 12  # fields a version's line names; the rest are counted
# The newest versions the timeline writes into the page's HTML. The older ones are drawn by the
# page's script from the versions' data block (packed), where each carries its line's texts:
# on an account with a deep history they were most of a flow page's bytes and of its drawing.
TIMELINE_DRAWN = 30
# Flow pages whose data is read at once: at most this many flows, and no more versions than
# VERSIONS_PER_FETCH unless one flow has more. 500 flows of a large account (~54,000 versions)
# hold ~250 MB in Python (versions, records, steps' documents); 2,000 took a report over 1 GB.
FLOWS_PER_FETCH = 500
VERSIONS_PER_FETCH = 50_000


@dataclass(frozen=True)
class Version:
    """A version valid over [valid_from, valid_to) (ISO-8601 UTC); valid_to "" = current.
    doc: its document, read for the newest version only (and for every version of a flow
    whose patches were not kept); back: its stored patch back to the version before."""

    valid_from: str
    valid_to: str
    origin: str
    doc: Any = None
    back: list[list[Any]] | None = None
    user_name: str | None = None
    user_email: str | None = None
    source: str | None = None
    changed_after: str | None = None
    changed_before: str | None = None
    labels: list[str] | None = None
    exact_from: str | None = None  # valid_from to the microsecond


@dataclass(frozen=True)
class FlowData:
    versions: list[tuple]  # flow_version_documents.sql rows, oldest first
    events: list[tuple]  # change_table.SHOWN_COLUMNS rows, newest first (at most MAX_FLOW_EVENTS)
    total_events: int
    changes: dict[str, list[tuple]]
    health: list[HealthRow] = field(default_factory=list)  # runs per day (report/health.py)
    scripts: ScriptIndex = field(default_factory=ScriptIndex)  # where flows use scripts
    script_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # of its scripts
    recent: list[RecentVersion] = field(default_factory=list)  # its newest versions (flow_configs)
    found: Found = field(default_factory=dict)  # their steps' versions at each version's start


class FlowUnit:
    template = "flow.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        content = dict(report_rows(con, "flow_keys", account=site.account, shown=MAX_FLOW_EVENTS))
        # The run charts (report/health.py) are part of what a page shows.
        first_day, last_day = chart_period(site.data_as_of or site.now)
        health = fetch_flow_health(con, site.account, first_day, last_day)
        scripts = script_index(con, site.account)  # the scripts it uses are on the page too
        plans = []
        for flow_id in site.flow_ids():
            path = f"flows/{flow_file_name(flow_id)}"
            title = f"Flow {site.name_of('flow', flow_id)}"
            key = page_key(site.salt, path, title, content.get(flow_id), flow_script_key(site, scripts, flow_id))
            rows = health.get(flow_id, [])
            part = PagePart(page_key(site.salt, health_key(rows, first_day, last_day)), rows)
            plans.append(PagePlan(path, title, key, flow_id, part))
        return plans

    def redraw_part(self, site: Site, page: PagePlan, env, text: str) -> str | None:
        """The page drawn before with its run chart drawn again (flowaudit.report.flow_health_part)."""
        header = site.page(page.title, page.root, reusable=True)
        return redraw(text, env, header, page.part.data, *chart_period(site.data_as_of or site.now))

    def fetch(self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]) -> Iterator[tuple[PagePlan, FlowData]]:
        if not pages:
            return
        scripts = script_index(con, site.account)
        counts = dict(report_rows(con, "flow_version_counts", account=site.account, flow_ids=[page.args for page in pages]))
        for batch in flow_batches(pages, counts):
            flow_ids = [page.args for page in batch]
            versions: dict[str, list[tuple]] = defaultdict(list)
            for row in report_rows(con, "flow_version_documents", account=site.account, flow_ids=flow_ids):
                versions[row[0]].append(row)
            events: dict[str, list[tuple]] = defaultdict(list)
            totals: dict[str, int] = {}
            changes: dict[str, list[tuple]] = {}
            found = report_rows(con, "flow_events", account=site.account, flow_ids=flow_ids, shown=MAX_FLOW_EVENTS)
            for flow_id, total, *event, event_changes in found:
                events[flow_id].append(tuple(event))
                totals[flow_id] = int(total)
                changes[event[0]] = changes_from_json(event_changes)
            events = {flow_id: with_current_names(rows, site) for flow_id, rows in events.items()}
            code = fetch_scripts(con, site.account, scripts.scripts_of(flow_ids))
            recent = {flow_id: recent_versions(rows) for flow_id, rows in versions.items()}
            found = _found(con, site, [m for r in recent.values() for m in step_moments(r)])
            found.update(_found(con, site, connection_moments(found)))
            for page in batch:
                shown = events.get(page.args, [])
                yield page, FlowData(versions.get(page.args, []), shown, totals.get(page.args, 0),
                                     {e[0]: changes.get(e[0], []) for e in shown},
                                     page.part.data, scripts, code,  # its runs, read by plan
                                     recent.get(page.args, []), found)  # fmt: skip

    def build(self, site: Site, page: PagePlan, data: FlowData) -> FlowPage:
        flow_id = page.args
        versions = [
            Version(row[2] or "", row[3] or "", row[4], load_shown_json(row[5]) if row[5] is not None else None,
                    jsonfast.loads(row[6]) if row[6] is not None else None, *row[7:])
            for row in data.versions
        ]  # fmt: skip
        current = versions[-1].doc if versions else None
        deleted = bool(versions) and versions[-1].valid_to != ""
        patches = back_patches(versions, site.pattern)
        volatile = volatile_fields_for("flow", site.volatile)  # not changes a reader made
        timeline = tuple(
            FlowVersion(number, version.valid_from, version.valid_to, version.origin,
                        *_changed_paths(patches[number - 1], volatile), **_who_and_why(version))
            for number, version in reversed(list(enumerate(versions, start=1)))
        )  # fmt: skip
        left_out = ""
        if data.total_events > len(data.events):
            left_out = (
                f"On this page the {data.total_events - len(data.events)} oldest of {data.total_events} changes "
                "are on the monthly history pages."
            )
        doc = current if isinstance(current, dict) else {}
        first_day, last_day = chart_period(site.data_as_of or site.now)
        step_changes = steps_changes(data.events)
        chart = health_chart(data.health, first_day, last_day, timeline, step_changes)
        # A deleted flow's page carries no version data: its whole timeline is in the HTML.
        drawn = len(timeline) if current is None else TIMELINE_DRAWN
        undrawn = timeline[drawn:]
        return FlowPage(
            page=site.page(page.title, page.root, reusable=True),
            flow_id=flow_id,
            name=site.name_of("flow", flow_id),
            integration=site.integration_of("flow", flow_id),
            disabled=bool(doc.get("disabled")),
            schedule=str(doc.get("schedule") or ""),
            schedule_words=schedule_in_words(doc.get("schedule"), doc.get("timezone")) or "",
            deleted=deleted,
            steps=_steps(doc, site, data.found, page.root),
            config=shown_document(current, site.pattern),
            versions=timeline[:drawn],
            older_versions=len(undrawn),
            version_data=script_json(_version_data(versions, patches, undrawn)) if current is not None else "",
            changes=change_table("flow-changes", data.events, data.changes, site, root=page.root),
            left_out=left_out,
            health=chart,
            health_marks=marks_json(timeline, step_changes),
            scripts=flow_scripts(site, data.scripts, data.script_versions, flow_id, page.root),
            configs=script_json(configs_data(data.recent, data.found, site.pattern, site.volatile, site.name_of))
            if len(data.recent) > 1 else "",
        )  # fmt: skip


def flow_batches(
    pages: list[PagePlan],
    versions: dict[str, int],
    max_flows: int | None = None,
    max_versions: int | None = None,
) -> Iterator[list[PagePlan]]:
    """pages in order, in batches of at most max_flows flows (FLOWS_PER_FETCH) and, unless one
    flow alone has more, max_versions versions (VERSIONS_PER_FETCH); versions: per flow id."""
    max_flows = max_flows or FLOWS_PER_FETCH
    max_versions = max_versions or VERSIONS_PER_FETCH
    batch: list[PagePlan] = []
    held = 0
    for page in pages:
        weight = versions.get(page.args, 0)
        if batch and (len(batch) == max_flows or held + weight > max_versions):
            yield batch
            batch, held = [], 0
        batch.append(page)
        held += weight
    if batch:
        yield batch


def _found(con: duckdb.DuckDBPyConnection, site: Site, moments: list[tuple[str, str, str]]) -> Found:
    if not moments:
        return {}
    types, ids, ats = (list(column) for column in zip(*moments, strict=True))
    return read_found(report_rows(con, "flow_step_documents", account=site.account, types=types, ids=ids, ats=ats))


def _who_and_why(version: Version) -> dict[str, str]:
    """Who made a version, how, and its audit label (the interval of an unexplained one)."""
    labels = version.labels or ()
    label = next((name for name in ("unexplained", "explained", "system") if name in labels), "")
    if version.origin == "unexplained":
        label = "unexplained"
    return {
        "author": version.user_name or version.user_email or "", "author_email": version.user_email or "",
        "source": version.source or "", "label": label,
        "changed_after": version.changed_after or "", "changed_before": version.changed_before or "",
    }  # fmt: skip


def back_patches(versions: list[Version], pattern: str) -> list[list[list[Any]]]:
    """Per version (oldest first), the patch from what the page shows of it back to what it
    shows of the version before ([] for the first): the stored patches with their values
    masked and cut as the page shows them, or, for a flow whose documents nested too deep
    for patches to be kept, patches between the documents as shown."""
    if all(version.back is not None for version in versions[1:]):
        return [[]] + [[_shown_op(op, pattern) for op in version.back] for version in versions[1:]]
    patches: list[list[list[Any]]] = [[]]
    for older, newer in pairwise(versions):
        patches.append(make_patch(display_document(newer.doc, pattern), display_document(older.doc, pattern)))
    return patches


def _shown_op(op: list[Any], pattern: str) -> list[Any]:
    """A patch operation with its value as the page shows it at that path."""
    if op[0] != "s":
        return op
    path = op[1]
    if not path:
        return ["s", path, display_document(op[2], pattern)]
    hidden = any(isinstance(key, str) and is_secret_key(key, pattern) for key in path)
    return ["s", path, display_value(op[2], pattern, masked=hidden, depth=len(path))]


def _version_data(
    versions: list[Version], patches: list[list[list[Any]]], undrawn: tuple[FlowVersion, ...] = ()
) -> dict[str, Any]:
    """Newest first: each version's dates and the patch from it back to the one before; for
    the versions the timeline leaves to the page's script (undrawn), the texts of their line."""
    lines = {version.number: timeline_line(version) for version in undrawn}
    entries = []
    for number in range(len(versions), 0, -1):
        version = versions[number - 1]
        entry = {
            "number": number, "from": version.valid_from, "to": version.valid_to,
            "origin": version.origin, "back": patches[number - 1],
        }  # fmt: skip
        if number in lines:
            entry["line"] = lines[number]
        entries.append(entry)
    return {"versions": entries}


def timeline_line(version: FlowVersion) -> list[Any]:
    """What the timeline's line of a version shows, as the page's script draws it
    (reports/templates/_script.js, drawTimeline; flow.html writes the same line):
    [when, author, author's e-mail, source, source as shown, label, changed paths, and how
    many more]."""
    return [version.when, version.author, version.author_email, version.source, version.source_text,
            version.label, list(version.changed), version.more_changed]  # fmt: skip


def _changed_paths(patch: list[list[Any]], volatile: VolatileFields) -> tuple[tuple[str, ...], int]:
    """The fields a version changed (the paths its patch back touches, volatile ones left
    out), and how many more."""
    paths = [p for p in dict.fromkeys(_path_text(op[1]) for op in patch) if not volatile.is_volatile_path(p)]
    return tuple(paths[:MAX_CHANGED_PATHS]), max(0, len(paths) - MAX_CHANGED_PATHS)


def _path_text(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(whole document)"


def _steps(flow: dict, site: Site, found: Found, root: str) -> tuple[Step, ...]:
    generators = {str(s.get("_exportId")) for s in flow.get("pageGenerators") or [] if isinstance(s, dict)}
    steps = []
    for rtype, rid in flow_steps(flow):
        role = "source" if rtype == "export" and rid in generators else (
            "lookup" if rtype == "export" else "destination"
        )  # fmt: skip
        now = found.get((rtype, rid, CURRENT))
        connection_id = now.doc.get("_connectionId") if now and isinstance(now.doc, dict) else None
        connection = None
        if isinstance(connection_id, str) and connection_id:
            connection = Link(site.name_of("connection", connection_id), resource_href("connection", connection_id, site.resource_parts("connection"), root))
        steps.append(Step(role, rtype, rid, site.name_of(rtype, rid), _where(flow, rid),
                          resource_href(rtype, rid, site.resource_parts(rtype), root), connection))  # fmt: skip
    return tuple(steps)


def _where(flow: dict, resource_id: str) -> str:
    for key in ("pageGenerators", "pageProcessors"):
        for step in flow.get(key) or []:
            if isinstance(step, dict) and resource_id in (step.get("_exportId"), step.get("_importId")):
                return key
    return "routers" if flow.get("routers") else ""
