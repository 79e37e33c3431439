"""The "scripts and other resources" page: every script, lookup cache, file definition,
iClient, async helper and stack the account has or had, with how many versions flowaudit
knows, its newest change and the flows it is attributed to. Scripts link to their pages;
users and API tokens are on the access review page."""

from __future__ import annotations

import duckdb

from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.account_contexts import ResourceRow, ResourceSection, ResourcesPage
from flowaudit.report.contexts import Page
from flowaudit.report.dataset import ReportData
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.script_pages import script_file_name
from flowaudit.report.views import flow_link

# Types with pages of their own elsewhere (flows, access review) or shown through flows.
_ELSEWHERE = ("integration", "flow", "export", "import", "connection", "user", "accesstoken")
TYPES = tuple(t for t in RESOURCE_TYPES if t.name not in _ELSEWHERE)
MAX_FLOW_LINKS = 10


def fetch_resources(con: duckdb.DuckDBPyConnection, data: ReportData) -> list[dict]:
    return report_frame(con, "account_resources", account=data.account,
                        types=[t.name for t in TYPES]).to_dicts()  # fmt: skip


def build_resources_page(data: ReportData, page: Page, rows: list[dict]) -> ResourcesPage:
    by_type: dict[str, list[ResourceRow]] = {t.name: [] for t in TYPES}
    for row in rows:
        rtype, rid = row["resource_type"], row["resource_id"]
        flows = sorted(row["flow_ids"] or (), key=lambda f: data.name_of("flow", f).lower())
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
                flows=tuple(flow_link(data, f, page.root) for f in flows[:MAX_FLOW_LINKS]),
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
    return ResourcesPage(page, sections)
