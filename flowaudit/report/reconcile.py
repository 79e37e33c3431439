"""Configuration drift reconciled with the audit log, through the one reconciliation the
store keeps (the public view `version_changes`: every change between consecutive versions,
explained, system or unexplained).

Every difference between a baseline and now is labelled by the changes of its resource in
that window whose field is the difference's path, a parent or a child of it
(queries/reports/drift_labels.sql): *unexplained* when none accounts for it or the latest
that does is unexplained, *explained* when a person's audit record does, else *system*.
Audited changes the drift does not show (changed and changed back) are listed apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from flowaudit.report.queries import report_frame
from flowaudit.transform.diff import path_segments
from flowaudit.transform.drift import Drift

EXPLAINED, UNEXPLAINED, SYSTEM = "explained", "unexplained", "system"

_DIFFERENCES_SCHEMA = pa.schema(
    [("diff_id", pa.int64()), ("resource_type", pa.string()), ("resource_id", pa.string()),
     ("path_key", pa.string()), ("kind", pa.string())]
)  # fmt: skip


@dataclass(frozen=True)
class Reconciliation:
    """Labels per difference (by diff_id) and the audit records no difference shows."""

    labels: dict[int, str]
    evidence: dict[int, tuple[str, ...]]  # diff_id -> event ids that account for it
    invisible: pl.DataFrame  # audit records (one row each) whose change is not visible

    def label(self, diff_id: int) -> str:
        return self.labels.get(diff_id, UNEXPLAINED)


def path_key(path: str | None) -> str:
    """The dotted keys of a path without list selectors, ending in a dot: a prefix test on
    it respects segment boundaries (`a.b.` is not a prefix of `a.bc.`); `.` is the whole
    resource."""
    return ".".join(path_segments(path or "")) + "."


def differences_table(drift: Drift) -> tuple[pa.Table, list[tuple[Any, Any]]]:
    """The drift's differences as a table for the reconciliation query; also (resource,
    change) per diff_id."""
    rows: dict[str, list] = {name: [] for name in _DIFFERENCES_SCHEMA.names}
    index = []
    for resource in drift.resources:
        for change in resource.changes:
            for name, value in zip(
                _DIFFERENCES_SCHEMA.names,
                (
                    len(index),
                    resource.resource_type,
                    resource.resource_id,
                    path_key(change.path),
                    change.kind,
                ),
                strict=True,
            ):
                rows[name].append(value)
            index.append((resource, change))
    return pa.table(rows, schema=_DIFFERENCES_SCHEMA), index


def reconcile(
    con: duckdb.DuckDBPyConnection,
    account: str,
    differences: pa.Table,
    start: datetime,
    end: datetime,
) -> Reconciliation:
    """Label every difference between the configurations at start and at end."""
    con.register("drift_differences", differences)
    try:
        window = {"account": account, "from": start, "to": end}
        labelled = report_frame(con, "drift_labels", **window)
        invisible = report_frame(con, "drift_invisible", **window)
    finally:
        con.unregister("drift_differences")
    ids = labelled["diff_id"].to_list()
    labels = dict(zip(ids, labelled["label"].to_list(), strict=True))
    evidence = {
        diff_id: tuple(found or ())
        for diff_id, found in zip(ids, labelled["evidence"].to_list(), strict=True)
    }
    return Reconciliation(labels, evidence, invisible)
