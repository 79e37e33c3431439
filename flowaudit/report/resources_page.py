"""The "scripts and other resources" pages: every export, import, connection, script,
lookup cache, file definition, iClient, async helper and stack the account has or had, with
how many versions flowaudit knows, its newest change and the flows it is attributed to.
resources.html lists the types with few resources and links to the pages of exports,
imports and connections (`resources/<type>[-<part>].html`, at most about
display.RESOURCE_ROWS_PER_PAGE rows each; each row an anchor a flow page's steps link to).
Scripts link to their pages; users and API tokens are on the access review page. Drawn on
every rendering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.account_contexts import ResourceRow, ResourceSection, ResourcesPage
from flowaudit.report.contexts import Link
from flowaudit.report.display import resource_anchor, resource_page, script_file_name
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan

# Types with pages of their own elsewhere (flows, access review); exports, imports and
# connections are here so that a flow page's steps link to their rows.
_ELSEWHERE = ("integration", "flow", "user", "accesstoken")
TYPES = tuple(t for t in RESOURCE_TYPES if t.name not in _ELSEWHERE)
MAX_FLOW_LINKS = 10
# Types a flow's steps link to, on pages of their own (display.resource_page).
SPLIT_TYPES = ("export", "import", "connection")


class ResourcesUnit:
    template = "resources.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        plans = [PagePlan("resources.html", "Scripts and other resources")]
        for t in TYPES:
            if t.name not in SPLIT_TYPES:
                continue
            parts = site.resource_parts(t.name)
            title = t.plural_title[:1].upper() + t.plural_title[1:]
            for part in range(1, parts + 1):
                path = f"resources/{t.name}.html" if parts == 1 else f"resources/{t.name}-{part}.html"
                plans.append(PagePlan(path, title if parts == 1 else f"{title} ({part} of {parts})", args=t.name))
        return plans

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, list[dict[str, Any]]]]:
        if pages:
            rows = report_frame(
                con, "account_resources", account=site.account, types=[t.name for t in TYPES]
            ).to_dicts()
            by_page: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                rtype = row["resource_type"]
                path = (resource_page(rtype, row["resource_id"], site.resource_parts(rtype))
                        if rtype in SPLIT_TYPES else "resources.html")  # fmt: skip
                by_page.setdefault(path, []).append(row)
            for page in pages:
                yield page, by_page.get(page.path, [])

    def build(self, site: Site, page: PagePlan, rows: list[dict[str, Any]]) -> ResourcesPage:
        by_type: dict[str, list[ResourceRow]] = {t.name: [] for t in TYPES}
        for row in rows:
            rtype, rid = row["resource_type"], row["resource_id"]
            flows = sorted(
                row["flow_ids"] or (), key=lambda f: (site.name_of("flow", f).lower(), f)
            )
            by_type.setdefault(rtype, []).append(
                ResourceRow(
                    resource_id=rid,
                    name=cap_text(row["name"] or rid, MAX_NAME_CHARS),
                    href=f"{page.root}scripts/{script_file_name(rid)}" if rtype == "script" else "",
                    present=bool(row["present"]),
                    versions=int(row["versions"]),
                    last_change_at=row["last_change_at"],
                    last_change_by=row["last_change_by"] or row["last_change_source"] or "",
                    last_origin=row["last_origin"] or "",
                    flows=tuple(site.flow_link(f, page.root) for f in flows[:MAX_FLOW_LINKS]),
                    anchor=resource_anchor(rtype, rid),
                )
            )
        shown = [t for t in TYPES if (t.name == page.args if page.args else t.name not in SPLIT_TYPES)]
        sections = tuple(
            ResourceSection(
                t.plural_title[:1].upper() + t.plural_title[1:],
                t.name,
                t.listing,
                tuple(by_type[t.name]),
            )
            for t in shown
        )
        split = () if page.args else tuple(_split_links(site, t, page.root) for t in TYPES if t.name in SPLIT_TYPES)
        return ResourcesPage(site.page(page.title, page.root), sections, split)


def _split_links(site: Site, resource_type, root: str) -> tuple[str, int, tuple[Link, ...]]:
    """(title, how many, its pages) of a type listed on pages of its own."""
    parts = site.resource_parts(resource_type.name)
    title = resource_type.plural_title[:1].upper() + resource_type.plural_title[1:]
    count = site.resource_count(resource_type.name)
    if parts == 1:
        return title, count, (Link(title, f"{root}resources/{resource_type.name}.html"),)
    return title, count, tuple(
        Link(f"{part}", f"{root}resources/{resource_type.name}-{part}.html") for part in range(1, parts + 1)
    )
