"""The Audit page (audit.html): what an auditor looks for first, and the way to the
evidence of any month.

A static page cannot run a command, and pre-built evidence folders for every month would
cost a rendering's time and disk each night while going stale the moment a late record
arrives; so each month of history gets its coverage, its counts and the exact
`flowaudit evidence` command that writes its folder (docs/decisions.md). Below that: the
drift register's open items with their age, the rule violations and the changes whose
approval needs a look since the recent-changes window began, the rules in force and the
head of the hash chain. Data flows one way: `fetch_audit_data` reads, `build_audit_page`
builds the context; `AuditUnit` is the page's unit (flowaudit.report.units), drawn on every
rendering."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from flowaudit.audit_trail.chain import Link, head
from flowaudit.audit_trail.rules import RuleSet, rules_differ
from flowaudit.logs import get_logger
from flowaudit.report.change_pages import recent_window
from flowaudit.report.contexts import Link as PageLink
from flowaudit.report.contexts import Page
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan

log = get_logger(__name__)
MAX_ROWS = 500  # rows of one list on the page


@dataclass(frozen=True)
class EvidenceMonth:
    """One month of history: its coverage, counts, and the command writing its evidence."""

    month: str  # YYYY-MM
    complete: bool
    gaps: tuple[str, ...]
    events: int
    unexplained: int
    violations: int
    tickets_missing: int
    command: str
    history: tuple[PageLink, ...]


@dataclass(frozen=True)
class AuditRow:
    """One row of a list: a change, a violation or a register item, ready to show."""

    when: datetime | None
    what: str
    who: str
    state: str
    detail: str
    href: str = ""


@dataclass(frozen=True)
class AuditPage:
    page: Page
    since: datetime | None
    months: tuple[EvidenceMonth, ...]
    open_items: tuple[AuditRow, ...]
    register_counts: dict[str, int]
    violations: tuple[AuditRow, ...]
    violation_counts: dict[str, int]
    approvals: tuple[AuditRow, ...]
    approval_counts: dict[str, int]
    rules: dict[str, Any] | None
    rules_note: str
    chain_head: Link | None
    left_out: str = ""


@dataclass
class AuditData:
    """What the page reads from the database, once."""

    months: list[dict[str, Any]]
    coverage: dict[str, tuple[bool, list[dict[str, Any]]]]
    register: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    rules: dict[str, Any] | None
    rules_differ: bool
    chain_head: Link | None


class AuditUnit:
    template = "audit.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        return [PagePlan("audit.html", "Audit")]

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, AuditData]]:
        if not pages:
            return
        start, _period = recent_window(site)
        data = fetch_audit_data(con, site.account, site.rules, start)
        for page in pages:
            yield page, data

    def build(self, site: Site, page: PagePlan, data: AuditData) -> AuditPage:
        start, _period = recent_window(site)
        by_month: dict[str, tuple[PageLink, ...]] = {}
        for part in site.history:
            by_month[part.month] = (*by_month.get(part.month, ()), PageLink(part.title, part.path))
        return build_audit_page(data, site.page(page.title), since=start, history=by_month)


def fetch_audit_data(
    con: duckdb.DuckDBPyConnection, account: str, rules: RuleSet | None, since: datetime | None
) -> AuditData:
    """Everything the Audit page shows, read once."""
    months = report_frame(con, "audit_months", account=account).to_dicts()
    coverage = {}
    for row in months:
        start, end = month_bounds(row["month"])
        found = report_frame(
            con, "audit_coverage_of", account=account, **{"from": start, "to": end}
        ).to_dicts()
        coverage[row["month"]] = (
            bool(found and found[0]["complete"]),
            found[0]["gaps"] if found else [],
        )
    in_force = report_frame(con, "audit_rules", account=account).to_dicts()
    return AuditData(
        months=months,
        coverage=coverage,
        register=report_frame(con, "audit_drift_register", account=account).to_dicts(),
        violations=report_frame(
            con, "audit_violations", account=account, since=since, limit=MAX_ROWS + 1
        ).to_dicts(),
        approvals=report_frame(con, "audit_approvals", account=account, since=since).to_dicts(),
        rules=in_force[0] if in_force else None,
        rules_differ=rules is not None and rules_differ(con, account, rules),
        chain_head=head(con, account),
    )


def build_audit_page(
    data: AuditData,
    page: Page,
    *,
    since: datetime | None,
    history: dict[str, tuple[PageLink, ...]],
) -> AuditPage:
    """The page's context; history: each month's history pages (links from the page's folder)."""
    account = page.account
    months = tuple(
        EvidenceMonth(
            row["month"], data.coverage[row["month"]][0],
            tuple(f"{_utc(g['gap_from'])} to {_utc(g['gap_to'])}" for g in data.coverage[row["month"]][1]),
            int(row["events"]), int(row["unexplained"]), int(row["violations"]), int(row["tickets_missing"]),
            evidence_command(account, row["month"]), history.get(row["month"], ()),
        )
        for row in data.months
    )  # fmt: skip
    open_items = tuple(
        AuditRow(
            row["changed_before"], f"{row['resource_type']} {_name(row['resource_name'])}",
            "", f"item {row['item']}", f"{row['field_path'] or '(whole resource)'} {row['change']}; "
            f"open {row['age_days']:g} days (changed after {_utc(row['changed_after'])})",
        )
        for row in data.register
        if row["status"] == "open"
    )  # fmt: skip
    violations = tuple(
        AuditRow(row["time"], f"{row['resource_type']} {_name(row['resource_name'])}",
                 _name(row["user_email"] or ""), row["rule"], row["detail"])
        for row in data.violations[:MAX_ROWS]
    )  # fmt: skip
    needs_a_look = [row for row in data.approvals if row["needs_a_look"]]
    approvals = tuple(
        AuditRow(row["time"], f"{row['resource_type']} {_name(row['resource_name'])}",
                 _name(row["user_email"] or ""), row["state"] + (" (overdue)" if row["overdue"] else ""),
                 _approval_detail(row))
        for row in needs_a_look[:MAX_ROWS]
    )  # fmt: skip
    left_out = []
    if len(data.violations) > MAX_ROWS:
        left_out.append(f"the newest {MAX_ROWS} rule violations are listed")
    if len(needs_a_look) > MAX_ROWS:
        left_out.append(
            f"the newest {MAX_ROWS} of {len(needs_a_look)} changes whose approval needs a look are listed"
        )
    note = ""
    if data.rules_differ:
        note = (
            "The rules in the settings differ from the rules in force below (stored by the last command "
            "that wrote the database); the next run stores them."
        )
        log.warning(
            "the [rules] settings differ from the rules in force in the database; the next run stores them"
        )
    return AuditPage(
        page=page, since=since, months=months, open_items=open_items,
        register_counts=_counts(data.register, "status", "in_status"),
        violations=violations, violation_counts=dict(sorted(_counts(data.violations, "rule", "in_rule").items())),
        approvals=approvals, approval_counts=_counts(data.approvals, "state", "in_state"),
        rules=data.rules, rules_note=note, chain_head=data.chain_head,
        left_out="; ".join(left_out) + ("; the evidence folder of a month holds them all." if left_out else ""),
    )  # fmt: skip


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """A 'YYYY-MM' month as its half-open period in UTC."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC), datetime(
        year + number // 12, number % 12 + 1, 1, tzinfo=UTC
    )


def evidence_command(account: str, month: str) -> str:
    """The command line that writes a month's evidence folder."""
    start, end = month_bounds(month)
    chosen = "" if account == "default" else f" --account {_quoted(account)}"
    return (
        f"flowaudit evidence{chosen} --from {start:%Y-%m-%d} --to {end:%Y-%m-%d} "
        f"--out {_quoted(f'evidence-{account}-{month}')}"
    )


def _quoted(text: str) -> str:
    if all(ch.isalnum() or ch in "-_.:/" for ch in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _counts(rows: list[dict[str, Any]], key: str, count: str) -> dict[str, int]:
    return {row[key]: int(row[count]) for row in rows}


def _approval_detail(row: dict[str, Any]) -> str:
    if row["state"] == "no ticket":
        return "no ticket, though the rules require one"
    approved = _utc(row["approved_at"]) if row["approved_at"] else "?"
    return f"ticket {row['ticket']} approved by {_name(row['approver'] or '')} at {approved}"


def _name(text: str | None) -> str:
    return cap_text(text or "", MAX_NAME_CHARS)


def _utc(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
