"""The "scripts and other resources" page (resources.html): every export, import,
connection, script, lookup cache, file definition, iClient, async helper and stack the
account has or had (each row an anchor a flow page's steps link to), with how many
versions flowaudit knows, its newest change and the flows it is attributed to. Scripts link
to their pages; users and API tokens are on the access review page. Drawn on every rendering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.account_contexts import ResourceRow, ResourceSection, ResourcesPage
from flowaudit.report.display import resource_anchor, script_file_name
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan

# Types with pages of their own elsewhere (flows, access review); exports, imports and
# connections are here so that a flow page's steps link to their rows.
_ELSEWHERE = ("integration", "flow", "user", "accesstoken")
TYPES = tuple(t for t in RESOURCE_TYPES if t.name not in _ELSEWHERE)
MAX_FLOW_LINKS = 10


class ResourcesUnit:
    template = "resources.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        return [PagePlan("resources.html", "Scripts and other resources")]

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, list[dict[str, Any]]]]:
        if pages:
            rows = report_frame(
                con, "account_resources", account=site.account, types=[t.name for t in TYPES]
            ).to_dicts()
            for page in pages:
                yield page, rows

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
        sections = tuple(
            ResourceSection(
                t.plural_title[:1].upper() + t.plural_title[1:],
                t.name,
                t.listing,
                tuple(by_type[t.name]),
            )
            for t in TYPES
        )
        return ResourcesPage(site.page(page.title, page.root), sections)
