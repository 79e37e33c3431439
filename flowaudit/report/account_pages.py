"""The whole-account pages of a report: one page per script, the access review and the
page of scripts and other resources (rendered every night: a few hundred small pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from flowaudit.report.access_page import build_access_page, fetch_access
from flowaudit.report.contexts import Page
from flowaudit.report.dataset import ReportData
from flowaudit.report.resources_page import build_resources_page, fetch_resources
from flowaudit.report.script_pages import ScriptData, build_script_page, script_file_name

ACCESS_PAGE = "access.html"
RESOURCES_PAGE = "resources.html"


def render_account_pages(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    scripts: ScriptData,
    page: Callable[..., Page],
    render: Callable[[str, Any], str],
    *,
    pattern: str,
    volatile_fields: tuple[str, ...],
) -> dict[str, str]:
    """Every whole-account page by its path in the report folder."""
    files = {}
    for script_id in scripts.script_ids():
        ctx = build_script_page(
            data, page(f"Script {data.name_of('script', script_id)}", "../"), script_id, scripts,
            pattern=pattern, volatile_fields=volatile_fields,
        )  # fmt: skip
        files[f"scripts/{script_file_name(script_id)}"] = render("script.html", ctx)
    files[ACCESS_PAGE] = render(
        "access.html", build_access_page(data, page("Access review"), fetch_access(con, data))
    )
    files[RESOURCES_PAGE] = render(
        "resources.html",
        build_resources_page(data, page("Scripts and other resources"), fetch_resources(con, data)),
    )
    return files
