"""Everything the reports read from the database (the public views), loaded once per rendering.

Audit records and field changes stay polars frames; field changes become Python rows only
for the records a rendered page shows (`load_changes`), so a night that reuses most pages
does not pay for the whole history (see flowaudit.report.views for the view objects)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
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
    flows_of: dict[tuple[str, str], set[str]]  # (type, id) of a step -> flow ids that ever used it
    events: pl.DataFrame  # audit_events rows, flow_ids included
    field_change_rows: pl.DataFrame
    shown_fields: dict[str, Any] = field(default_factory=dict, repr=False)
    _changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
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

    def integration_of(self, resource_type: str, resource_id: str, flow_ids: list[str] | None = None) -> str:
        """The integration name a resource belongs to (through its flows for steps)."""
        if resource_type == "integration":
            return self.name_of("integration", resource_id)
        if resource_type == "flow":
            found = self.resources.get(("flow", resource_id))
            integration = found.integration_id if found else None
            return self.name_of("integration", integration) if integration else "(standalone)"
        flows = flow_ids if flow_ids is not None else self.flows_of.get((resource_type, resource_id), ())
        return ", ".join(sorted({self.integration_of("flow", f) for f in flows}))

    def events_of_flow(self, flow_id: str) -> pl.DataFrame:
        """The audit records attributed to a flow: its own and its exports'/imports' (flow_ids)."""
        if self._by_flow is None:
            exploded = self.events.with_columns(pl.col("flow_ids").alias("flow_id")).explode("flow_id")
            self._by_flow = {
                key[0]: frame.drop("flow_id")
                for key, frame in exploded.filter(pl.col("flow_id").is_not_null()).group_by("flow_id")
            }
        return self._by_flow.get(flow_id, self.events.clear())

    def flow_ids(self) -> list[str]:
        return sorted(
            (rid for (rtype, rid) in self.resources if rtype == "flow"),
            key=lambda fid: (self.name_of("flow", fid).lower(), fid),
        )

    def load_changes(self, event_ids: set[str] | None = None) -> None:
        """Make the field changes of these records (None = all) available to changes_of."""
        rows = self.field_change_rows
        if event_ids is not None:
            rows = rows.filter(pl.col("event_id").is_in(list(event_ids - self._changes.keys())))
        for row in rows.iter_rows(named=True):
            self._changes.setdefault(row["event_id"], []).append(row)

    def changes_of(self, event_id: str) -> list[dict[str, Any]]:
        """The field-change rows of one audit record (load_changes must have covered it)."""
        return self._changes.get(event_id, [])



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
            row["resource_type"], row["resource_id"],
            cap_text(row["name"] or row["resource_id"], MAX_NAME_CHARS),
            row["integration_id"], bool(row["present"]),
        )
        for row in report_frame(con, "resource_directory", account=account).iter_rows(named=True)
    }
    flows_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for flow_id, rtype, rid in report_frame(con, "flow_steps", account=account).iter_rows():
        flows_of[(rtype, rid)].add(flow_id)
    window = {"account": account, "from": None, "to": FAR_FUTURE}
    events = capped_names(report_frame(con, "audit_events_between", **window))
    changes = report_frame(con, "field_changes_between", **window)
    data = ReportData(account, runs, resources, dict(flows_of), events, changes)
    data.events = with_labels(events, data)
    return data


# Text columns of audit events that pages print as they are (a name, a person).
_NAME_COLUMNS = ("resource_name", "user_name", "user_email", "source", "event")


def capped_names(events: pl.DataFrame) -> pl.DataFrame:
    """Names and people of audit events cut at MAX_NAME_CHARS, saying what was left out."""
    columns = [c for c in _NAME_COLUMNS if c in events.columns and events.schema[c] == pl.String]
    if not columns or events.height == 0:
        return events
    return events.with_columns(
        pl.when(pl.col(c).str.len_chars() > MAX_NAME_CHARS)
        .then(
            pl.concat_str([
                pl.col(c).str.slice(0, MAX_NAME_CHARS), pl.lit("… "),
                (pl.col(c).str.len_chars() - MAX_NAME_CHARS).cast(pl.String),
                pl.lit(" more characters"),
            ])
        )
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    )  # fmt: skip


def with_labels(events: pl.DataFrame, data: ReportData) -> pl.DataFrame:
    """Add `label`: the record's id and every name a page prints beside it (resource, flows,
    integrations), so a page's key changes when a name it shows changes."""
    flow_ids = [rid for (rtype, rid) in data.resources if rtype == "flow"]
    names = pl.DataFrame(
        {
            "flow_id": flow_ids,
            "flow_label": [f"{data.name_of('flow', f)}/{data.integration_of('flow', f)}" for f in flow_ids],
        },
        schema={"flow_id": pl.String, "flow_label": pl.String},
    )
    per_event = (
        events.select("event_id", pl.col("flow_ids").alias("flow_id"))
        .explode("flow_id")
        .join(names, on="flow_id", how="left")
        .group_by("event_id")
        .agg(pl.col("flow_label").fill_null("").sort().str.join("|"))
    )
    return (
        events.join(per_event, on="event_id", how="left")
        .with_columns(
            pl.concat_str(
                [pl.col("event_id"), pl.col("resource_name").fill_null(""), pl.col("flow_label").fill_null("")],
                separator="\t",
            ).alias("label")
        )
        .drop("flow_label")
        .sort("time", "event_id")
    )
