"""Issue 14's "must show", against the simulator: every new type listed, versioned and in
resources_as_of; a script's code change as a line diff on its page and on every flow page
that uses it; no captured payload and no token value in any text column of any table nor
in any report file; the access review page flags the full-access token, the expiring
personal token and the administrator without MFA."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from flowaudit.config import resolve_settings
from flowaudit.documents.references import references
from flowaudit.documents.steps import flow_steps
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.report.render import render_reports
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.clock import parse_filter_time
from tests.pipeline.helpers import extract, places_holding, query

NEW_TYPES = [t for t in RESOURCE_TYPES if t.optional]


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> tuple[SimulatedAccount, Path, Path, list]:
    account = SimulatedAccount.generate("small", seed=7)
    work = tmp_path_factory.mktemp("whole")
    db = work / "a.duckdb"
    results = [extract(db, account)]
    night_from = account.now
    account.advance(hours=24)
    results.append(extract(db, account))
    settings = resolve_settings({"db": db, "out": work / "reports"}, environ={})
    index = render_reports(db, work / "reports", settings)
    return account, db, index.parent, [night_from, results]


def test_every_new_type_is_listed_versioned_and_in_resources_as_of(whole):
    account, db, _reports, (_night, results) = whole
    observed = results[-1].observed_at
    (at,) = query(db, "SELECT max(observed_at) - INTERVAL 1 MICROSECOND FROM runs")[0]
    state = account.state_at(at)
    for entry in NEW_TYPES:
        current = {row[0] for row in query(db, f"SELECT {entry.id_column} FROM {entry.listing}")}
        assert current == {doc["_id"] for doc in account.resources(entry.listing)} != set(), (
            entry.name
        )
        assert results[-1].counts[entry.listing] == len(current)
        (versions,) = query(db, f"SELECT count(*) FROM {entry.versions_view}")[0]
        assert versions >= len(current)
        as_of = {
            row[0]
            for row in query(db, f"SELECT {entry.id_column} FROM {entry.as_of_macro}(?)", [at])
        }
        assert as_of == set(state[entry.listing]), entry.name
        in_all = query(
            db, "SELECT count(*) FROM resources_as_of(?) WHERE resource_type = ?", [at, entry.name]
        )
        assert in_all[0][0] == len(as_of)
    assert observed
    people = {
        row[0]
        for row in query(
            db, "SELECT DISTINCT resource_name FROM audit_events WHERE resource_type = 'user'"
        )
    }
    assert people <= {u["name"] for u in account.users}
    scripts_flows = query(
        db, "SELECT count(*) FROM audit_events WHERE resource_type = 'script' AND len(flow_ids) > 0"
    )
    assert scripts_flows[0][0] > 0  # a script's records reach the pages of the flows using it


def _flows_using(account: SimulatedAccount, script_id: str) -> set[str]:
    """The flows that refer to a script now, through their own document or a step's."""
    steps = {
        kind: {d["_id"]: d for d in account.resources(kind)} for kind in ("exports", "imports")
    }
    found = set()
    for flow in account.resources("flows"):
        docs = [flow] + [steps[f"{t}s"].get(i, {}) for t, i in flow_steps(flow)]
        if any(r.resource_id == script_id for doc in docs for r in references(doc)):
            found.add(flow["_id"])
    return found


def _code_change_of_the_night(account: SimulatedAccount, since) -> tuple[str, list[str], list[str]]:
    """(script id, the lines it removed, the lines it added) of the night's newest change
    of the code of a script a flow uses."""
    for record in account.audit_records():  # newest first
        if record["resourceType"] != "script" or parse_filter_time(record["time"]) < since:
            continue
        for change in record["fieldChanges"]:
            if change["fieldPath"] == "content" and _flows_using(account, record["_resourceId"]):
                old, new = change["oldValue"].split("\n"), change["newValue"].split("\n")
                return (record["_resourceId"], [line for line in old if line not in new],
                        [line for line in new if line not in old])  # fmt: skip
    raise AssertionError("the night changed no used script's code")


