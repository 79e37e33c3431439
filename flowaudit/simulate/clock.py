"""Simulated time: integer milliseconds since the epoch inside the simulator, and the
three text forms the API uses (record times, the `from`/`to` filters, the HTTP Date)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_day_prefix_cache: dict[int, str] = {}

# `YYYY-MM-DDTHH:mm:ss.SSS[Z]`; the milliseconds and the Z may be left out.
_FILTER_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?$")


def iso(ms: int) -> str:
    """`2026-11-01T02:00:00.000Z` for a time in epoch milliseconds."""
    day, rest = divmod(ms, DAY_MS)
    prefix = _day_prefix_cache.get(day)
    if prefix is None:
        prefix = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
        _day_prefix_cache[day] = prefix
    # One format call: this runs for every change of every generated history.
    return "%s%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        prefix, rest // HOUR_MS, rest // MINUTE_MS % 60, rest // 1000 % 60, rest % 1000
    )


def to_ms(when: datetime) -> int:
    """Epoch milliseconds of an aware datetime (a naive one is taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000


def to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def parse_filter_time(text: str) -> int | None:
    """Epoch ms of a `from`/`to` filter value, or None when it is not in the documented form."""
    match = _FILTER_TIME.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, millis = match.groups()
    try:
        when = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
    return to_ms(when) + int((millis or "0").ljust(3, "0"))


def parse_any_time(value: datetime | str | int) -> int:
    """Epoch ms of a datetime, an ISO-8601 string or an int (already ms)."""
    if isinstance(value, datetime):
        return to_ms(value)
    if isinstance(value, int):
        return value
    parsed = parse_filter_time(value)
    if parsed is not None:
        return parsed
    return to_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))


def http_date(ms: int) -> str:
    """RFC 7231 IMF-fixdate, e.g. `Sun, 01 Nov 2026 02:00:00 GMT`."""
    return format_datetime(to_datetime(ms - ms % 1000), usegmt=True)
