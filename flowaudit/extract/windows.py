"""Time windows for reading the audit log in parallel.

A full read covers the vendor's retention (about 13 months back from the observation
time) in equal windows, plus one open-ended window for anything older; an incremental read
covers [since, now) in windows of the same length, so a nightly run is a single window."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

RETENTION_MONTHS = 13


@dataclass(frozen=True)
class AuditWindow:
    """[start, end] of audit time to read; start None = everything up to end."""

    start: datetime | None
    end: datetime

    def params(self) -> dict[str, str]:
        """The `from`/`to` query parameters of this window."""
        params = {"to": api_time(self.end)}
        if self.start is not None:
            params = {"from": api_time(self.start), **params}
        return params


def api_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.sssZ` in UTC, the API's time format."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (day clamped to the month)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def plan_windows(now: datetime, since: datetime | None, *, parts: int) -> list[AuditWindow]:
    """Windows covering the whole history (since None) or [since, now]."""
    parts = max(1, parts)
    retention_start = months_before(now, RETENTION_MONTHS)
    if since is None:
        return [AuditWindow(None, retention_start), *split(retention_start, now, parts)]
    start = min(since, now)
    slice_length = (now - retention_start) / parts
    count = min(parts, max(1, math.ceil((now - start) / slice_length)))
    return split(start, now, count)


def split(start: datetime, end: datetime, count: int) -> list[AuditWindow]:
    """count equal, adjoining windows from start to end (bounds on whole milliseconds)."""
    span = end - start
    bounds = [to_millisecond(start + span * i / count) for i in range(count)] + [end]
    return [AuditWindow(bounds[i], bounds[i + 1]) for i in range(count)]


def to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
