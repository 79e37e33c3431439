"""What every page of a report shares, read from the database once before any page: the
account's runs (how fresh the data is), the resource directory (every name a page prints),
the plan of the monthly history pages (several pages link to them), the comparison with the
baseline (the drift pages list it, the index sums it up), and how a page is headed.

`fetch_site` runs all of this SQL; a `Site` is then only read. A page unit gets the Site and
its own fetched data (flowaudit.report.units)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from flowaudit.report.comparison import Comparison, fetch_comparison
from flowaudit.report.contexts import Link, Page
from flowaudit.report.display import RESOURCE_ROWS_PER_PAGE, flow_href
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.step_names import fetch_name_history

NAV = (
    ("Overview", "index.html"), ("Recent changes", "changes.html"), ("Drift", "drift.html"),
    ("Audit", "audit.html"), ("Access", "access.html"), ("Scripts and resources", "resources.html"),
)  # fmt: skip
MAX_EVENTS_PER_PAGE = 1000  # change-history rows on one page


@dataclass(frozen=True)
class Resource:
    resource_type: str
    resource_id: str
    name: str  # capped for printing (MAX_NAME_CHARS)
    integration_id: str | None
    present: bool


@dataclass(frozen=True)
class HistoryPart:
    """One archive page of the change history: a month, or one part of a busy month.
    Parts hold MAX_EVENTS_PER_PAGE records each, counted from the month's oldest, so a new
    record changes only the month's last part."""

    month: str  # YYYY-MM (UTC)
    part: int  # 1 = the month's oldest records
    parts: int
    records: int  # in this part

    @property
    def file_name(self) -> str:
        return f"{self.month}.html" if self.parts == 1 else f"{self.month}-{self.part}.html"

    @property
    def path(self) -> str:
        return f"history/{self.file_name}"

    @property
    def title(self) -> str:
        if self.parts == 1:
            return f"Changes in {self.month}"
        return f"Changes in {self.month} (part {self.part} of {self.parts})"


