"""The period of an evidence folder: half-open `[start, end)`, instants in UTC.

A bound is a date (midnight UTC) or a date and time; a time without an offset is UTC, one
with an offset is converted (never truncated). Its text in files is ISO-8601 with a Z."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flowaudit.errors import UsageError


@dataclass(frozen=True)
class Period:
    start: datetime  # included
    end: datetime  # excluded

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise UsageError(
                f"the period must end after it starts: [{iso_z(self.start)}, {iso_z(self.end)}) is empty"
            )

    @property
    def label(self) -> str:
        return f"[{iso_z(self.start)}, {iso_z(self.end)})"


def parse_bound(text: str, option: str) -> datetime:
    """`2026-01-01`, `2026-01-01T12:00`, `2026-01-01T12:00Z` or `...+05:00` -> aware UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} must be a date or time like 2026-01-01 or 2026-01-01T12:00+01:00, not {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    """An instant as ISO-8601 UTC with a Z (seconds, or microseconds when it has them)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"
