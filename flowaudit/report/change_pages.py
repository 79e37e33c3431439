"""The change-history pages: recent changes (changes.html: the last 7 days and everything
since the previous run, newest first, at most MAX_EVENTS_PER_PAGE records, with today's
names; drawn on every rendering) and the monthly archive (history/<month>[-<part>].html:
every record of a UTC month, in parts of MAX_EVENTS_PER_PAGE counted from the month's oldest,
each record as it was when it was made: names, flows and integrations then, so a closed
month's pages do not change night after night)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from flowaudit import jsonfast
from flowaudit.report.change_table import change_table, with_current_names
from flowaudit.report.contexts import ChangesPage, Link, Period
from flowaudit.report.queries import report_batches, report_rows
from flowaudit.report.reuse import page_key
from flowaudit.report.site import MAX_EVENTS_PER_PAGE, HistoryPart, Site
from flowaudit.report.units import PagePlan

# The recent changes page holds every record of its period up to this many: its filters and
# period switcher work on all of them (a row is ~200 bytes of data on the page).
MAX_RECENT_EVENTS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ChangeRows:
    """Audit records (change_table.SHOWN_COLUMNS rows, in the order shown) and their field
    changes by event id."""

    events: list[tuple]
    changes: dict[str, list[tuple]]
    in_period: int = 0  # records of the page's period (recent changes: maybe more than shown)
    off_hours: frozenset[str] = frozenset()  # event ids made outside business hours
    attention: frozenset[str] | None = None  # event ids needs_attention lists (recent changes)


class RecentChangesUnit:
    template = "changes.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        return [PagePlan("changes.html", "Recent changes")]

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, ChangeRows]]:
        start, _period = recent_window(site)
        found = report_rows(con, "recent_rows", account=site.account, limit=MAX_RECENT_EVENTS,
                            new_after=site.previous_success_at, **{"from": start})  # fmt: skip
        in_period = int(found[0][-1]) if found else 0
        events = with_current_names((row[:-1] for row in found), site)
        event_ids = [e[0] for e in events]
        changes = with_configurations(con, site.account, event_ids, field_changes_of(con, site.account, event_ids))
        off_hours = frozenset(r[0] for r in report_rows(con, "off_hours_of", account=site.account, event_ids=event_ids))
        attention = attention_events(con, site, start)
        rows = ChangeRows(events, changes, in_period, off_hours, attention)  # fmt: skip
        for page in pages:
            yield page, rows

    def build(self, site: Site, page: PagePlan, data: ChangeRows) -> ChangesPage:
        start, period = recent_window(site)
        left_out = ""
        if data.in_period > len(data.events):
            left_out = (
                f"This page shows the newest {len(data.events)} of {data.in_period} changes in the period; "
                "the older ones are on the monthly history pages linked below."
            )
        table = change_table("changes", data.events, data.changes, site, root="", off_hours=data.off_hours,
                             attention=data.attention)  # fmt: skip
        return ChangesPage(site.page(page.title), period, start, site.data_as_of, site.previous_success_at,
                           table, left_out, site.history_links(), periods=recent_periods(site))  # fmt: skip


def attention_events(con: duckdb.DuckDBPyConnection, site: Site, start: datetime | None) -> frozenset[str]:
    """The audit records after start that need attention: the overview's rule, the
    needs_attention macro, for every record the page can show (none is later than now)."""
    end = max(site.data_as_of or site.now, site.now) + timedelta(seconds=1)
    rows = report_rows(con, "attention_events", account=site.account, to=end, **{"from": start or _EPOCH})
    return frozenset(r[0] for r in rows)


def recent_periods(site: Site) -> tuple[Period, ...]:
    """The periods the recent-changes page switches between, the default first: since the
    previous run (what the last run brought), the last 7 days, everything the page holds."""
    as_of = site.data_as_of or site.now
    start, _description = recent_window(site)
    periods = []
    if site.previous_success_at is not None:
        periods.append(Period("last", f"Since the last run ({site.previous_success_at:%Y-%m-%d %H:%M} UTC)",
                              site.previous_success_at))  # fmt: skip
    periods.append(Period("week", "Last 7 days", as_of - timedelta(days=7)))
    periods.append(Period("all", f"All shown (since {start:%Y-%m-%d %H:%M} UTC)" if start else "All shown", None))
    return tuple(periods)


def recent_window(site: Site) -> tuple[datetime | None, str]:
    """Start of the recent-changes page and how to describe it."""
    as_of = site.data_as_of or site.now
    if site.since is not None:
        return site.since, f"Changes since {site.since:%Y-%m-%d %H:%M} UTC"
    week = as_of - timedelta(days=7)
    previous = site.previous_success_at
    start = min(week, previous) if previous else week
    return (
        start,
        f"Changes since {start:%Y-%m-%d %H:%M} UTC (the last 7 days, and since the previous run)",
    )


class HistoryUnit:
    template = "changes.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        content = {
            (month, part): key
            for month, part, key in report_rows(
                con, "history_keys", account=site.account, per_page=MAX_EVENTS_PER_PAGE
            )
        }
        plans = []
        for part in site.history:
            siblings = [s.title for s in _siblings(site, part)]
            key = page_key(
                site.salt, part.path, part.title, siblings, content.get((part.month, part.part))
            )
            plans.append(PagePlan(part.path, part.title, key, part))
        return plans

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, ChangeRows]]:
        if not pages:
            return
        wanted = {(page.args.month, page.args.part): page for page in pages}
        # A month at a time (only the months the pages need), oldest record first, a batch at
        # a time: a part is handed on as soon as its last record is read. One query for every
        # month at once would hold all their field changes in DuckDB at once (~400 MB on a
        # large account's first report).
        for month in sorted({month for month, _part in wanted}):
            params = {"account": site.account, "from": _month_start(month), "to": _next_month_start(month),
                      "per_page": MAX_EVENTS_PER_PAGE}  # fmt: skip
            current: tuple[str, int] | None = None
            events: list[tuple] = []
            changes: dict[str, list[tuple]] = {}
            for row_month, part, *event, event_changes in report_batches(con, "history_rows", **params):
                if (row_month, part) != current:
                    if current in wanted:
                        yield wanted[current], ChangeRows(events[::-1], changes)  # newest first
                    current, events, changes = (row_month, part), [], {}
                if current in wanted:
                    events.append(tuple(event))
                    changes[event[0]] = changes_from_json(event_changes)
            if current in wanted:
                yield wanted[current], ChangeRows(events[::-1], changes)

    def build(self, site: Site, page: PagePlan, data: ChangeRows) -> ChangesPage:
        part: HistoryPart = page.args
        siblings = tuple(Link(s.title, s.file_name) for s in _siblings(site, part))
        table = change_table("changes", data.events, data.changes, site, root=page.root)
        return ChangesPage(site.page(page.title, page.root, reusable=True), part.title, None, None, None, table,
                           "", (*siblings, Link("all periods", "../index.html#links"),
                                Link("evidence for this month", f"../audit.html#evidence-{part.month}")))  # fmt: skip


def _month_start(month: str) -> datetime:
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)


def _next_month_start(month: str) -> datetime:
    return (_month_start(month) + timedelta(days=32)).replace(day=1)


def _siblings(site: Site, part: HistoryPart) -> list[HistoryPart]:
    return [p for p in site.history if p.month == part.month and p != part]


def field_changes_of(
    con: duckdb.DuckDBPyConnection, account: str, event_ids: list[str]
) -> dict[str, list[tuple]]:
    """The field changes of these records, by event id, in record order."""
    if not event_ids:
        return {}
    return _changes_by_event(
        report_rows(con, "field_changes_of", account=account, event_ids=event_ids)
    )


def with_configurations(
    con: duckdb.DuckDBPyConnection, account: str, event_ids: list[str], changes: dict[str, list[tuple]]
) -> dict[str, list[tuple]]:
    """The field changes, with the configuration a create made (or the last one known before a
    delete) as one whole-resource change for each create or delete that records none."""
    bare = [event_id for event_id in event_ids if not changes.get(event_id)]
    if not bare:
        return changes
    found = dict(changes)
    for event_id, event, doc in report_rows(con, "configurations_of_events", account=account, event_ids=bare):
        if doc is not None:
            created = event == "create"
            found[event_id] = [(0, "", not created, None if created else doc, created, doc if created else None)]
    return found


def changes_from_json(text: str | None) -> list[tuple]:
    """A record's field changes given as JSON text by a report query (a list of [position,
    path, old_present, old, new_present, new], every item text) as field-change rows."""
    if text is None:
        return []
    return [
        (int(position), path, old_present == "true", old, new_present == "true", new)
        for position, path, old_present, old, new_present, new in jsonfast.loads(text)
    ]


def _changes_by_event(rows: Any) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = defaultdict(list)
    for event_id, *change in rows:
        found[event_id].append(tuple(change))
    return found
