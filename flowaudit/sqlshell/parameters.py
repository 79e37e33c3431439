"""`$name` parameters of `flowaudit sql`: names, defaults declared in the SQL, and UTC values.

Values are text (the SQL casts them). One exception to "as given": a date-time with a UTC
offset (`2026-01-01T00:00+05:00`) is converted to UTC (`2025-12-31T19:00:00Z`), because
DuckDB's CAST to TIMESTAMP would drop the offset and keep the local wall time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flowaudit.errors import UsageError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DECLARED = re.compile(
    r"^[ \t]*--[ \t]*@param[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
    r"(?:'(?P<quoted>(?:[^']|'')*)'|(?P<bare>\S*))",
    re.MULTILINE,
)
_WITH_OFFSET = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.(?P<fraction>\d+))?)?)"
    r"(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})?$"
)


def check_names(params: dict[str, str]) -> None:
    """Refuse a parameter name DuckDB could not bind as `$name`."""
    for name in params:
        if not _NAME.match(name):
            raise UsageError(f"invalid parameter name {name!r} (letters, digits, _)")


def declared_parameters(sql: str) -> dict[str, str]:
    """Defaults declared in comment lines: `-- @param days = 7` or `-- @param who = 'a b'`.

    An empty default (`-- @param person =`) declares a parameter that must be given."""
    defaults: dict[str, str] = {}
    for match in _DECLARED.finditer(sql):
        if match["quoted"] is not None:
            defaults[match["name"]] = match["quoted"].replace("''", "'")
        elif match["bare"]:
            defaults[match["name"]] = match["bare"]
    return defaults


def in_utc(value: str) -> str:
    """A date-time with a UTC offset rewritten in UTC with `Z`; any other text unchanged."""
    match = _WITH_OFFSET.match(value.strip())
    if not match:
        return value
    fraction = (match["fraction"] or "")[:6]  # Python keeps microseconds, as DuckDB does
    seconds = match["time"].split(".")[0]
    if seconds.count(":") == 1:
        seconds += ":00"
    offset = f"{match['sign']}{match['hours']}:{match['minutes'] or '00'}"
    text = f"{match['date']}T{seconds}{'.' + fraction.ljust(6, '0') if fraction else ''}{offset}"
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return value  # not a real date-time (month 13, ...): the SQL's cast will say so
    sub_second = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + sub_second + "Z"
