"""The flow pages (flows/<id>.html, one per flow the account ever had): current
configuration and steps, the version timeline with the fields each version changed, every
earlier configuration carried as compact patches (the page's script applies them on request;
no full document per version), and the flow's newest changes, its exports' and imports'
records included. Carried over while nothing a page shows changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import duckdb
import orjson

from flowaudit.documents.steps import flow_steps
from flowaudit.report.change_pages import field_changes_of
from flowaudit.report.change_table import change_table, script_json, with_current_names
from flowaudit.report.contexts import FlowPage, FlowVersion, Step
from flowaudit.report.display import flow_file_name, shown_document
from flowaudit.report.masking import display_document, display_member, load_shown_json
from flowaudit.report.queries import report_rows
from flowaudit.report.reuse import page_key
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan
from flowaudit.transform.patches import make_patch

MAX_FLOW_EVENTS = 40  # the newest changes a flow page lists; the older are on the history pages
MAX_CHANGED_PATHS = 12  # fields a version's line names; the rest are counted
FLOWS_PER_FETCH = 500  # flow pages whose data is read at once


@dataclass(frozen=True)
class Version:
    """A document valid over [valid_from, valid_to) (ISO-8601 UTC); valid_to "" = current."""

    valid_from: str
    valid_to: str
    doc: dict[str, Any] | None
    origin: str = "observed"  # observed | reconstructed | audit | unexplained


@dataclass(frozen=True)
class FlowData:
    versions: list[tuple]  # flow_version_documents.sql rows, oldest first
    events: list[tuple]  # change_table.SHOWN_COLUMNS rows, newest first (at most MAX_FLOW_EVENTS)
    total_events: int
    changes: dict[str, list[tuple]]


class FlowUnit:
    template = "flow.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        content = dict(report_rows(con, "flow_keys", account=site.account, shown=MAX_FLOW_EVENTS))
        plans = []
        for flow_id in site.flow_ids():
            path = f"flows/{flow_file_name(flow_id)}"
            title = f"Flow {site.name_of('flow', flow_id)}"
            plans.append(PagePlan(path, title, page_key(site.salt, path, title, content.get(flow_id)), flow_id))
        return plans

    def fetch(self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]) -> Iterator[tuple[PagePlan, FlowData]]:
        for start in range(0, len(pages), FLOWS_PER_FETCH):
            batch = pages[start : start + FLOWS_PER_FETCH]
            flow_ids = [page.args for page in batch]
            versions: dict[str, list[tuple]] = defaultdict(list)
            for row in report_rows(con, "flow_version_documents", account=site.account, flow_ids=flow_ids):
                versions[row[0]].append(row)
            events: dict[str, list[tuple]] = defaultdict(list)
            totals: dict[str, int] = {}
            found = report_rows(con, "flow_events", account=site.account, flow_ids=flow_ids, shown=MAX_FLOW_EVENTS)
            for flow_id, total, *event in found:
                events[flow_id].append(tuple(event))
                totals[flow_id] = int(total)
            events = {flow_id: with_current_names(rows, site) for flow_id, rows in events.items()}
            changes = field_changes_of(con, site.account, sorted({e[0] for rows in events.values() for e in rows}))
            for page in batch:
                shown = events.get(page.args, [])
                yield page, FlowData(versions.get(page.args, []), shown, totals.get(page.args, 0),
                                     {e[0]: changes.get(e[0], []) for e in shown})  # fmt: skip

    def build(self, site: Site, page: PagePlan, data: FlowData) -> FlowPage:
        flow_id = page.args
        versions = [Version(r[2] or "", r[3] or "", load_shown_json(r[5]), r[4]) for r in data.versions]
        current = versions[-1].doc if versions else None
        deleted = bool(versions) and versions[-1].valid_to != ""
        patches = back_patches(versions, site.pattern)
        timeline = tuple(
            FlowVersion(number, version.valid_from, version.valid_to, version.origin,
                        *_changed_paths(patches[number - 1]))
            for number, version in reversed(list(enumerate(versions, start=1)))
        )  # fmt: skip
        left_out = ""
        if data.total_events > len(data.events):
            left_out = (
                f"On this page the {data.total_events - len(data.events)} oldest of {data.total_events} changes "
                "are on the monthly history pages."
            )
        doc = current if isinstance(current, dict) else {}
        return FlowPage(
            page=site.page(page.title, page.root, reusable=True),
            flow_id=flow_id,
            name=site.name_of("flow", flow_id),
            integration=site.integration_of("flow", flow_id),
            disabled=bool(doc.get("disabled")),
            schedule=str(doc.get("schedule") or ""),
            deleted=deleted,
            steps=_steps(doc, site),
            config=shown_document(current, site.pattern),
            versions=timeline,
            version_data=script_json(_version_data(versions, patches)) if current is not None else "",
            changes=change_table("flow-changes", data.events, data.changes, site, root=page.root),
            left_out=left_out,
        )


def back_patches(versions: list[Version], pattern: str) -> list[list[list[Any]]]:
    """Per version (oldest first), the patch from what the page shows of it back to what it
    shows of the version before (flowaudit.transform.patches; [] for the first): values
    masked and cut as the page shows them. Top-level values that did not change are skipped
    without walking them: a flow's versions share almost all of their document."""
    patches: list[list[list[Any]]] = [[]]
    for older, newer in pairwise(versions):
        patches.append(_back_patch(newer.doc, older.doc, pattern))
    return patches


