"""The per-flow page: current configuration and steps, the version timeline with each
version's field-level changes, every earlier configuration carried as compact patches
(the page's script applies them on request; no full document per version), and the
flow's change history, its exports' and imports' records included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowaudit.documents.steps import flow_steps
from flowaudit.report.contexts import FlowPage, FlowVersion, Page, Step
from flowaudit.report.dataset import ReportData
from flowaudit.report.filters import format_iso
from flowaudit.report.masking import display_document, load_shown_json
from flowaudit.report.views import change_events, diff_field_changes, filter_options, shown_document
from flowaudit.transform.diff import diff_documents
from flowaudit.transform.patches import make_patch

MAX_FLOW_EVENTS = 40
MAX_FLOW_VERSIONS = 15  # versions whose field changes are listed; every version stays selectable


@dataclass(frozen=True)
class Version:
    """A document valid over [valid_from, valid_to); valid_to None = still current."""

    valid_from: datetime | None
    valid_to: datetime | None
    doc: dict[str, Any] | None
    origin: str = "observed"  # observed | reconstructed (by the loader, from the audit log)


def flow_versions(stored: list[dict]) -> list[Version]:
    """A flow's stored versions, oldest first: the loader already rebuilt those from before
    its first observation by replaying the audit log backwards."""
    return [
        Version(r["valid_from"], r["valid_to"], load_shown_json(r["doc"]), r["origin"])
        for r in stored
    ]


def version_patches(versions: list[Version], pattern: str) -> dict[str, Any]:
    """Newest first: each version's dates and the patch from it back to the one before,
    over masked documents as the page shows them (long strings cut)."""
    masked = [display_document(v.doc, pattern) for v in versions]
    entries = []
    for number in range(len(versions), 0, -1):
        version = versions[number - 1]
        entries.append({
            "number": number,
            "from": format_iso(version.valid_from),
            "to": format_iso(version.valid_to),
            "origin": version.origin,
            "back": make_patch(masked[number - 1], masked[number - 2]) if number > 1 else [],
        })
    return {"versions": entries}


def build_flow_page(
    data: ReportData,
    page: Page,
    flow_id: str,
    stored_versions: list[dict],
    *,
    pattern: str,
    volatile_fields: tuple[str, ...],
) -> FlowPage:
    versions = flow_versions(stored_versions)
    current = versions[-1].doc if versions else None
    deleted = bool(versions) and versions[-1].valid_to is not None
    left_out = []
    first_listed = max(len(versions) - MAX_FLOW_VERSIONS, 0)
    if first_listed:
        left_out.append(
            f"the field changes of the {first_listed} oldest of {len(versions)} versions are not listed "
            "(their configurations can still be selected below)"
        )
    timeline = []
    for number in range(len(versions), 0, -1):
        version = versions[number - 1]
        changes = (
            diff_documents(versions[number - 2].doc, version.doc, volatile_fields=volatile_fields).changes
            if number > max(first_listed, 1) else ()
        )
        timeline.append(
            FlowVersion(number, version.valid_from, version.valid_to, version.origin,
                        diff_field_changes(changes, pattern))
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
        version_data=version_patches(versions, pattern) if current is not None else {"versions": []},
        events=events,
        filters=filter_options(events),
        left_out=("On this page " + "; ".join(left_out) + ".") if left_out else "",
    )


def _steps(flow: dict, data: ReportData) -> tuple[Step, ...]:
    generators = {str(s.get("_exportId")) for s in flow.get("pageGenerators") or [] if isinstance(s, dict)}
    steps = []
    for rtype, rid in flow_steps(flow):
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
