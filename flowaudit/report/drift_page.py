"""The drift page: the current configuration against a baseline, every difference
reconciled with the audit log of the window between them (flowaudit.report.reconcile)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
import polars as pl

from flowaudit.report.contexts import (
    DriftPage,
    DriftResource,
    DriftSummary,
    InvisibleRecord,
    Link,
    Page,
)
from flowaudit.report.dataset import ReportData, flow_file_name
from flowaudit.report.masking import MAX_DEPTH, MAX_NAME_CHARS, cap_text, shallow_json_text
from flowaudit.report.queries import report_frame
from flowaudit.report.reconcile import EXPLAINED, SYSTEM, UNEXPLAINED, differences_table, reconcile
from flowaudit.report.script_pages import script_file_name
from flowaudit.report.views import diff_field_changes, flow_link
from flowaudit.transform.drift import Drift, compute_drift

_LABEL_WEIGHT = {UNEXPLAINED: 3, SYSTEM: 2, EXPLAINED: 1, "": 0}
MAX_DRIFT_RESOURCES = 400  # per page; a busy day on a large account drifts thousands


@dataclass(frozen=True)
class Baseline:
    """What the current configuration is compared with."""

    label: str
    at: datetime


def shallow_documents(frame: pl.DataFrame) -> pl.DataFrame:
    """The `doc` column with documents nested below the page's depth limit summarised there
    (flowaudit.report.masking.too_deep): the comparison walks documents recursively."""
    if frame.height == 0:
        return frame
    deep = frame["doc"].str.count_matches(r"[\[{]", literal=False).fill_null(0) > MAX_DEPTH
    if not deep.any():
        return frame
    docs = [shallow_json_text(doc) if is_deep and doc is not None else doc
            for doc, is_deep in zip(frame["doc"].to_list(), deep.to_list(), strict=True)]  # fmt: skip
    return frame.with_columns(pl.Series("doc", docs, dtype=pl.String))


def build_drift_page(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    page: Page,
    baseline: Baseline | None,
    *,
    volatile_fields: tuple[str, ...],
    pattern: str,
) -> DriftPage:
    """Compare, reconcile and lay out the drift page."""
    current_at = data.data_as_of
    if baseline is None or current_at is None:
        empty = DriftSummary("no baseline", 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return DriftPage(
            page,
            empty,
            None,
            current_at,
            (),
            (),
            tuple(volatile_fields),
            (),
            note="No baseline yet: drift needs two successful runs, or a baseline pinned with "
            "`flowaudit baseline set NAME`.",
        )
    before = shallow_documents(
        report_frame(con, "configuration_as_of", account=data.account, at=baseline.at)
    )
    after = shallow_documents(
        report_frame(con, "configuration_as_of", account=data.account, at=None)
    )
    drift = compute_drift(before.lazy(), after.lazy(), volatile_fields=volatile_fields)
    differences, index = differences_table(drift)
    outcome = reconcile(con, data.account, differences, baseline.at, current_at)
    labels_by_resource: dict[tuple[str, str], list[str]] = {}
    for diff_id, (resource, _change) in enumerate(index):
        labels_by_resource.setdefault((resource.resource_type, resource.resource_id), []).append(
            outcome.label(diff_id)
        )
    resources = tuple(
        _resource_view(r, data, labels_by_resource, pattern, page.root) for r in drift.resources
    )
    all_labels = [outcome.label(i) for i in range(len(index))]
    invisible = tuple(
        InvisibleRecord(
            event_id=row["event_id"],
            time=row["time"],
            user=_user_of(data, row["event_id"]),
            source=row["source"] or "",
            event=row["event"] or "",
            resource_type=row["resource_type"] or "",
            resource_name=data.name_of(row["resource_type"] or "", row["resource_id"] or ""),
            field_paths=tuple(row["field_paths"] or ()),
        )
        for row in outcome.invisible.iter_rows(named=True)
    )
    summary = _summary(baseline.label, drift, all_labels, len(invisible))
    return DriftPage(
        page=page,
        summary=summary,
        baseline_at=baseline.at,
        current_at=current_at,
        resources=_sorted(resources),
        invisible=invisible,
        ignored_fields=tuple(volatile_fields),
        ignored_changes=tuple(f"{t} {data.name_of(t, i)}: {p}" for t, i, p in drift.ignored),
    )


def _user_of(data: ReportData, event_id: str) -> str:
    match = data.events.filter(pl.col("event_id") == event_id)
    return match["user_name"][0] if match.height else ""


def _resource_view(
    resource, data: ReportData, labels_by_resource, pattern: str, root: str
) -> DriftResource:
    key = (resource.resource_type, resource.resource_id)
    labels = labels_by_resource.get(key, [])
    worst = max(labels, key=lambda label: _LABEL_WEIGHT[label], default="")
    if resource.resource_type == "flow":
        href = f"{root}flows/{flow_file_name(resource.resource_id)}"
        flows = ()
    elif resource.resource_type == "script":  # its page shows the code's line diff
        href = f"{root}scripts/{script_file_name(resource.resource_id)}"
        flows = tuple(flow_link(data, f, root) for f in sorted(data.flows_of.get(key, ())))
    else:
        href = ""
        flows = tuple(flow_link(data, f, root) for f in sorted(data.flows_of.get(key, ())))
    return DriftResource(
        resource_type=resource.resource_type,
        resource_id=resource.resource_id,
        name=cap_text(resource.name, MAX_NAME_CHARS),
        status=resource.status,
        href=href,
        fields=diff_field_changes(resource.changes, pattern, labels),
        label=worst,
        became_disabled=resource.became_disabled,
        became_enabled=resource.became_enabled,
        schedule_changed=resource.schedule_changed,
        flows=flows,
    )


def _sorted(resources: tuple[DriftResource, ...]) -> tuple[DriftResource, ...]:
    # What auditors look for first: unexplained, then system, then explained.
    return tuple(
        sorted(resources, key=lambda r: (-_LABEL_WEIGHT[r.label], r.resource_type, r.name.lower()))
    )


def _summary(label: str, drift: Drift, labels: list[str], invisible: int) -> DriftSummary:
    def count(status: str) -> int:
        return sum(1 for r in drift.resources if r.status == status)

    return DriftSummary(
        baseline_label=label,
        added=count("added"),
        removed=count("removed"),
        modified=count("modified"),
        disabled=sum(1 for r in drift.resources if r.became_disabled),
        schedules_changed=sum(1 for r in drift.resources if r.schedule_changed),
        explained=labels.count(EXPLAINED),
        unexplained=labels.count(UNEXPLAINED),
        system=labels.count(SYSTEM),
        invisible=invisible,
    )


def split_drift_page(drift: DriftPage) -> dict[str, DriftPage]:
    """The drift page by file name: drift.html, then drift-2.html... when it lists more than
    MAX_DRIFT_RESOURCES resources (unexplained first, so the first page holds what matters)."""
    total = len(drift.resources)
    if total <= MAX_DRIFT_RESOURCES:
        return {"drift.html": drift}
    chunks = [
        drift.resources[i : i + MAX_DRIFT_RESOURCES] for i in range(0, total, MAX_DRIFT_RESOURCES)
    ]
    names = ["drift.html"] + [f"drift-{n}.html" for n in range(2, len(chunks) + 1)]
    links = tuple(
        Link(
            f"resources {i * MAX_DRIFT_RESOURCES + 1}–{i * MAX_DRIFT_RESOURCES + len(chunk)}", name
        )
        for i, (name, chunk) in enumerate(zip(names, chunks, strict=True))
    )
    pages = {}
    for i, (name, chunk) in enumerate(zip(names, chunks, strict=True)):
        first = i * MAX_DRIFT_RESOURCES + 1
        pages[name] = replace(
            drift,
            resources=chunk,
            left_out=f"This page lists resources {first} to {first + len(chunk) - 1} of {total} "
            "(unexplained first, then system, then explained); the others are on the pages linked here.",
            other_pages=tuple(link for link in links if link.href != name),
        )
    return pages
