"""The change-process rules of `flowaudit.toml`'s `[rules]` table, as settings: their names,
defaults and how one value is read and checked (config.py calls `coerce_rule` once per
value, so a bad rule is one line and exit 3 before anything runs).

A rule setting is text in the file or the environment; each becomes a normalised value
(business hours as "HH:MM-HH:MM", days as ("mon", ...), freeze windows as
"label: YYYY-MM-DD..YYYY-MM-DD") that `flowaudit.audit_trail.rules.RuleSet` turns into what
the `rules` table stores and the `rule_violations` view reads."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_BUSINESS_HOURS = "08:00-18:00"
DEFAULT_BUSINESS_DAYS = ("mon", "tue", "wed", "thu", "fri")
DEFAULT_BUSINESS_TIMEZONE = "UTC"
# Emergency changes (approved after they were made) should be approved within three days: a
# Friday-night fix is then reviewed by Monday without being flagged.
DEFAULT_EMERGENCY_REVIEW_HOURS = 72.0

# The keys of the [rules] table (also Settings fields and FLOWAUDIT_<KEY> variables).
RULE_KEYS = frozenset(
    {
        "business_hours",
        "business_days",
        "business_timezone",
        "freeze_windows",
        "api_users",
        "ticket_required_integrations",
        "ticket_required_types",
        "emergency_review_hours",
    }
)
# In the environment, api_users=none says "nobody may change through the API" (an empty
# variable counts as unset, like every FLOWAUDIT_* variable).
NOBODY = "none"

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_WINDOW = re.compile(
    rf"^(?:(?P<label>.+?)\s*:\s*)?(?P<first>{_DATE})(?:\s*\.\.\s*(?P<last>{_DATE}))?$"
)
_MAX_ITEMS = 1000
_MAX_TEXT = 200


def coerce_rule(key: str, value: Any) -> Any:
    """One [rules] value in its normalised form; ValueError saying what is wrong."""
    if key == "business_hours":
        return business_hours(_text(value))
    if key == "business_days":
        return business_days(value)
    if key == "business_timezone":
        return time_zone(_text(value))
    if key == "freeze_windows":
        return tuple(freeze_window(item) for item in _items(value))
    if key == "api_users":
        if isinstance(value, str) and value.strip().lower() == NOBODY:
            return ()
        return tuple(item.strip().lower() for item in _items(value))
    if key == "ticket_required_integrations":
        return tuple(item.strip() for item in _items(value))
    if key == "ticket_required_types":
        return tuple(item.strip().lower() for item in _items(value))
    if key == "emergency_review_hours":
        return review_hours(value)
    raise KeyError(key)


def business_hours(text: str) -> str:
    """ "8:00-18:00" -> "08:00-18:00"; the end must come after the start on the same day."""
    match = _HOURS.match(text.strip())
    if match is None:
        raise ValueError("business hours look like 08:00-18:00")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_m > 59 or end_m > 59 or start_h > 23 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError("not a time of day")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start >= end:
        raise ValueError("business hours must end after they start, on the same day")
    return f"{start_h:02d}:{start_m:02d}-{end_h:02d}:{end_m:02d}"


def hours_in_minutes(text: str) -> tuple[int, int]:
    """A normalised "HH:MM-HH:MM" as (first minute, minute after the last) of the day."""
    start, end = text.split("-")
    return _minutes(start), _minutes(end)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def business_days(value: Any) -> tuple[str, ...]:
    """["mon", "tue"] or "mon-fri" or "mon,wed,fri" -> the days in week order."""
    days: set[int] = set()
    for item in _items(value):
        word = item.strip().lower()
        if "-" in word:
            first, _, last = (part.strip()[:3] for part in word.partition("-"))
            start, end = _weekday(first), _weekday(last)
            if start > end:
                raise ValueError(f"{item!r}: a range of days runs forward, e.g. mon-fri")
            days.update(range(start, end + 1))
        else:
            days.add(_weekday(word[:3]))
    if not days:
        raise ValueError("at least one business day is needed")
    return tuple(WEEKDAYS[index] for index in sorted(days))


def _weekday(word: str) -> int:
    if word not in WEEKDAYS:
        raise ValueError(f"{word!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")
    return WEEKDAYS.index(word)


def time_zone(text: str) -> str:
    """An IANA time zone name ("Europe/Berlin", "UTC")."""
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone name (an IANA name such as Europe/Berlin)") from None
    return name


def freeze_window(item: str) -> str:
    """ "2026-12-20..2027-01-04" (both days included) or "2026-12-24", optionally labelled
    "year end: ..."; normalised to "label: first..last"."""
    match = _WINDOW.match(item.strip())
    if match is None:
        raise ValueError(f"{item!r}: a freeze window looks like 2026-12-20..2027-01-04")
    try:
        first = date.fromisoformat(match["first"])
        last = date.fromisoformat(match["last"] or match["first"])
    except ValueError:
        raise ValueError(f"{item!r}: not a date") from None
    if last < first:
        raise ValueError(f"{item!r}: the window ends before it starts")
    label = (match["label"] or "freeze").strip()
    return f"{label}: {first.isoformat()}..{last.isoformat()}"


def window_parts(normalised: str) -> tuple[str, date, date]:
    """A normalised freeze window as (label, first day, last day)."""
    label, _, days = normalised.rpartition(": ")
    first, _, last = days.partition("..")
    return label, date.fromisoformat(first), date.fromisoformat(last)


def review_hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a number of hours is needed")
    hours = float(value)
    if not 0 < hours <= 8760:  # nan fails this too
        raise ValueError("must be more than 0 and at most 8760 hours")
    return hours


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("text is needed")
    return value


def _items(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise ValueError("a list of texts is needed")
    items = [item for item in items if item.strip()]
    if len(items) > _MAX_ITEMS or any(
        len(item) > _MAX_TEXT or not item.isprintable() for item in items
    ):
        raise ValueError(f"at most {_MAX_ITEMS} items of at most {_MAX_TEXT} printable characters")
    return items
