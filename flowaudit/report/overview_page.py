"""The cross-account overview (`OUT/index.html` of `run --accounts`): one line per account
with its verdict, its last successful run, its unexplained changes and a link to its reports.

Data flows one way: each account's database is read once (`fetch_account_facts`), each
verdict is judged by one pure function (`judge`: issue 11's manager's verdict and "needs
attention" count replace that function alone), and the page is built and written whole,
atomically, so a reader never sees half of it."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.errors import FlowauditError, ReportOutputError
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.migrations import check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.report.contexts import Link, Page
from flowaudit.report.environment import make_environment
from flowaudit.report.output import LATEST

OVERVIEW_FILE = "index.html"
# Verdict states, worst first: the order of the page's summary.
STATES = ("failed", "no data", "incomplete", "healthy")


@dataclass(frozen=True)
class AccountEntry:
    """An account the overview lists: where its data and reports are, and how tonight went."""

    label: str
    db: Path
    reports: Path  # the account's report folder (its `latest/` is linked)
    failure: str | None = None  # why tonight's run of it failed; None when it did not


@dataclass(frozen=True)
class AccountFacts:
    """What an account's database says about it (queries/reports/account_overview.sql)."""

    label: str
    last_run_id: int | None = None
    last_status: str | None = None
    last_started_at: datetime | None = None
    last_error: str | None = None
    success_run_id: int | None = None
    success_observed_at: datetime | None = None
    success_audit_complete: bool | None = None
    success_listings_complete: bool = False
    unexplained_changes: int = 0
    unexplained_found_last: int = 0
    unreadable: str | None = None  # why the database could not be read


@dataclass(frozen=True)
class Verdict:
    """An account's verdict: its state, in words, and (issue 11) what needs attention."""

    state: str  # one of STATES
    reason: str
    needs_attention: int | None = None  # None until issue 11 counts it


@dataclass(frozen=True)
class AccountLine:
    label: str
    verdict: Verdict
    facts: AccountFacts
    failure: str
    reports: Link | None


@dataclass(frozen=True)
class OverviewPage:
    page: Page
    lines: tuple[AccountLine, ...]
    states: tuple[tuple[str, int], ...]  # (state, accounts), worst first, only those present
    needs_attention_known: bool  # whether any verdict counts "needs attention" yet


def fetch_account_facts(entries: list[AccountEntry]) -> dict[str, AccountFacts]:
    """Each account's facts, every database opened once (read-only); an unreadable database
    gives facts that say why, never an exception."""
    by_db: dict[Path, list[str]] = {}
    for entry in entries:
        by_db.setdefault(entry.db, []).append(entry.label)
    facts: dict[str, AccountFacts] = {}
    for db, labels in by_db.items():
        try:
            rows = _read_facts(db, labels)
        except FlowauditError as exc:
            rows = [{"label": label, "unreadable": exc.message} for label in labels]
        for row in rows:
            facts[row["label"]] = AccountFacts(**row)
    return facts


def _read_facts(db: Path, labels: list[str]) -> list[dict[str, Any]]:
    from flowaudit.report.queries import report_frame

    if not db.exists():
        return [{"label": label, "unreadable": "no database yet"} for label in labels]
    con = connect(db, read_only=True)
    try:
        check_schema(con)
        check_public_schema(con)
        frame = report_frame(con, "account_overview", accounts=labels)
    except duckdb.Error as exc:
        raise FlowauditError(describe_duckdb_error(db, exc)) from None
    finally:
        con.close()
    return [{"label": row.pop("account"), **row} for row in frame.to_dicts()]


def judge(facts: AccountFacts, failure: str | None) -> Verdict:
    """An account's verdict from its facts and tonight's failure (if any).

    Issue 11 (a manager's verdict, "needs attention") replaces this function: it receives
    everything the overview knows of the account and returns its Verdict."""
    if failure is not None:
        since = (
            f"; its reports show the data of {facts.success_observed_at:%Y-%m-%d %H:%M} UTC, marked stale"
            if facts.success_observed_at
            else ""
        )
        return Verdict("failed", f"tonight's run failed{since}")
    if facts.unreadable:
        return Verdict("no data", facts.unreadable)
    if facts.success_run_id is None:
        return Verdict("no data", "no successful run yet")
    if facts.last_status == "failed":
        return Verdict("failed", "its newest run failed; its reports are marked stale")
    if not facts.success_audit_complete or not facts.success_listings_complete:
        what = "audit log" if not facts.success_audit_complete else "listings"
        return Verdict("incomplete", f"the last successful run did not read its whole {what}")
    return Verdict("healthy", "the last run succeeded and read everything")


def build_overview(
    entries: list[AccountEntry], facts: dict[str, AccountFacts], page: Page, out_dir: Path
) -> OverviewPage:
    """The page's context: one line per account, in the order given."""
    lines = []
    for entry in entries:
        known = facts.get(entry.label, AccountFacts(entry.label, unreadable="not read"))
        latest = entry.reports / LATEST / "index.html"
        link = Link("reports", os.path.relpath(latest, out_dir)) if latest.is_file() else None
        lines.append(
            AccountLine(entry.label, judge(known, entry.failure), known, entry.failure or "", link)
        )
    counts = {state: sum(1 for line in lines if line.verdict.state == state) for state in STATES}
    return OverviewPage(
        page=page,
        lines=tuple(lines),
        states=tuple((state, n) for state, n in counts.items() if n),
        needs_attention_known=any(line.verdict.needs_attention is not None for line in lines),
    )


def render_overview(
    out_dir: Path,
    entries: list[AccountEntry],
    *,
    templates_dir: Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Write OUT/index.html, the overview of every account; return its path."""
    now = now or datetime.now(UTC)
    facts = fetch_account_facts(entries)
    seen = [f.success_observed_at for f in facts.values() if f.success_observed_at]
    page = Page(
        title="Accounts overview",
        account=f"{len(entries)} account{'s' if len(entries) != 1 else ''}",
        generated_at=now,
        data_as_of=min(seen)
        if seen
        else None,  # the oldest: what every line is at least as fresh as
    )
    context = build_overview(entries, facts, page, out_dir)
    html = make_environment(templates_dir).get_template("overview.html").render(ctx=context)
    return _write_atomically(out_dir / OVERVIEW_FILE, html)


def _write_atomically(path: Path, text: str) -> Path:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ReportOutputError(
            f"cannot write {path}: {exc.strerror or exc.__class__.__name__}"
        ) from None
    return path
