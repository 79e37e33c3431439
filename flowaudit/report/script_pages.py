"""Scripts in the reports: one page per script (where it is used, its code with line
numbers, every version with the line diff of its code), and the script section of each
flow page that uses one (through the flow itself or any of its steps: hooks, transforms,
filters, router branches), with the newest changes of its code.

`load_script_data` reads once (queries/reports/script_versions.sql, script_uses.sql);
the builders are pure."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
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
from flowaudit.report.contexts import Link, Page
from flowaudit.report.dataset import ReportData, flow_file_name
from flowaudit.report.masking import load_shown_json
from flowaudit.report.queries import report_frame
from flowaudit.report.views import diff_field_changes
from flowaudit.transform.diff import diff_documents
from flowaudit.transform.line_diff import line_diff, split_lines

CODE_FIELD = "content"
MAX_FLOW_CODE_CHANGES = 3  # a flow page shows a script's newest code changes; its page has all
MAX_SCRIPT_VERSIONS = 50  # versions with their diffs on a script page (all are counted)
MAX_CODE_LINES = 2_000  # lines of code a page shows
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class ScriptData:
    """Every script's versions (oldest first) and where flows use it."""

    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    uses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # script id -> rows
    by_flow: dict[str, list[str]] = field(default_factory=dict)  # flow id -> script ids

    def script_ids(self) -> list[str]:
        return sorted(self.versions)


def script_file_name(script_id: str) -> str:
    """A file name for a script page that no id can turn into a path."""
    if _SAFE_ID.match(script_id):
        return f"{script_id}.html"
    return "script-" + hashlib.sha256(script_id.encode()).hexdigest()[:24] + ".html"


def load_script_data(con: duckdb.DuckDBPyConnection, account: str) -> ScriptData:
    data = ScriptData()
    for row in report_frame(con, "script_versions", account=account).iter_rows(named=True):
        data.versions.setdefault(row["script_id"], []).append(row)
    by_flow: dict[str, dict[str, None]] = defaultdict(dict)
    for row in report_frame(con, "script_uses", account=account).iter_rows(named=True):
        data.uses.setdefault(row["script_id"], []).append(row)
        if row["flow_id"] is not None:
            by_flow[row["flow_id"]][row["script_id"]] = None
    data.by_flow = {flow: list(ids) for flow, ids in by_flow.items()}
    return data


def flow_script_keys(scripts: ScriptData) -> dict[str, list[str]]:
    """For each flow, what its script section shows (which scripts, their versions and
    code): part of the flow page's key, so a code change re-renders every page using it."""
    keys: dict[str, list[str]] = {}
    for flow_id, script_ids in scripts.by_flow.items():
        parts = []
        for script_id in sorted(script_ids):
            versions = scripts.versions.get(script_id, [])
            uses = [f"{u['via_type']}/{u['via_id']}/{u['path']}/{u['current']}"
                    for u in scripts.uses.get(script_id, []) if u["flow_id"] == flow_id]  # fmt: skip
            parts.append(f"{script_id}:{'|'.join(sorted(uses))}:"
                         + ",".join(f"{v['version']}/{v['content_hash']}/{v['valid_to']}" for v in versions))  # fmt: skip
        keys[flow_id] = parts
    return keys


# -- pieces ---------------------------------------------------------------------------------


def _who(row: dict[str, Any]) -> str:
    return row["user_name"] or row["user_email"] or ""


def _code(row: dict[str, Any] | None) -> str | None:
    if row is None or not row["has_content"]:
        return None
    return row["content"]


def _uses(
    data: ReportData, rows: list[dict[str, Any]], root: str, flow_id: str | None = None
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
            else f"{row['via_type']} {data.name_of(row['via_type'], row['via_id'])}"
        )
        link = Link(
            data.name_of("flow", row["flow_id"]), f"{root}flows/{flow_file_name(row['flow_id'])}"
        )
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
    data: ReportData, scripts: ScriptData, flow_id: str, root: str
) -> tuple[FlowScript, ...]:
    """The scripts a flow uses (itself or through its steps), each with its newest code
    changes, for the flow's page."""
    result = []
    for script_id in scripts.by_flow.get(flow_id, []):
        versions = scripts.versions.get(script_id, [])
        changes = code_changes(versions)
        shown = changes[-MAX_FLOW_CODE_CHANGES:][::-1]
        result.append(
            FlowScript(
                script_id=script_id,
                name=data.name_of("script", script_id),
                href=f"{root}scripts/{script_file_name(script_id)}",
                deleted=bool(versions) and versions[-1]["valid_to"] is not None,
                uses=_uses(data, scripts.uses.get(script_id, []), root, flow_id),
                changes=tuple(shown),
                more_changes=max(len(changes) - len(shown), 0),
            )
        )
    return tuple(sorted(result, key=lambda s: (s.name.lower(), s.script_id)))


# -- a script's page ----------------------------------------------------------------------


def build_script_page(
    data: ReportData, page: Page, script_id: str, scripts: ScriptData, *, pattern: str,
    volatile_fields: tuple[str, ...],
) -> ScriptPage:  # fmt: skip
    versions = scripts.versions.get(script_id, [])
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
                    _without_code(previous_doc), _without_code(doc), volatile_fields=volatile_fields
                ).changes
                others = diff_field_changes(changes, pattern)
            views.append(ScriptVersionView(row["version"], row["valid_from"], row["valid_to"], row["origin"],
                                           _who(row), row["source"] or "", bool(row["deleted"]), diff, others))  # fmt: skip
        previous_doc, previous_code = doc, this_code if this_code is not None else previous_code
    return ScriptPage(
        page=page,
        script_id=script_id,
        name=data.name_of("script", script_id),
        deleted=deleted,
        uses=_uses(data, scripts.uses.get(script_id, []), page.root),
        code=tuple(CodeLine(number, text) for number, text in enumerate(lines, start=1)),
        code_known=code is not None,
        versions=tuple(reversed(views)),
        left_out=("This page leaves out " + "; ".join(left_out) + ".") if left_out else "",
    )


def _without_code(doc: Any) -> Any:
    if isinstance(doc, dict) and CODE_FIELD in doc:
        return {k: v for k, v in doc.items() if k != CODE_FIELD}
    return doc
