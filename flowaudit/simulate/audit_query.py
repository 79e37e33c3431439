"""Selecting audit records the way `GET /v1/audit` does: filters, retention, and pages
in the documented order (time descending, then _id descending), continued by a position
cursor that stays valid while new records are appended."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from flowaudit.simulate.store import ROW_EVENT, ROW_SOURCE, ROW_TYPE, ROW_USER, AuditLog

RESOURCE_TYPES = (
    "accesstoken", "agent", "api", "asynchelper", "connection", "ediprofile", "environment",
    "export", "filedefinition", "flow", "iclient", "import", "integration", "lookupcache",
    "notification", "revision", "script", "ssoclient", "stack", "user",
)  # fmt: skip
SOURCES = ("api", "connector", "script", "sso", "stack", "system", "ui")
ACTIONS = ("create", "delete", "purge", "restore", "signin", "signout", "update", "view")


@dataclass(frozen=True)
class AuditFilter:
    """The filters of one audit request; None means "any"."""

    resource_type: str | None = None
    resources: tuple[tuple[str, str], ...] | None = None  # (resourceType, id) keys to include
    source: str | None = None
    action: str | None = None
    by_user_id: str | None = None
    from_ms: int | None = None  # inclusive
    to_ms: int | None = None  # exclusive


def select_page(
    log: AuditLog, flt: AuditFilter, *, visible_from_ms: int, before: int | None, limit: int
) -> tuple[list[int], int | None]:
    """Positions of one page of matching rows, newest first, and the cursor of the next page.

    `before` is the cursor: only positions below it are considered."""
    low = bisect.bisect_left(log.times, max(visible_from_ms, flt.from_ms or visible_from_ms))
    high = len(log.times) if flt.to_ms is None else bisect.bisect_left(log.times, flt.to_ms)
    if before is not None:
        high = min(high, before)
    if high <= low:
        return [], None
    rows = log.rows
    user_index = _user_index(log, flt.by_user_id)
    if flt.by_user_id is not None and user_index is None:
        return [], None

    def matches(position: int) -> bool:
        row = rows[position]
        return (
            (flt.resource_type is None or row[ROW_TYPE] == flt.resource_type)
            and (flt.source is None or row[ROW_SOURCE] == flt.source)
            and (flt.action is None or row[ROW_EVENT] == flt.action)
            and (user_index is None or row[ROW_USER] == user_index)
        )

    found: list[int] = []
    for position in _candidates(log, flt, low, high):
        if not matches(position):
            continue
        if len(found) == limit:
            # One more match exists: the page is full and there is a next one.
            return found, found[-1]
        found.append(position)
    return found, None


def _candidates(log: AuditLog, flt: AuditFilter, low: int, high: int):
    if flt.resources is None:
        return range(high - 1, low - 1, -1)
    merged: list[int] = []
    for key in flt.resources:
        positions = log.by_resource.get(key, ())
        merged.extend(positions[bisect.bisect_left(positions, low) : bisect.bisect_left(positions, high)])
    merged.sort(reverse=True)
    return merged


def _user_index(log: AuditLog, user_id: str | None) -> int | None:
    if user_id is None:
        return None
    for index, user in enumerate(log.users):
        if user["_id"] == user_id:
            return index
    return None