@dataclass(frozen=True)
class Site:
    """Shared facts of one rendering (see the module docstring)."""

    account: str
    now: datetime
    since: datetime | None  # start of the recent-changes page, when given
    pattern: str  # secret_field_pattern
    volatile: tuple[str, ...]
    runs: tuple[dict[str, Any], ...]  # newest first
    stale_since: datetime | None
    stale_reason: str
    directory: dict[tuple[str, str], Resource]
    history: tuple[HistoryPart, ...]  # newest month first, parts in order
    comparison: Comparison
    salt: str = ""  # what every reuse key shares (templates, report code, settings)
    rules: Any = None  # the [rules] settings (flowaudit.audit_trail.rules.RuleSet): the Audit page
    display_timezone: str = "UTC"  # the setting: times a person reads (UTC on hover)
    # With a pinned baseline, the drift page also shows the night's: against the previous run.
    since_previous: Comparison | None = None
    _flow_ids: list[str] = field(default_factory=list, repr=False)
    _flow_integrations: dict[str, str] = field(default_factory=dict, repr=False)
    _resource_counts: dict[str, int] = field(default_factory=dict, repr=False)
    step_names: Any = None  # the names steps had over time (report/step_names.py): change tables
    # Field values as pages show them, by (masked whole, JSON text): flowaudit.report.change_table.
    shown_values: dict[tuple[bool, str], Any] = field(default_factory=dict, repr=False)

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
        found = self.directory.get((resource_type, resource_id))
        return found.name if found and found.name else resource_id

    def integration_of(
        self, resource_type: str, resource_id: str, flow_ids: Sequence[str] = ()
    ) -> str:
        """The integration name a resource belongs to (through its flows for steps)."""
        if resource_type == "integration":
            return self.name_of("integration", resource_id)
        if resource_type == "flow":
            known = self._flow_integrations.get(resource_id)
            if known is None:
                found = self.directory.get(("flow", resource_id))
                integration = found.integration_id if found else None
                known = self.name_of("integration", integration) if integration else "(standalone)"
                self._flow_integrations[resource_id] = known
            return known
        if len(flow_ids) == 1:
            return self.integration_of("flow", flow_ids[0])
        return ", ".join(sorted({self.integration_of("flow", f) for f in flow_ids}))

    def flow_ids(self) -> list[str]:
        """Every flow the account ever had, by name: one page each."""
        if not self._flow_ids:
            flows = [rid for (rtype, rid) in self.directory if rtype == "flow"]
            self._flow_ids.extend(
                sorted(flows, key=lambda fid: (self.name_of("flow", fid).lower(), fid))
            )
        return self._flow_ids

    def resource_count(self, resource_type: str) -> int:
        """How many resources of a type the account has or had."""
        count = self._resource_counts.get(resource_type)
        if count is None:
            count = self._resource_counts[resource_type] = sum(1 for rtype, _rid in self.directory if rtype == resource_type)
        return count

    def resource_parts(self, resource_type: str) -> int:
        """How many pages list the resources of a type (display.resource_page)."""
        return max(1, -(-self.resource_count(resource_type) // RESOURCE_ROWS_PER_PAGE))

    def flow_link(self, flow_id: str, root: str) -> Link:
        return Link(self.name_of("flow", flow_id), flow_href(flow_id, root))

    def history_links(self, root: str = "") -> tuple[Link, ...]:
        return tuple(Link(part.title, f"{root}{part.path}") for part in self.history)

    def page(self, title: str, root: str = "", *, reusable: bool = False) -> Page:
        """The header every page starts with."""
        return Page(
            title=title, account=self.account, generated_at=self.now, data_as_of=self.data_as_of,
            stale_since=self.stale_since, stale_reason=self.stale_reason, root=root,
            nav=tuple(Link(text, root + href) for text, href in NAV), reusable=reusable,
        )  # fmt: skip


def fetch_site(
    con: duckdb.DuckDBPyConnection,
    account: str,
    *,
    now: datetime,
    since: datetime | None,
    pattern: str,
    volatile: tuple[str, ...],
    baseline: str | None,
    stale_since: datetime | None,
) -> Site:
    """Read what every page shares (see the module docstring)."""
    runs = tuple(report_frame(con, "runs", account=account).to_dicts())
    directory = {
        (row["resource_type"], row["resource_id"]): Resource(
            row["resource_type"], row["resource_id"], cap_text(row["name"] or row["resource_id"], MAX_NAME_CHARS),
            row["integration_id"], bool(row["present"]),
        )
        for row in report_frame(con, "resource_directory", account=account).iter_rows(named=True)
    }  # fmt: skip
    history = plan_history(report_frame(con, "history_months", account=account).iter_rows())
    stale, reason = staleness(runs, stale_since)
    successful = [r for r in runs if r["status"] == "succeeded" and r["observed_at"]]
    comparison = fetch_comparison(con, account, successful, baseline, volatile=volatile)
    since_previous = None
    if baseline is not None:
        since_previous = fetch_comparison(con, account, successful, None, volatile=volatile)
    return Site(
        account, now, since, pattern, volatile, runs, stale, reason, directory, history, comparison,
        since_previous=since_previous, step_names=fetch_name_history(con, account),
    )


def plan_history(months: Any) -> tuple[HistoryPart, ...]:
    """(month, records) rows -> the archive pages, newest month first."""
    parts = []
    for month, records in sorted(months, reverse=True):
        count = -(-int(records) // MAX_EVENTS_PER_PAGE)
        for number in range(1, count + 1):
            held = min(MAX_EVENTS_PER_PAGE, int(records) - (number - 1) * MAX_EVENTS_PER_PAGE)
            parts.append(HistoryPart(month, number, count, held))
    return tuple(parts)


def staleness(
    runs: Sequence[dict[str, Any]], given: datetime | None
) -> tuple[datetime | None, str]:
    """Stale when the caller says so, or when the newest run failed after the last success."""
    last = runs[0] if runs else None
    reason = (last["error"] or "") if last and last["status"] == "failed" else ""
    if given is not None:
        return given, reason
    if last is not None and last["status"] == "failed":
        successful = [r for r in runs if r["status"] == "succeeded" and r["observed_at"]]
        return (successful[0]["observed_at"] if successful else last["started_at"]), reason
    return None, ""


def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC time (a naive one is read as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
