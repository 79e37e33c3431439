"""The overview's "Changes followed by failures": the changes of the last 30 days after
which a flow failed clearly more often (the view `changes_followed_by_failures`), naming
the change, the person who made it and how much the flow's error rate rose.

`fetch_failures` reads them (one query); `build_failures` is pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl

from flowaudit.report.contexts import Link
from flowaudit.report.display import flow_file_name
from flowaudit.report.masking import cap_text
from flowaudit.report.queries import report_frame

PERIOD = timedelta(days=30)
MAX_ROWS = 10
MAX_NAME = 200


@dataclass(frozen=True)
class FailureRow:
    """One change and the flow that failed more often after it."""

    changed_at: datetime
    change: str  # "import Post orders: mapping.fields"
    person: str
    source: str
    label: str
    flow: Link
    before: str  # "2% of 170 runs"
    after: str
    rise: str  # "+78 points"
    event_id: str


@dataclass(frozen=True)
class FailureList:
    since: datetime
    until: datetime
    rows: tuple[FailureRow, ...]
    more: bool = False  # more such changes than shown


def fetch_failures(
    con: duckdb.DuckDBPyConnection, account: str, as_of: datetime | None
) -> tuple[pl.DataFrame, datetime, datetime] | None:
    """The changes followed by failures in the 30 days up to as_of (one row more than shown);
    None when flowaudit has read no job of the account (nothing to say either way)."""
    if not report_frame(con, "has_jobs", account=account).item():
        return None
    until = as_of or datetime.now(UTC)
    since = until - PERIOD
    frame = report_frame(con, "changes_followed_by_failures", account=account, limit=MAX_ROWS + 1,
                         **{"from": since, "to": until})  # fmt: skip
    return frame, since, until


def build_failures(
    frame: pl.DataFrame, since: datetime, until: datetime, root: str = ""
) -> FailureList:
    """The overview's rows, likeliest first."""
    rows = []
    for row in frame.head(MAX_ROWS).iter_rows(named=True):
        fields = ", ".join(row["fields"] or ())
        what = f"{row['resource_type']} {cap_text(row['resource_name'] or row['resource_id'], MAX_NAME)}"
        person = (
            row["user_name"]
            or row["user_email"]
            or ("nobody known (unexplained)" if row["label"] == "unexplained" else "unknown")
        )
        rows.append(
            FailureRow(
                changed_at=row["changed_at"],
                change=f"{what}: {fields}" if fields else what,
                person=cap_text(person, MAX_NAME),
                source=row["source"] or "",
                label=row["label"] or "",
                flow=Link(
                    cap_text(row["flow_name"] or row["flow_id"], MAX_NAME),
                    f"{root}flows/{flow_file_name(row['flow_id'])}",
                ),
                before=_rate(row["error_rate_before"], row["runs_before"]),
                after=_rate(row["error_rate_after"], row["runs_after"]),
                rise=f"+{round(100 * row['rise'])} points",
                event_id=row["event_id"] or "",
            )
        )
    return FailureList(since, until, tuple(rows), frame.height > MAX_ROWS)


def _rate(rate: float | None, runs: int) -> str:
    if rate is None:
        return "no run"
    return f"{round(100 * rate)}% of {runs} run{'s' if runs != 1 else ''}"