def _diff_rows(html: HTMLParser, scope: str) -> list[tuple[str, str, str]]:
    """(old line number, new line number, "+ text" / "- text" / "  text") of a diff."""
    rows = []
    for row in html.css(f"{scope} table.diff tr"):
        cells = [cell.text() for cell in row.css("td")]
        if len(cells) == 3 and "hunk" not in (row.attributes.get("class") or ""):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def _shows(rows: list[tuple[str, str, str]], removed: list[str], added: list[str]) -> bool:
    """Whether the diff rows show each removed line (with its old number) and each added
    line (with its new number)."""
    return all(
        any(t == f"- {line}" and o.isdigit() and n == "" for o, n, t in rows) for line in removed
    ) and all(
        any(t == f"+ {line}" and n.isdigit() and o == "" for o, n, t in rows) for line in added
    )


def test_a_scripts_code_change_is_a_line_diff_on_its_page_and_each_flow_page_using_it(whole):
    account, _db, reports, (night, _results) = whole
    since = int(night.timestamp() * 1000)
    script_id, removed, added = _code_change_of_the_night(account, since)
    assert removed or added
    flows = _flows_using(account, script_id)
    page = HTMLParser((reports / "scripts" / f"{script_id}.html").read_text(encoding="utf-8"))
    assert _shows(_diff_rows(page, "#versions li:first-child"), removed, added)
    for flow_id in flows:
        html = HTMLParser((reports / "flows" / f"{flow_id}.html").read_text(encoding="utf-8"))
        scope = f'article.flow-script[data-script-id="{script_id}"]'
        section = html.css_first(scope)
        assert section is not None, flow_id
        assert _shows(_diff_rows(html, f"{scope} .code-change:first-of-type"), removed, added), (
            flow_id
        )
        assert section.css_first("h3 a").attributes["href"] == f"../scripts/{script_id}.html"


def _report_text(reports: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in reports.rglob("*.html"))


def test_no_captured_payload_nor_token_value_is_in_any_table_or_report_file(whole):
    account, db, reports, _ = whole
    sensitive = sorted(account.sensitive_strings())
    assert len(sensitive) > 30
    report = _report_text(reports)
    leaks = {value: places_holding(db, value) for value in sensitive}
    assert {value: where for value, where in leaks.items() if where} == {}
    assert [value for value in sensitive if value in report] == []
    # What replaced them is there: markers with hashes, masks.
    assert places_holding(db, "[captured data removed by flowaudit: sha256 ")
    assert places_holding(db, "[masked by flowaudit]")


def test_the_access_review_page_flags_the_full_access_and_expiring_tokens_and_the_admin_without_mfa(
    whole,
):
    account, _db, reports, _ = whole
    page = HTMLParser((reports / "access.html").read_text(encoding="utf-8"))
    flagged = {(row.attributes["data-flag"], row.attributes["data-resource-id"])
               for row in page.css("#access-findings tr[data-flag]")}  # fmt: skip
    tokens = {doc["name"]: doc for doc in account.resources("access_tokens")}
    owner = account.users[0]["name"].split()[0]
    full = tokens["ERP nightly sync"]
    personal = tokens[f"{owner}'s personal token"]
    assert full["fullAccess"] and "autoPurgeAt" not in full
    assert ("full_access_token", full["_id"]) in flagged
    expires = parse_filter_time(personal["autoPurgeAt"]) - parse_filter_time(
        account.now.isoformat().replace("+00:00", "Z")
    )
    assert 0 < expires < timedelta(days=14).total_seconds() * 1000
    assert ("personal_token_expiring", personal["_id"]) in flagged
    admins = [s for s in account.resources("users") if s.get("accessLevel") == "administrator"
              and not s["accountMFARequired"] and not s["disabled"]]  # fmt: skip
    assert admins and {("administrator_without_mfa", s["_id"]) for s in admins} <= flagged
    with_mfa = [s for s in account.resources("users") if s["accountMFARequired"]]
    assert not {("administrator_without_mfa", s["_id"]) for s in with_mfa} & flagged
    assert ("token_never_used", tokens["Test token"]["_id"]) in flagged


