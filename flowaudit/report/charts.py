"""The overview's charts beyond changes per day: each person's changes split by UI and API,
and an hour-of-day heatmap in the display time zone. Drawn as inline SVG and CSS by the
templates (no script, no library: the page stays offline)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class PersonSplit:
    """A person's changes, by source, with each part's share of the busiest person's bar (%)."""

    person: str
    ui: int
    api: int
    other: int
    ui_pct: float
    api_pct: float
    other_pct: float

    @property
    def total(self) -> int:
        return self.ui + self.api + self.other


@dataclass(frozen=True)
class HeatCell:
    weekday: int  # 0 Monday .. 6 Sunday
    hour: int
    changes: int
    level: float  # 0..1 of the busiest hour


@dataclass(frozen=True)
class Heatmap:
    timezone: str
    cells: tuple[HeatCell, ...]  # 7 x 24, Monday 00:00 first
    busiest: int
    total: int
    weekdays: tuple[str, ...] = WEEKDAYS


def people_split(rows: Iterable[tuple[str, int, int, int]]) -> tuple[PersonSplit, ...]:
    """people_by_source rows (person, ui, api, other) as bars scaled to the busiest person."""
    rows = [(p, int(u), int(a), int(o)) for p, u, a, o in rows]
    top = max((u + a + o for _p, u, a, o in rows), default=0) or 1
    return tuple(
        PersonSplit(p, u, a, o, 100 * u / top, 100 * a / top, 100 * o / top) for p, u, a, o in rows
    )


def heatmap(rows: Iterable[tuple[int, int, int]], timezone: str) -> Heatmap:
    """changes_by_hour rows (ISO weekday 1..7, hour, changes) as a full 7 x 24 grid."""
    counts = {(int(d) - 1, int(h)): int(n) for d, h, n in rows}
    busiest = max(counts.values(), default=0)
    cells = tuple(
        HeatCell(d, h, counts.get((d, h), 0), counts.get((d, h), 0) / busiest if busiest else 0.0)
        for d in range(7)
        for h in range(24)
    )
    return Heatmap(timezone, cells, busiest, sum(counts.values()))