def _back_patch(newer: Any, older: Any, pattern: str) -> list[list[Any]]:
    if not isinstance(newer, dict) or not isinstance(older, dict):
        return make_patch(display_document(newer, pattern), display_document(older, pattern))
    ops: list[list[Any]] = [["d", [key]] for key in newer if key not in older]
    for key, value in older.items():
        if key not in newer:
            ops.append(["s", [key], display_member(key, value, pattern)])
        elif not _same(newer[key], value):
            for op in make_patch(display_member(key, newer[key], pattern), display_member(key, value, pattern)):
                ops.append([op[0], [key, *op[1]], *op[2:]])
    return ops


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if not isinstance(a, dict | list):
        return a == b
    try:  # same text, same value; a different key order only costs the walk below
        return orjson.dumps(a) == orjson.dumps(b)
    except TypeError:
        return False


def _version_data(versions: list[Version], patches: list[list[list[Any]]]) -> dict[str, Any]:
    """Newest first: each version's dates and the patch from it back to the one before."""
    entries = []
    for number in range(len(versions), 0, -1):
        version = versions[number - 1]
        entries.append({
            "number": number, "from": version.valid_from, "to": version.valid_to,
            "origin": version.origin, "back": patches[number - 1],
        })  # fmt: skip
    return {"versions": entries}


def _changed_paths(patch: list[list[Any]]) -> tuple[tuple[str, ...], int]:
    """The fields a version changed (the paths its patch back touches), and how many more."""
    paths = list(dict.fromkeys(_path_text(op[1]) for op in patch))
    return tuple(paths[:MAX_CHANGED_PATHS]), max(0, len(paths) - MAX_CHANGED_PATHS)


def _path_text(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(whole document)"


def _steps(flow: dict, site: Site) -> tuple[Step, ...]:
    generators = {str(s.get("_exportId")) for s in flow.get("pageGenerators") or [] if isinstance(s, dict)}
    steps = []
    for rtype, rid in flow_steps(flow):
        role = "source" if rtype == "export" and rid in generators else (
            "lookup" if rtype == "export" else "destination"
        )  # fmt: skip
        steps.append(Step(role, rtype, rid, site.name_of(rtype, rid), _where(flow, rid)))
    return tuple(steps)


def _where(flow: dict, resource_id: str) -> str:
    for key in ("pageGenerators", "pageProcessors"):
        for step in flow.get(key) or []:
            if isinstance(step, dict) and resource_id in (step.get("_exportId"), step.get("_importId")):
                return key
    return "routers" if flow.get("routers") else ""
