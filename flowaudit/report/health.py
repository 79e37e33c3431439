"""A flow's runs beside its changes: the flow page's timeline of runs and runs with errors
per day (the last 30 UTC days of the data), with the flow's versions and its steps'
changes marked where they happened. Drawn as inline SVG by the page's template: no script,
no library.

`fetch_flow_health` reads every flow's days once (one query); `build_health_chart` is pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from flowaudit.report.change_table import SHOWN_COLUMNS
from flowaudit.report.contexts import FlowVersion
from flowaudit.report.queries import report_frame

CHART_DAYS = 30
WIDTH, HEIGHT = 720, 140
MAX_STEP_MARKS = 20  # a shared step's changes beyond this are summed up in the note

# (day, runs, runs with errors, failed runs)
HealthRow = tuple[date, int, int, int]


@dataclass(frozen=True)
class HealthDay:
    day: str
    runs: int
    with_errors: int
    failed: int
    x: float
    width: float
    runs_y: float
    runs_height: float
    errors_y: float
    errors_height: float


@dataclass(frozen=True)
class HealthMark:
    """A change drawn on the chart: a version of the flow, or a change of one of its steps."""

    kind: str  # version | step
    x: float
    label: str
    title: str


@dataclass(frozen=True)
class HealthChart:
    title: str
    width: int
    height: int
    days: tuple[HealthDay, ...]
    marks: tuple[HealthMark, ...]
    max_runs: int
    first_label: str
    last_label: str
    total_runs: int
    total_with_errors: int
    note: str = ""


def chart_period(as_of: datetime | None) -> tuple[date, date]:
    """The first and last UTC day the charts show."""
    last = (as_of or datetime.now(UTC)).astimezone(UTC).date()
    return last - timedelta(days=CHART_DAYS - 1), last


def fetch_flow_health(
    con: duckdb.DuckDBPyConnection, account: str, first: date, last: date
) -> dict[str, list[HealthRow]]:
    """Every flow's days with runs in [first, last], oldest first."""
    frame = report_frame(con, "flow_health", account=account, first=first, last=last)
    found: dict[str, list[HealthRow]] = {}
    for flow_id, day, runs, with_errors, failed in frame.iter_rows():
        found.setdefault(flow_id, []).append((day, int(runs), int(with_errors), int(failed)))
    return found


def health_key(rows: Sequence[HealthRow], first: date, last: date) -> list:
    """What a flow page's chart shows, for its page key: a flow that did not run in the
    period shows no chart, so its page does not change with the date."""
    return [first, last, list(rows)] if rows else []


def steps_changes(events: Iterable[tuple]) -> list[tuple[datetime, str, str]]:
    """(time, what, who) of the records of a flow's exports and imports, from the flow
    page's change rows (change_table.SHOWN_COLUMNS)."""
    found = []
    for row in events:
        record = dict(zip(SHOWN_COLUMNS, row, strict=False))
        if record["resource_type"] == "flow":
            continue
        what = f"{record['resource_type']} {record['resource_name'] or record['resource_id']} ({record['event']})"
        found.append((utc_instant(record["time"]), what, record["user_name"] or ""))
    return found


def utc_instant(moment: datetime | str) -> datetime:
    """An aware UTC time from a datetime or ISO-8601 text ("...Z")."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def build_health_chart(
    rows: Sequence[HealthRow],
    first: date,
    last: date,
    versions: Iterable[FlowVersion],
    step_changes: Iterable[tuple[datetime, str, str]] = (),
) -> HealthChart:
    """The chart of one flow: a bar per day (runs, and the part with errors), and marks.

    step_changes: (time, what changed, who) of the flow's exports and imports."""
    by_day = {row[0]: row for row in rows}
    span = (last - first).days + 1
    slot = WIDTH / span
    top = max((row[1] for row in rows if first <= row[0] <= last), default=0)
    days = []
    for offset in range(span):
        day = first + timedelta(days=offset)
        _, runs, with_errors, failed = by_day.get(day, (day, 0, 0, 0))
        runs_height = 0.0 if top == 0 else HEIGHT * runs / top
        errors_height = 0.0 if top == 0 else HEIGHT * with_errors / top
        days.append(
            HealthDay(day.isoformat(), runs, with_errors, failed, offset * slot + slot * 0.12,
                      max(slot * 0.76, 0.5), HEIGHT - runs_height, runs_height,
                      HEIGHT - errors_height, errors_height)
        )  # fmt: skip
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = start + timedelta(days=span)

    def x_of(moment: datetime) -> float:
        return WIDTH * (moment - start) / (end - start)

    marks = [
        HealthMark("version", x_of(utc_instant(v.valid_from)), f"v{v.number}",
                   f"Version {v.number} from {utc_instant(v.valid_from):%Y-%m-%d %H:%M} UTC")
        for v in versions
        if v.valid_from and start <= utc_instant(v.valid_from) < end
    ]  # fmt: skip
    in_period = sorted(
        (c for c in step_changes if start <= c[0] < end), key=lambda c: c[0], reverse=True
    )
    marks += [
        HealthMark(
            "step",
            x_of(moment),
            "",
            f"{moment:%Y-%m-%d %H:%M} UTC: {what}" + (f" by {who}" if who else ""),
        )
        for moment, what, who in in_period[:MAX_STEP_MARKS]
    ]
    notes = []
    if top == 0:
        notes.append(f"flowaudit has read no run of this flow from {first} to {last}")
    if len(in_period) > MAX_STEP_MARKS:
        notes.append(
            f"the {len(in_period) - MAX_STEP_MARKS} oldest changes of its steps in the period are not marked"
        )
    return HealthChart(
        title=f"Runs per day, {first} to {last} (UTC)",
        width=WIDTH,
        height=HEIGHT,
        days=tuple(days),
        marks=tuple(sorted(marks, key=lambda m: m.x)),
        max_runs=top,
        first_label=first.isoformat(),
        last_label=last.isoformat(),
        total_runs=sum(d.runs for d in days),
        total_with_errors=sum(d.with_errors for d in days),
        note=_sentence("; ".join(notes)),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""
