"""A flow's schedule in words: integrator.io's 6-field cron (`? 0 3 ? * 2-6`: seconds,
minutes, hours, day of month, month, day of week with 1 = Sunday, as Quartz reads it) and
its time zone as a reader says it ("at 03:00, Monday to Friday (Europe/Berlin)"). Pure; a
form it does not know is None, and the page shows the raw text instead."""

from __future__ import annotations

import re

_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DAY_NAMES = {name[:3].upper(): number for number, name in enumerate(_DAYS, 1)}
_NUMBER = re.compile(r"\d{1,2}")
_STEP = re.compile(r"(?:\*|0)/(\d{1,2})")


def schedule_in_words(cron: str | None, timezone: str | None = None) -> str | None:
    """The schedule as words with its time zone, or None when its form is not one known here."""
    parts = cron.split() if isinstance(cron, str) else []
    if (
        len(parts) != 6
        or parts[0] not in ("?", "0")
        or parts[3] not in ("?", "*")
        or parts[4] != "*"
    ):
        return None
    when = _times(parts[1], parts[2])
    days = _days(parts[5])
    if when is None or days is None:
        return None
    zone = f"({timezone})" if timezone else "(the account's time zone)"
    return f"{when}, {days} {zone}"


def _times(minute: str, hour: str) -> str | None:
    step = _STEP.fullmatch(minute)
    if step and hour == "*":
        every = int(step.group(1))
        return "every minute" if every == 1 else f"every {every} minutes"
    if not _NUMBER.fullmatch(minute) or int(minute) > 59:
        return None
    step = _STEP.fullmatch(hour)
    if step:
        every = int(step.group(1))
        return (
            f"every hour at :{int(minute):02d}"
            if every == 1
            else f"every {every} hours at :{int(minute):02d}"
        )
    if hour == "*":
        return f"every hour at :{int(minute):02d}"
    hours = hour.split(",")
    if not all(_NUMBER.fullmatch(h) and int(h) < 24 for h in hours):
        return None
    times = [f"{int(h):02d}:{int(minute):02d}" for h in sorted(hours, key=int)]
    return "at " + _and(times)


def _days(text: str) -> str | None:
    if text in ("*", "?"):
        return "every day"
    said: list[str] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        first, last = _day(low), _day(high) if high else _day(low)
        if first is None or last is None or last < first:
            return None
        if last - first >= 2:
            said.append(f"{_DAYS[first - 1]} to {_DAYS[last - 1]}")  # a range is said as one
        else:
            said.extend(_DAYS[day - 1] for day in range(first, last + 1))
    single = len(said) == 1 and " to " not in said[0]
    return ("on " if single else "") + _and(said)


def _day(text: str) -> int | None:
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    return _DAY_NAMES.get(text.upper())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
