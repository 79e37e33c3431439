"""Everything the reports read from the database, loaded once per rendering.

Audit records and their field changes stay polars frames; pages turn only the rows they
show into context objects (see flowaudit.report.views)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from flowaudit.report.queries import report_frame

FAR_FUTURE = datetime(9999, 1, 1)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Resource:
    resource_type: str
    resource_id: str
    name: str
    integration_id: str | None
    present: bool


@dataclass
class ReportData:
    """The account's runs, resources, step attribution and audit history."""

    account: str
    runs: list[dict[str, Any]]
    resources: dict[tuple[str, str], Resource]
    flows_of: dict[tuple[str, str], set[str]]  # (type, id) of a step -> flow ids using it
    steps_of: dict[str, list[tuple[str, str]]]
    events: pl.DataFrame
    field_changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shown_fields: dict[str, Any] = field(default_factory=dict, repr=False)
    _by_flow: dict[str, pl.DataFrame] | None = field(default=None, repr=False)

    @property
    def successful_runs(self) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["status"] == "succeeded" and r["observed_at"]]

    @property
    def data_as_of(self) -> datetime | None:
        runs = self.successful_runs
        return runs[0]["observed_at"] if runs else None

    @property
    def previous_success_at(self) -> datetime | None:
        runs = self.successful_runs
        return runs[1]["observed_at"] if len(runs) > 1 else None

    def name_of(self, resource_type: str, resource_id: str) -> str:
        found = self.resources.get((resource_type, resource_id))
        return found.name if found and found.name else resource_id

    def integration_of(self, resource_type: str, resource_id: str) -> str:
        """The integration name a resource belongs to (through its flows for steps)."""
        if resource_type == "integration":
            return self.name_of("integration", resource_id)
        if resource_type == "flow":
            found = self.resources.get(("flow", resource_id))
            integration = found.integration_id if found else None
            return self.name_of("integration", integration) if integration else "(standalone)"
        names = sorted({self.integration_of("flow", f) for f in self.flows_of.get((resource_type, resource_id), ())})
        return ", ".join(names)

    def flows_for_event(self, resource_type: str, resource_id: str) -> list[str]:
        if resource_type == "flow":
            return [resource_id]
        return sorted(self.flows_of.get((resource_type, resource_id), ()))

    def events_of_flow(self, flow_id: str) -> pl.DataFrame:
        """The audit records of a flow and of the exports/imports it uses."""
        if self._by_flow is None:
            self._by_flow = _group_events_by_flow(self.events, self.steps_of)
        return self._by_flow.get(flow_id, self.events.clear())

    def flow_ids(self) -> list[str]:
        return sorted(
            (rid for (rtype, rid) in self.resources if rtype == "flow"),
            key=lambda fid: (self.name_of("flow", fid).lower(), fid),
        )


def _group_events_by_flow(
    events: pl.DataFrame, steps_of: dict[str, list[tuple[str, str]]]
) -> dict[str, pl.DataFrame]:
    # One join instead of a scan of every event per flow: large accounts have thousands of flows.
    pairs = [
        {"flow_id": flow_id, "resource_type": rtype, "resource_id": rid}
        for flow_id, steps in steps_of.items()
        for rtype, rid in steps
    ]
    attribution = pl.DataFrame(
        pairs, schema={"flow_id": pl.String, "resource_type": pl.String, "resource_id": pl.String}
    )
    own = events.filter(pl.col("resource_type") == "flow").with_columns(
        pl.col("resource_id").alias("flow_id")
    )
    steps = events.join(attribution, on=["resource_type", "resource_id"], how="inner")
    both = pl.concat([own, steps.select(own.columns)]).unique(["flow_id", "event_id"])
    return {key[0]: frame.drop("flow_id") for key, frame in both.group_by("flow_id")}


def flow_file_name(flow_id: str) -> str:
    """A file name for a flow page that no id can turn into a path."""
    if _SAFE_ID.match(flow_id):
        return f"{flow_id}.html"

    return "flow-" + hashlib.sha256(flow_id.encode()).hexdigest()[:24] + ".html"


def load_report_data(con: duckdb.DuckDBPyConnection, account: str) -> ReportData:
    """Read runs, the resource directory, flow steps and the whole audit history."""
    runs = report_frame(con, "runs", account=account).to_dicts()
    resources = {
        (row["resource_type"], row["resource_id"]): Resource(
            row["resource_type"], row["resource_id"], row["name"] or row["resource_id"],
            row["integration_id"], bool(row["present"]),
        )
        for row in report_frame(con, "resource_directory", account=account).iter_rows(named=True)
    }
    flows_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    steps_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for flow_id, rtype, rid in report_frame(con, "flow_steps", account=account).iter_rows():
        flows_of[(rtype, rid)].add(flow_id)
        steps_of[flow_id].append((rtype, rid))
    events = report_frame(con, "audit_events_between", account=account, **{"from": None, "to": FAR_FUTURE})
    changes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in report_frame(
        con, "field_changes_between", account=account, **{"from": None, "to": FAR_FUTURE}
    ).iter_rows(named=True):
        changes[row["event_id"]].append(row)
    return ReportData(account, runs, resources, dict(flows_of), dict(steps_of), events, dict(changes))