def test_security_relevant_changes_name_users_tokens_scripts_and_connection_credentials(whole):
    _account, db, reports, _ = whole
    reasons = {row[0] for row in query(db, "SELECT DISTINCT reason FROM security_changes")}
    assert reasons == {"user access", "API token", "script code", "connection credentials"}
    fields = {row[0] for row in query(db, "SELECT DISTINCT field_path FROM security_changes "
                                          "WHERE reason = 'connection credentials'")}  # fmt: skip
    assert fields and all(re.search(r"auth|username|oauth", f, re.I) for f in fields)
    assert "Security-relevant changes" in (reports / "access.html").read_text(encoding="utf-8")


def test_the_resources_page_lists_every_type_and_links_scripts(whole):
    account, _db, reports, _ = whole
    page = HTMLParser((reports / "resources.html").read_text(encoding="utf-8"))
    for kind, rtype in (("scripts", "script"), ("lookup_caches", "lookupcache"), ("stacks", "stack"),
                        ("file_definitions", "filedefinition"), ("iclients", "iclient"),
                        ("async_helpers", "asynchelper")):  # fmt: skip
        ids = {
            row.attributes["data-resource-id"]
            for row in page.css(f"#type-{rtype} tr[data-resource-id]")
        }
        assert {doc["_id"] for doc in account.resources(kind)} <= ids, kind
    assert page.css_first("#type-script a").attributes["href"].startswith("scripts/")


def test_the_run_summary_counts_what_was_scrubbed(whole):
    _account, _db, _reports, (_night, results) = whole
    first = results[0]
    assert first.manifest["scrubbed"]["captured_fields"] > 0
    assert "captured field(s) replaced by their hash" in first.summary()
    assert "secret-looking value(s) masked" in first.summary()
    assert first.counts["scrubbed"] == first.manifest["scrubbed"]
    assert (
        results[1].counts["script_content"]["content_requests"]
        < first.counts["script_content"]["content_requests"]
    )


def test_store_captured_data_keeps_payloads_but_never_a_token_value(tmp_path):
    account = SimulatedAccount.generate("small", seed=7)
    db = tmp_path / "kept.duckdb"
    extract(db, account, store_captured_data=True)
    kept = [value for value in account.captured_strings() if places_holding(db, value)]
    assert kept
    values = account.sensitive_strings() - set(account.captured_strings())
    assert [value for value in values if places_holding(db, value)] == []


def test_a_script_page_is_carried_over_until_its_script_changes_and_so_are_its_flows_pages(
    tmp_path,
):
    account = SimulatedAccount.generate("small", seed=7)
    db, out = tmp_path / "a.duckdb", tmp_path / "reports"
    settings = resolve_settings({"db": db, "out": out}, environ={})
    extract(db, account)
    first = render_reports(db, out, settings, now=account.now).parent
    night = account.now
    account.advance(hours=24)
    extract(db, account)
    second = render_reports(db, out, settings, now=account.now).parent
    script_id, _removed, _added = _code_change_of_the_night(account, int(night.timestamp() * 1000))

    def carried(relative: str) -> bool:
        earlier = first / relative
        return earlier.exists() and earlier.stat().st_ino == (second / relative).stat().st_ino

    assert (first / "scripts" / f"{script_id}.html").exists()
    assert not carried(f"scripts/{script_id}.html")
    for flow_id in _flows_using(account, script_id):
        assert not carried(f"flows/{flow_id}.html"), flow_id
    changed = {row[0] for row in query(db, "SELECT script_id FROM script_versions WHERE valid_from >= ?", [night])}
    kept = [p.name for p in (second / "scripts").iterdir() if carried(f"scripts/{p.name}")]
    assert kept and not {name.removesuffix(".html") for name in kept} & changed
