"""Scripts in the reports: one page per script (scripts/<id>.html: where it is used, its
code with line numbers, every version with the line diff of its code), and the script
section of each flow page that uses one (through the flow itself or any of its steps:
hooks, transforms, filters, router branches), with the newest changes of its code.

A script's page is carried over while its versions, its uses and the names it prints do
not change; `script_index` reads what the keys need (the script part of a flow page's key
too, flowaudit.report.flow_page), `fetch_scripts` the versions with their code of the
scripts whose pages are drawn. The builders are pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from flowaudit.report.account_contexts import (
    CodeChange,
    CodeLine,
    FlowScript,
    ScriptPage,
    ScriptUse,
    ScriptVersionView,
)
from flowaudit.report.contexts import Link
from flowaudit.report.display import diff_field_changes, flow_href, script_file_name
from flowaudit.report.masking import load_shown_json
from flowaudit.report.queries import report_frame
from flowaudit.report.reuse import page_key
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan
from flowaudit.transform.diff import diff_documents
from flowaudit.transform.line_diff import line_diff, split_lines

CODE_FIELD = "content"
MAX_FLOW_CODE_CHANGES = 3  # a flow page shows a script's newest code changes; its page has all
MAX_SCRIPT_VERSIONS = 50  # versions with their diffs on a script page (all are counted)
MAX_CODE_LINES = 2_000  # lines of code a page shows
SCRIPTS_PER_FETCH = 500  # script pages whose versions are read at once


@dataclass
class ScriptIndex:
    """What the keys of script and flow pages need: each script's hashed versions and
    where flows use it (queries/reports/script_uses.sql rows, as dicts)."""

    versions: dict[str, str] = field(default_factory=dict)  # script id -> versions' hash
    uses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # script id -> rows
    by_flow: dict[str, list[str]] = field(default_factory=dict)  # flow id -> script ids

    def script_ids(self) -> list[str]:
        return sorted(self.versions)

    def scripts_of(self, flow_ids: list[str]) -> list[str]:
        return sorted(
            {script_id for flow_id in flow_ids for script_id in self.by_flow.get(flow_id, ())}
        )


def script_index(con: duckdb.DuckDBPyConnection, account: str) -> ScriptIndex:
    index = ScriptIndex()
    for script_id, versions in report_frame(con, "script_keys", account=account).iter_rows():
        index.versions[script_id] = versions
    by_flow: dict[str, dict[str, None]] = defaultdict(dict)
    for row in report_frame(con, "script_uses", account=account).iter_rows(named=True):
        index.uses.setdefault(row["script_id"], []).append(row)
        if row["flow_id"] is not None:
            by_flow[row["flow_id"]][row["script_id"]] = None
    index.by_flow = {flow: list(ids) for flow, ids in by_flow.items()}
    return index


def fetch_scripts(
    con: duckdb.DuckDBPyConnection, account: str, script_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The versions (oldest first, with their code) of the given scripts."""
    versions: dict[str, list[dict[str, Any]]] = {}
    if script_ids:
        rows = report_frame(con, "script_versions", account=account, script_ids=script_ids)
        for row in rows.iter_rows(named=True):
            versions.setdefault(row["script_id"], []).append(row)
    return versions


def _use_key(site: Site, row: dict[str, Any]) -> str:
    """A use as a page prints it: its flow's and step's names, where, and whether current."""
    via = f"{row['via_type']}/{row['via_id']}/{site.name_of(row['via_type'], row['via_id'])}"
    flow = f"{row['flow_id']}/{site.name_of('flow', row['flow_id'])}"
    return f"{flow}:{via}:{row['path']}:{row['current']}"


def flow_script_key(site: Site, index: ScriptIndex, flow_id: str) -> list[str]:
    """What a flow page's script section shows (which scripts, their names, versions and
    where the flow uses them): part of the flow page's key, so a code change draws every
    page using the script again."""
    parts = []
    for script_id in sorted(index.by_flow.get(flow_id, ())):
        uses = sorted(
            _use_key(site, u) for u in index.uses.get(script_id, []) if u["flow_id"] == flow_id
        )
        parts.append(f"{script_id}:{site.name_of('script', script_id)}:{index.versions.get(script_id, '')}:"
                     + "|".join(uses))  # fmt: skip
    return parts


# -- pieces ---------------------------------------------------------------------------------


def _who(row: dict[str, Any]) -> str:
    return row["user_name"] or row["user_email"] or ""


def _code(row: dict[str, Any] | None) -> str | None:
    if row is None or not row["has_content"]:
        return None
    return row["content"]


def _uses(
    site: Site, rows: list[dict[str, Any]], root: str, flow_id: str | None = None
) -> tuple[ScriptUse, ...]:
    result = []
    seen = set()
    for row in rows:
        if row["flow_id"] is None or (flow_id is not None and row["flow_id"] != flow_id):
            continue
        key = (row["flow_id"], row["via_type"], row["via_id"], row["path"])
        if key in seen:
            continue
        seen.add(key)
        via = (
            "flow"
            if row["via_type"] == "flow"
            else f"{row['via_type']} {site.name_of(row['via_type'], row['via_id'])}"
        )
        link = Link(site.name_of("flow", row["flow_id"]), flow_href(row["flow_id"], root))
        result.append(ScriptUse(link, via, row["path"] or "(top level)", bool(row["current"])))
    return tuple(sorted(result, key=lambda u: (u.flow.text.lower(), u.via, u.path)))


