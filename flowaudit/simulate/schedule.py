"""When a simulated flow runs: Celigo's 6-field cron (`? 0 */6 ? * *`: seconds, minutes,
hours, day of month, month, day of week with 1 = Sunday, as Quartz reads it) evaluated in
the flow's time zone, as minutes of a UTC day.

The offset of a zone is taken at noon UTC of each day (a day that changes its offset runs
on the offset of its noon); an expression that cannot be read never runs, as the real
service would have refused to save it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MINUTES = 1440
_DAY_NAMES = {
    name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)
}
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}


class Cron:
    """A parsed expression: the allowed minutes, hours, days of month, months, weekdays
    (None = any)."""

    __slots__ = ("days", "hours", "minutes", "months", "weekdays")

    def __init__(self, minutes, hours, days, months, weekdays):
        self.minutes: tuple[int, ...] = minutes
        self.hours: tuple[int, ...] = hours
        self.days: frozenset[int] | None = days
        self.months: frozenset[int] | None = months
        self.weekdays: frozenset[int] | None = weekdays  # 1 = Sunday ... 7 = Saturday

    def times_on(self, month: int, day: int, quartz_weekday: int) -> tuple[int, ...]:
        """Minutes of a local day at which the expression fires (empty when it does not)."""
        if self.months is not None and month not in self.months:
            return ()
        if self.days is not None and day not in self.days:
            return ()
        if self.weekdays is not None and quartz_weekday not in self.weekdays:
            return ()
        return tuple(hour * 60 + minute for hour in self.hours for minute in self.minutes)


@cache
def parse_cron(expression: str) -> Cron | None:
    """The expression's fields, or None when it is not a 6-field cron the service accepts."""
    parts = expression.split() if isinstance(expression, str) else []
    if len(parts) != 6:
        return None
    try:
        minutes = _field(parts[1], 0, 59)
        hours = _field(parts[2], 0, 23)
        days = _field(parts[3], 1, 31)
        months = _field(parts[4], 1, 12, _MONTH_NAMES)
        weekdays = _field(parts[5], 1, 7, _DAY_NAMES)
    except ValueError:
        return None
    return Cron(
        tuple(sorted(minutes or range(60))),
        tuple(sorted(hours or range(24))),
        None if days is None else frozenset(days),
        None if months is None else frozenset(months),
        None if weekdays is None else frozenset(weekdays),
    )


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values of one field; None for `*` or `?` (any)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(part)
        if body in ("*", "?"):
            first, last = low, high
        elif "-" in body:
            first_text, last_text = body.split("-", 1)
            first, last = _value(first_text, names), _value(last_text, names)
        else:
            first = _value(body, names)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ValueError(part)
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


@lru_cache(maxsize=4096)
def zone_offset_minutes(zone: str | None, day: int) -> int:
    """Minutes a zone is ahead of UTC at noon of a UTC day (epoch days); 0 for no zone or
    one the machine's zone database does not know."""
    if not zone:
        return 0
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    noon = datetime(1970, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
    offset = noon.astimezone(info).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


@lru_cache(maxsize=16384)  # schedules x zones x the days being served
def utc_minutes(expressions: tuple[str, ...], zone: str | None, day: int) -> tuple[int, ...]:
    """The minutes of UTC day `day` (epoch days) at which any of the expressions fires in
    `zone`, sorted, each once."""
    crons = [cron for cron in map(parse_cron, expressions) if cron is not None]
    if not crons:
        return ()
    offset = zone_offset_minutes(zone, day)
    found: set[int] = set()
    # The UTC day overlaps the local days before, of and after it.
    for shift in (-1, 0, 1):
        local = datetime(1970, 1, 1) + timedelta(days=day + shift)
        quartz_weekday = (local.weekday() + 1) % 7 + 1  # Monday = 2 ... Sunday = 1
        for cron in crons:
            for minute in cron.times_on(local.month, local.day, quartz_weekday):
                utc = minute + shift * DAY_MINUTES - offset
                if 0 <= utc < DAY_MINUTES:
                    found.add(utc)
    return tuple(sorted(found))
