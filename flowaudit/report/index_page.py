"""The overview (index.html): the night's verdict and what needs attention (the first
screen, flowaudit.report.verdict), the last run and how fresh the data is, gaps in the audit
history, what the account holds, changes per day, the most changed flows and most active
people, the drift in numbers, and links to every other page. Drawn on every rendering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from flowaudit.attention import Night, read_night
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.charts import heatmap, people_split
from flowaudit.report.contexts import IndexPage, Ranked, RunSummary
from flowaudit.report.display import bar_chart, flow_href
from flowaudit.report.flow_list import flow_groups
from flowaudit.report.impact import build_failures, fetch_failures
from flowaudit.report.queries import report_frame
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan
from flowaudit.report.verdict import build_verdict
from flowaudit.secrets import scrub

_BEGINNING = datetime.min.replace(tzinfo=UTC)  # a full run's oldest window starts nowhere


@dataclass(frozen=True)
class IndexData:
    counts: dict[str, int]  # resources per type now
    days: dict[int, list[tuple[Any, int]]]  # changes per day, for the last 30 and 90 days
    top_flows: list[tuple[str, int]]
    top_people: list[tuple[str, int]]
    windows: list[tuple[datetime | None, datetime]]  # audit windows known complete
    oldest_record: datetime | None
    failures: Any = None  # impact.fetch_failures: changes followed by failures, or None
    night: Night | None = None  # the verdict and what needs attention (flowaudit.attention)
    people_by_source: list[tuple] = ()  # (person, ui, api, other), the busiest first
    by_hour: list[tuple] = ()  # (ISO weekday, hour, changes) in the display time zone
    notifications: list[dict] = ()  # the newest digests sent or tried (view notifications)


class IndexUnit:
    template = "index.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        return [PagePlan("index.html", "Overview")]

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, IndexData]]:
        as_of = site.data_as_of or site.now
        account = site.account
        window = {"account": account, "from": as_of - timedelta(days=90), "to": as_of}
        days = {
            n: list(report_frame(con, "changes_per_day", account=account,
                                 **{"from": as_of - timedelta(days=n - 1), "to": as_of}).iter_rows())
            for n in (30, 90)
        }  # fmt: skip
        oldest = con.execute(
            "SELECT min(time) FROM store.audit_records WHERE account = $account",
            {"account": account},
        ).fetchall()[0][0]
        data = IndexData(
            counts=dict(report_frame(con, "current_counts", account=account).iter_rows()),
            days=days,
            top_flows=list(report_frame(con, "top_flows", limit=10, **window).iter_rows()),
            top_people=list(report_frame(con, "top_people", limit=10, **window).iter_rows()),
            windows=list(report_frame(con, "audit_coverage", account=account).iter_rows()),
            oldest_record=oldest,
            failures=fetch_failures(con, account, site.data_as_of),
            night=read_night(con, account, baseline=pinned_name(site)),
            people_by_source=list(report_frame(con, "people_by_source", limit=10, **window).iter_rows()),
            by_hour=list(report_frame(con, "changes_by_hour", zone=site.display_timezone, **window).iter_rows()),
            notifications=report_frame(con, "notifications_recent", account=account, limit=10).to_dicts(),
        )
        for page in pages:
            yield page, data

    def build(self, site: Site, page: PagePlan, data: IndexData) -> IndexPage:
        # The types a run can do without are counted when the account has some (their listing
        # may not be readable with the token: a 0 would claim more than is known).
        counts = tuple(Ranked(t.plural_title, int(data.counts.get(t.name, 0))) for t in RESOURCE_TYPES
                       if not t.optional or data.counts.get(t.name))  # fmt: skip
        counts += (Ranked("audit records", sum(part.records for part in site.history)),)
        gaps, covered_since = audit_gaps(site, data.windows, data.oldest_record)
        comparison = site.comparison
        return IndexPage(
            page=site.page(page.title),
            last_run=run_summary(site.runs[0] if site.runs else None),
            last_success=run_summary(site.successful_runs[0] if site.successful_runs else None),
            counts=counts,
            charts=tuple(bar_chart(f"Last {n} days", data.days[n], **day_marks(site)) for n in (30, 90)),
            top_flows=tuple(
                Ranked(site.name_of("flow", fid), int(n), flow_href(fid))
                for fid, n in data.top_flows
            ),
            top_people=tuple(Ranked(p, int(n)) for p, n in data.top_people),
            drift=comparison.summary
            if comparison.baseline is not None and comparison.current_at
            else None,
            audit_gaps=gaps,
            audit_covered_since=covered_since,
            clock_notes=clock_notes(site),
            history_links=site.history_links(),
            flow_links=tuple(site.flow_link(fid, "") for fid in site.flow_ids()),
            flow_groups=flow_groups(site),
            failures=build_failures(*data.failures) if data.failures is not None else None,
            verdict=build_verdict(data.night, site.display_timezone) if data.night is not None else None,
            people_split=people_split(data.people_by_source),
            heatmap=heatmap(data.by_hour, site.display_timezone),
            notifications=tuple(shown_notification(n) for n in data.notifications),
        )


def day_marks(site: Site) -> dict:
    """The UTC days the newest run brought (from the previous successful run's day to the data's)
    and the day the data was read on, which had not ended: the day charts mark them."""
    as_of = site.data_as_of
    if as_of is None:
        return {}
    as_of = as_of.astimezone(UTC)
    previous = site.previous_success_at
    last_night = (previous.astimezone(UTC).date(), as_of.date()) if previous is not None else None
    return {"last_night": last_night, "partial": as_of.date()}


def shown_notification(row: dict) -> dict:
    """A digest's row as the overview shows it: its error scrubbed of any secret known here."""
    return {**row, "error": scrub(row["error"]) if row.get("error") else ""}