def code_changes(versions: list[dict[str, Any]]) -> list[CodeChange]:
    """The versions that changed the code known before them, oldest first (the first known
    code is the script's page's to show, not a change)."""
    changes = []
    previous: str | None = None
    for row in versions:
        code = _code(row)
        if code is None or previous is None or code == previous:
            previous = code if code is not None else previous
            continue
        diff = line_diff(previous, code)
        changes.append(CodeChange(row["version"], row["valid_from"], _who(row), row["source"] or "",
                                  row["origin"], diff))  # fmt: skip
        previous = code
    return changes


# -- a flow page's script section -----------------------------------------------------------


def flow_scripts(
    site: Site,
    index: ScriptIndex,
    versions: dict[str, list[dict[str, Any]]],
    flow_id: str,
    root: str,
) -> tuple[FlowScript, ...]:
    """The scripts a flow uses (itself or through its steps), each with its newest code
    changes, for the flow's page."""
    result = []
    for script_id in index.by_flow.get(flow_id, []):
        known = versions.get(script_id, [])
        changes = code_changes(known)
        shown = changes[-MAX_FLOW_CODE_CHANGES:][::-1]
        result.append(
            FlowScript(
                script_id=script_id,
                name=site.name_of("script", script_id),
                href=f"{root}scripts/{script_file_name(script_id)}",
                deleted=bool(known) and known[-1]["valid_to"] is not None,
                uses=_uses(site, index.uses.get(script_id, []), root, flow_id),
                changes=tuple(shown),
                more_changes=max(len(changes) - len(shown), 0),
            )
        )
    return tuple(sorted(result, key=lambda s: (s.name.lower(), s.script_id)))


# -- a script's page ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptData:
    versions: list[dict[str, Any]]  # script_versions.sql rows, oldest first
    uses: list[dict[str, Any]]  # script_uses.sql rows


class ScriptUnit:
    template = "script.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        index = script_index(con, site.account)
        plans = []
        for script_id in index.script_ids():
            path = f"scripts/{script_file_name(script_id)}"
            title = f"Script {site.name_of('script', script_id)}"
            uses = sorted(
                _use_key(site, u) for u in index.uses.get(script_id, []) if u["flow_id"] is not None
            )
            key = page_key(site.salt, path, title, index.versions[script_id], uses)
            plans.append(PagePlan(path, title, key, script_id))
        return plans

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, ScriptData]]:
        if not pages:
            return
        index = script_index(con, site.account)
        for start in range(0, len(pages), SCRIPTS_PER_FETCH):
            batch = pages[start : start + SCRIPTS_PER_FETCH]
            versions = fetch_scripts(con, site.account, [page.args for page in batch])
            for page in batch:
                yield page, ScriptData(versions.get(page.args, []), index.uses.get(page.args, []))

    def build(self, site: Site, page: PagePlan, data: ScriptData) -> ScriptPage:
        return build_script_page(site, page, data)


def build_script_page(site: Site, page: PagePlan, data: ScriptData) -> ScriptPage:
    versions = data.versions
    last = versions[-1] if versions else None
    deleted = last is not None and last["valid_to"] is not None
    code = _code(last)
    lines = split_lines(code)
    left_out = []
    if len(lines) > MAX_CODE_LINES:
        left_out.append(f"the last {len(lines) - MAX_CODE_LINES} of {len(lines)} lines of code")
        lines = lines[:MAX_CODE_LINES]
    first_listed = max(len(versions) - MAX_SCRIPT_VERSIONS, 0)
    if first_listed:
        left_out.append(f"the changes of the {first_listed} oldest of {len(versions)} versions")
    views = []
    previous_doc: dict[str, Any] | None = None
    previous_code: str | None = None
    for index, row in enumerate(versions):
        doc = load_shown_json(row["doc"])
        this_code = _code(row)
        if index >= first_listed:
            changed = (
                previous_code is not None and this_code is not None and this_code != previous_code
            )
            diff = line_diff(previous_code, this_code) if changed else None
            others = ()
            if previous_doc is not None:
                changes = diff_documents(
                    _without_code(previous_doc), _without_code(doc), volatile_fields=site.volatile
                ).changes
                others = diff_field_changes(changes, site.pattern)
            views.append(ScriptVersionView(row["version"], row["valid_from"], row["valid_to"], row["origin"],
                                           _who(row), row["source"] or "", bool(row["deleted"]), diff, others))  # fmt: skip
        previous_doc, previous_code = doc, this_code if this_code is not None else previous_code
    return ScriptPage(
        page=site.page(page.title, page.root, reusable=True),
        script_id=page.args,
        name=site.name_of("script", page.args),
        deleted=deleted,
        uses=_uses(site, data.uses, page.root),
        code=tuple(CodeLine(number, text) for number, text in enumerate(lines, start=1)),
        code_known=code is not None,
        versions=tuple(reversed(views)),
        left_out=("This page leaves out " + "; ".join(left_out) + ".") if left_out else "",
    )


def _without_code(doc: Any) -> Any:
    if isinstance(doc, dict) and CODE_FIELD in doc:
        return {k: v for k, v in doc.items() if k != CODE_FIELD}
    return doc
