"""The configuration now against a baseline (the previous successful run, or a pinned
baseline), every difference reconciled with the audit log of the window between them
(flowaudit.report.reconcile). Read once per report: the drift pages list it, the index sums
it up.

Only resources whose version differs between the two moments are read and compared: a
resource on the same version at both has the same document, so it cannot drift."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from flowaudit.report.baselines import PinnedBaseline, find_baseline
from flowaudit.report.contexts import DriftSummary
from flowaudit.report.masking import MAX_DEPTH, shallow_json_text
from flowaudit.report.queries import report_frame
from flowaudit.report.reconcile import EXPLAINED, SYSTEM, UNEXPLAINED, differences_table, reconcile
from flowaudit.transform.drift import VERSION_SCHEMA, Drift, compute_drift

LABEL_WEIGHT = {UNEXPLAINED: 3, SYSTEM: 2, EXPLAINED: 1, "": 0}


@dataclass(frozen=True)
class Baseline:
    """What the current configuration is compared with."""

    label: str
    at: datetime
    pin: PinnedBaseline | None = None  # a pinned baseline: its name, note, who pinned it and when


@dataclass(frozen=True)
class Comparison:
    """The drift against the baseline and its reconciliation (baseline None: nothing to
    compare with yet)."""

    baseline: Baseline | None
    current_at: datetime | None
    drift: Drift = field(default_factory=Drift)
    labels: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # per change, in order
    invisible: tuple[dict[str, Any], ...] = ()  # audited records the drift does not show
    flows_of: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # steps' flows
    summary: DriftSummary = field(
        default_factory=lambda: DriftSummary("no baseline", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    )

    def label_of(self, resource_type: str, resource_id: str) -> str:
        """A resource's worst label: unexplained > system > explained."""
        labels = self.labels.get((resource_type, resource_id), [])
        return max(labels, key=lambda label: LABEL_WEIGHT[label], default="")


def fetch_comparison(
    con: duckdb.DuckDBPyConnection,
    account: str,
    successful_runs: Sequence[dict[str, Any]],
    baseline_name: str | None,
    *,
    volatile: tuple[str, ...],
) -> Comparison:
    """Compare the current configuration with the baseline and reconcile every difference."""
    current_at = successful_runs[0]["observed_at"] if successful_runs else None
    baseline = _baseline(con, account, successful_runs, baseline_name)
    if baseline is None or current_at is None:
        return Comparison(baseline, current_at)
    sides = report_frame(con, "drift_documents", account=account, at=baseline.at)
    before, after = (
        _shallow(sides.filter(pl.col("side") == side).drop("side")) for side in ("before", "now")
    )
    drift = compute_drift(before.lazy(), after.lazy(), volatile_fields=volatile)
    differences, index = differences_table(drift)
    outcome = reconcile(con, account, differences, baseline.at, current_at)
    labels: dict[tuple[str, str], list[str]] = {}
    for diff_id, (resource, _change) in enumerate(index):
        labels.setdefault((resource.resource_type, resource.resource_id), []).append(
            outcome.label(diff_id)
        )
    steps = [(r.resource_type, r.resource_id) for r in drift.resources if r.resource_type != "flow"]
    flows_of = _flows_of(con, account, steps)
    all_labels = [outcome.label(i) for i in range(len(index))]
    invisible = tuple(outcome.invisible.to_dicts())
    summary = _summary(baseline.label, drift, all_labels, len(invisible))
    return Comparison(baseline, current_at, drift, labels, invisible, flows_of, summary)


def _baseline(con, account: str, successful_runs, name: str | None) -> Baseline | None:
    if name is not None:
        pin = find_baseline(con, account, name)
        return Baseline(f"the pinned baseline “{pin.name}”", pin.as_of, pin)
    if len(successful_runs) < 2:
        return None
    previous = successful_runs[1]
    return Baseline(f"the previous successful run (#{previous['run_id']})", previous["observed_at"])


def _shallow(frame: pl.DataFrame) -> pl.DataFrame:
    """The `doc` column with documents nested below the page's depth limit summarised there
    (flowaudit.report.masking.too_deep): the comparison walks documents recursively."""
    frame = frame.select(*VERSION_SCHEMA)
    if frame.height == 0:
        return frame
    deep = frame["doc"].str.count_matches(r"[\[{]", literal=False).fill_null(0) > MAX_DEPTH
    if not deep.any():
        return frame
    docs = [shallow_json_text(doc) if is_deep and doc is not None else doc
            for doc, is_deep in zip(frame["doc"].to_list(), deep.to_list(), strict=True)]  # fmt: skip
    return frame.with_columns(pl.Series("doc", docs, dtype=pl.String))


def _flows_of(
    con, account: str, resources: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, ...]]:
    """The flows that ever used each of these steps."""
    if not resources:
        return {}
    frame = report_frame(con, "step_flows", account=account,
                         resource_types=[t for t, _ in resources], resource_ids=[i for _, i in resources])  # fmt: skip
    return {(t, i): tuple(flows) for t, i, flows in frame.iter_rows()}


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