def pinned_name(site: Site) -> str | None:
    """The pinned baseline the report compares with, if one is named."""
    baseline = site.comparison.baseline
    return baseline.pin.name if baseline is not None and baseline.pin is not None else None


def run_summary(row: dict | None) -> RunSummary | None:
    if row is None:
        return None
    return RunSummary(
        row["run_id"], row["status"], row["mode"], row["started_at"], row["finished_at"],
        row["observed_at"], row["error"] or "",
    )  # fmt: skip


def audit_gaps(
    site: Site, windows: list[tuple[datetime | None, datetime]], oldest_record: datetime | None
) -> tuple[tuple[str, ...], datetime | None]:
    """Periods of audit history not known complete, and since when it is known complete.

    Only complete windows of the whole account's /audit read by succeeded runs count
    (queries/reports/audit_coverage.sql); the history is claimed up to the newest succeeded
    run's audit end, so a stretch only a per-flow or a capped run read is named."""
    claimed = [read_until(r) for r in site.successful_runs if r["audit_to"] is not None]
    if not claimed:
        return (), None
    until = max(claimed)
    # A full run reads the audit log from its beginning (window_from NULL).
    spans = [(begin or _BEGINNING, end) for begin, end in windows]
    if not spans:
        return (
            f"everything up to {until:%Y-%m-%d %H:%M} UTC (no run read the account's whole audit log)",
        ), None
    gaps, (start, covered_to) = [], spans[0]
    for begin, end in spans[1:]:
        if begin > covered_to:
            gaps.append(_period(covered_to, begin))
        covered_to = max(covered_to, end)
    if covered_to < until:
        gaps.append(_period(covered_to, until))
    if start == _BEGINNING:
        start = oldest_record
    return tuple(gaps), start


def read_until(run: dict) -> datetime:
    """How far a run's audit reading can vouch for: its end, but for a run loaded before
    flowaudit bounded the observation time by the local clock (no `clock` recorded), no
    later than the run's own finish (queries/reports/audit_coverage.sql does the same)."""
    if run.get("clock") is None and run.get("finished_at") is not None:
        return min(run["audit_to"], run["finished_at"])
    return run["audit_to"]


def clock_notes(site: Site) -> tuple[str, ...]:
    """What the newest successful run says about clocks: a server clock far ahead (its
    observation time bounded) and a stored watermark it did not trust."""
    runs = site.successful_runs
    if not runs:
        return ()
    run, notes = runs[0], []
    clock = _json_object(run.get("clock"))
    if clock.get("bounded"):
        notes.append(
            f"Run #{run['run_id']}: the API's clock ran {clock.get('skew_seconds')} s ahead of this "
            f"machine's (its Date said {clock.get('server_last')}); the run's observation time was "
            f"held to {run['observed_at']:%Y-%m-%d %H:%M:%S} UTC (clock_tolerance_seconds)."
        )
    if run.get("watermark_distrusted") is not None:
        start = run["audit_from"]
        notes.append(
            f"Run #{run['run_id']} did not trust the stored audit watermark "
            f"{run['watermark_distrusted']:%Y-%m-%d %H:%M:%S} UTC (later than this machine's clock "
            "allows) and re-read the audit log "
            + ("from the beginning." if start is None else f"from {start:%Y-%m-%d %H:%M:%S} UTC.")
        )
    return tuple(notes)


def _json_object(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _period(begin: datetime, end: datetime) -> str:
    return f"{begin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
