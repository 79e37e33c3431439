"""The overview's first screen: the verdict of the newest night and its "Needs attention"
rows, one linked row per item naming the resource and the field. Read from
flowaudit.attention (the digest reads the same Night), times shown in the display time zone
with UTC on hover."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flowaudit.attention import AttentionItem, Night
from flowaudit.report.display import flow_href
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text

FIRST_ROWS = 8  # rows shown open on the first screen; the others fold below them


@dataclass(frozen=True)
class LocalTime:
    """A moment as a person reads it (display time zone) and as it is stored (UTC)."""

    local: str
    utc: str
    iso: str


def local_time(moment: datetime | None, zone: str) -> LocalTime | None:
    """moment in zone ("2026-12-01 03:04 CET"), with its UTC text for the hover title."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    shown = aware.astimezone(ZoneInfo(zone))
    utc = aware.astimezone(UTC)
    return LocalTime(
        f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}",
        f"{utc:%Y-%m-%d %H:%M:%S} UTC",
        f"{utc:%Y-%m-%dT%H:%M:%SZ}",
    )


@dataclass(frozen=True)
class AttentionRow:
    kind: str
    what: str  # the kind in words
    detail: str  # why, when the kind does not say it; the old and new value of a field
    resource_type: str
    name: str
    field_path: str
    href: str
    person: str
    source: str
    when: LocalTime | None
    after: LocalTime | None = None  # an unexplained change happened after this...


@dataclass(frozen=True)
class Verdict:
    """The one line and the rows under it."""

    status: str  # healthy | incomplete | failed | running | none: the line's colour
    text: str
    period_from: LocalTime | None
    period_to: LocalTime | None
    counts: tuple[tuple[str, int], ...]  # (kind in words, items) in the rows' order
    first_rows: tuple[AttentionRow, ...]
    more_rows: tuple[AttentionRow, ...]
    timezone: str


def build_verdict(night: Night, zone: str) -> Verdict:
    """The overview's verdict block for night, times in zone."""
    run = night.last_run
    if run is None:
        status = "none"
    elif run["status"] in ("failed", "running"):
        status = run["status"]
    else:
        status = "healthy" if night.healthy else "incomplete"
    rows = tuple(_row(item, zone) for item in night.items)
    counts = Counter(row.what for row in rows)
    return Verdict(
        status=status,
        text=night.verdict(),
        period_from=local_time(night.period_from, zone),
        period_to=local_time(night.period_to, zone),
        counts=tuple(counts.items()),
        first_rows=rows[:FIRST_ROWS],
        more_rows=rows[FIRST_ROWS:],
        timezone=zone,
    )


def _row(item: AttentionItem, zone: str) -> AttentionRow:
    return AttentionRow(
        kind=item.kind,
        what=item.what,
        detail=_detail(item),
        resource_type=item.resource_type,
        name=cap_text(item.resource_name or item.resource_id, MAX_NAME_CHARS),
        field_path=item.field_path or "",
        href=_href(item),
        person=item.person or "",
        source=item.source or "",
        when=local_time(
            item.changed_before if item.kind == "unexplained" else item.changed_at, zone
        )
        if item.kind != "baseline"
        else None,
        after=local_time(item.changed_after, zone) if item.kind == "unexplained" else None,
    )


def _detail(item: AttentionItem) -> str:
    if item.detail:
        return item.detail
    return item.change  # the same short "old → new" the digest prints


def _href(item: AttentionItem) -> str:
    """Where the item is explained: the drift page for what no audit record explains and for
    the baseline, a flow's own page, else the recent changes."""
    if item.kind in ("unexplained", "baseline"):
        return "drift.html"
    if item.resource_type == "flow":
        return flow_href(item.resource_id)
    return "changes.html"
