"""What a report page is: a unit that plans its files, fetches their data, and builds each
page's context; the rendering (flowaudit.report.render) does the rest for every unit of
flowaudit.report.pages.PAGES alike.

- `plan(con, site)`: the unit's files: path, title, and a reuse key (None: always drawn
  anew). The key is a hash of everything the page shows and of how it is drawn (`site.salt`):
  when it equals the key of the same file in the previous report, that file is carried over
  (hard-linked) instead (flowaudit.report.reuse). Plans read only what keys need (ids,
  hashes, names), in SQL.
- `fetch(con, site, pages)`: all the SQL of the pages that must be drawn, read in batches;
  yields each page with its data.
- `build(site, page, data)`: pure: the page's typed context (flowaudit.report.contexts),
  rendered with the unit's template.
- A page may have one part that changes more often than the rest (a flow's run chart moves
  every night): `PagePlan.part` gives its own key, and when only that key changed the unit's
  `redraw_part(site, page, text)` draws the part again into the previous page's text
  (None: the page is drawn whole). A redrawn page is byte for byte the page a whole drawing
  gives (tests/report/test_reuse.py).

A page never queries the database while it is being built, and no unit depends on another
having run first: what several pages show is read once into the Site (flowaudit.report.site)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb

from flowaudit.report.site import Site

PART_SEPARATOR = "+"


@dataclass(frozen=True)
class PagePart:
    """The part of a page that may be drawn again alone: its key and what it is drawn from."""

    key: str
    data: Any = None


@dataclass(frozen=True)
class PagePlan:
    """One file of the report, as its unit planned it."""

    path: str  # relative to the report folder
    title: str
    key: str | None = None  # reuse key; None: drawn on every rendering
    args: Any = None  # what the unit needs to fetch this page (a flow id, a month part)
    part: PagePart | None = None  # a part with a key of its own (units.py docstring)

    @property
    def manifest_key(self) -> str | None:
        """The key written to pages.json: the page's, then its part's."""
        if self.key is None or self.part is None:
            return self.key
        return f"{self.key}{PART_SEPARATOR}{self.part.key}"

    @property
    def root(self) -> str:
        """The relative way back to the report folder from this page."""
        return "../" * self.path.count("/")


class PageUnit(Protocol):
    template: str

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]: ...

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, Any]]: ...

    def build(self, site: Site, page: PagePlan, data: Any) -> Any: ...
