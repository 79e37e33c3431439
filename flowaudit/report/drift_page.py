"""The drift pages (drift.html, then drift-2.html... when more than MAX_DRIFT_RESOURCES
resources drifted: unexplained first, so the first page holds what matters): the current
configuration against the baseline, every difference labelled by the reconciliation
(flowaudit.report.comparison, read once into the Site). Drawn on every rendering."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from flowaudit.report.comparison import LABEL_WEIGHT, Comparison
from flowaudit.report.contexts import (
    DriftPage,
    DriftPair,
    DriftResource,
    DriftSide,
    InvisibleRecord,
    Link,
    PinNote,
    SideBySide,
)
from flowaudit.report.display import diff_field_changes, flow_href, script_file_name
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan
from flowaudit.report.verdict import local_time
from flowaudit.transform.drift import ResourceDrift

MAX_DRIFT_RESOURCES = 400  # per page; a busy day on a large account drifts thousands
_NO_BASELINE = (
    "No baseline yet: drift needs two successful runs, or a baseline pinned with "
    "`flowaudit baseline set NAME`."
)


class DriftUnit:
    template = "drift.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        total = len(site.comparison.drift.resources)
        parts = max(1, -(-total // MAX_DRIFT_RESOURCES))
        names = ["drift.html"] + [f"drift-{n}.html" for n in range(2, parts + 1)]
        return [PagePlan(name, "Configuration drift", None, index) for index, name in enumerate(names)]

    def fetch(self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]) -> Iterator[tuple[PagePlan, None]]:
        for page in pages:  # the comparison is the Site's: nothing more to read
            yield page, None

    def build(self, site: Site, page: PagePlan, data: None) -> DriftPage:
        comparison = site.comparison
        header = site.page(page.title)
        if comparison.baseline is None or comparison.current_at is None:
            return DriftPage(header, comparison.summary, None, comparison.current_at, (), (),
                             site.volatile, (), note=_NO_BASELINE)  # fmt: skip
        ordered = _ordered(site, comparison)
        total = len(ordered)
        first = page.args * MAX_DRIFT_RESOURCES
        chunk = ordered[first : first + MAX_DRIFT_RESOURCES]
        left_out, others = "", ()
        if total > MAX_DRIFT_RESOURCES:
            left_out = (
                f"This page lists resources {first + 1} to {first + len(chunk)} of {total} "
                "(unexplained first, then system, then explained); the others are on the pages linked here."
            )
            starts = range(0, total, MAX_DRIFT_RESOURCES)
            others = tuple(
                Link(f"resources {start + 1}–{min(start + MAX_DRIFT_RESOURCES, total)}",
                     "drift.html" if n == 0 else f"drift-{n + 1}.html")
                for n, start in enumerate(starts) if n != page.args
            )  # fmt: skip
        return DriftPage(
            page=header,
            summary=comparison.summary,
            baseline_at=comparison.baseline.at,
            current_at=comparison.current_at,
            resources=tuple(_resource_view(site, comparison, r) for r in chunk),
            invisible=tuple(_invisible(site, row) for row in comparison.invisible),
            ignored_fields=site.volatile,
            ignored_changes=tuple(f"{t} {site.name_of(t, i)}: {p}" for t, i, p in comparison.drift.ignored),
            left_out=left_out,
            other_pages=others,
            pin=_pin_note(site, comparison),
            side_by_side=_side_by_side(site, comparison, site.since_previous) if page.args == 0 else None,
        )


def _pin_note(site: Site, comparison: Comparison) -> PinNote | None:
    pin = comparison.baseline.pin if comparison.baseline is not None else None
    if pin is None:
        return None
    zone = site.display_timezone
    return PinNote(pin.name, local_time(pin.as_of, zone), pin.run_id, local_time(pin.pinned_at, zone),
                   pin.pinned_by or "", pin.note or "")  # fmt: skip


def _side_by_side(site: Site, pinned: Comparison, previous: Comparison | None) -> SideBySide | None:
    """The drift since the previous run beside the drift from the pinned baseline: one row
    per resource that drifted on either side, those unexplained on either side first."""
    if previous is None or previous.baseline is None or previous.current_at is None:
        return None
    sides = [{(r.resource_type, r.resource_id): r for r in c.drift.resources} for c in (previous, pinned)]
    keys = sorted(
        set(sides[0]) | set(sides[1]),
        key=lambda k: (-max(LABEL_WEIGHT[previous.label_of(*k)], LABEL_WEIGHT[pinned.label_of(*k)]),
                       k[0], site.name_of(*k).lower(), k[1]),
    )  # fmt: skip
    rows = []
    for key in keys[:MAX_DRIFT_RESOURCES]:
        drifted = sides[0].get(key) or sides[1][key]
        rows.append(DriftPair(
            resource_type=key[0],
            name=cap_text(drifted.name, MAX_NAME_CHARS),
            href=flow_href(key[1]) if key[0] == "flow" else "",
            previous=_side(previous, sides[0].get(key)),
            baseline=_side(pinned, sides[1].get(key)),
        ))  # fmt: skip
    zone = site.display_timezone
    return SideBySide(previous.summary, local_time(previous.baseline.at, zone), pinned.summary,
                      local_time(pinned.baseline.at, zone), tuple(rows), max(0, len(keys) - MAX_DRIFT_RESOURCES))  # fmt: skip


def _side(comparison: Comparison, resource: ResourceDrift | None) -> DriftSide | None:
    if resource is None:
        return None
    label = comparison.label_of(resource.resource_type, resource.resource_id)
    return DriftSide(resource.status, label, tuple(dict.fromkeys(c.path for c in resource.changes if c.path)))


def _ordered(site: Site, comparison: Comparison) -> list[ResourceDrift]:
    # What auditors look for first: unexplained, then system, then explained.
    def order(r: ResourceDrift) -> tuple:
        label = comparison.label_of(r.resource_type, r.resource_id)
        return (-LABEL_WEIGHT[label], r.resource_type, cap_text(r.name, MAX_NAME_CHARS).lower())

    return sorted(comparison.drift.resources, key=order)


def _resource_view(site: Site, comparison: Comparison, resource: ResourceDrift) -> DriftResource:
    key = (resource.resource_type, resource.resource_id)
    if resource.resource_type == "flow":
        href, flows = flow_href(resource.resource_id), ()
    elif resource.resource_type == "script":  # its page shows the code's line diff
        href = f"scripts/{script_file_name(resource.resource_id)}"
        flows = tuple(site.flow_link(f, "") for f in comparison.flows_of.get(key, ()))
    else:
        href, flows = "", tuple(site.flow_link(f, "") for f in comparison.flows_of.get(key, ()))
    return DriftResource(
        resource_type=resource.resource_type,
        resource_id=resource.resource_id,
        name=cap_text(resource.name, MAX_NAME_CHARS),
        status=resource.status,
        href=href,
        fields=diff_field_changes(resource.changes, site.pattern, comparison.labels.get(key, []), site.name_of),
        label=comparison.label_of(*key),
        became_disabled=resource.became_disabled,
        became_enabled=resource.became_enabled,
        schedule_changed=resource.schedule_changed,
        flows=flows,
    )


def _invisible(site: Site, row: dict) -> InvisibleRecord:
    return InvisibleRecord(
        event_id=row["event_id"],
        time=row["time"],
        user=row["user_name"] or "",
        source=row["source"] or "",
        event=row["event"] or "",
        resource_type=row["resource_type"] or "",
        resource_name=site.name_of(row["resource_type"] or "", row["resource_id"] or ""),
        field_paths=tuple(row["field_paths"] or ()),
    )
