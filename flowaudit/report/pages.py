"""The pages of a report, in the order they are drawn: one unit per kind of page
(flowaudit.report.units). Adding a page is a module with its unit, its template and its
SQL (queries/reports/), and one line here (docs/architecture.md, "Adding a report page")."""

from __future__ import annotations

from flowaudit.report.access_page import AccessUnit
from flowaudit.report.audit_page import AuditUnit
from flowaudit.report.change_pages import HistoryUnit, RecentChangesUnit
from flowaudit.report.drift_page import DriftUnit
from flowaudit.report.flow_page import FlowUnit
from flowaudit.report.index_page import IndexUnit
from flowaudit.report.resources_page import ResourcesUnit
from flowaudit.report.script_pages import ScriptUnit
from flowaudit.report.units import PageUnit

PAGES: tuple[PageUnit, ...] = (
    IndexUnit(),
    RecentChangesUnit(),
    HistoryUnit(),
    DriftUnit(),
    FlowUnit(),
    AuditUnit(),
    ScriptUnit(),
    AccessUnit(),
    ResourcesUnit(),
)
