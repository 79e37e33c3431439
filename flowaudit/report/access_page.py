"""The access review page: who may change the account (every user with their access level,
account-wide or per integration, MFA and SSO requirements, accepted, disabled, last
sign-in) and every API token (full access or its scope, personal, revoked, expiry), what
the review flags (the public view access_review), and the security-relevant changes of the
last 30 days (the view security_changes). Drawn on every rendering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from flowaudit.report.account_contexts import (
    AccessPage,
    Finding,
    SecurityChange,
    TokenRow,
    UserRow,
)
from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_frame
from flowaudit.report.site import Site
from flowaudit.report.units import PagePlan

FLAG_TITLES = {
    "full_access_token": "full-access token",
    "personal_token_expiring": "personal token expiring within 14 days",
    "token_never_used": "token never used",
    "administrator_without_mfa": "administrator without MFA",
}
CHANGES_DAYS = 30
MAX_CHANGES = 300


@dataclass(frozen=True)
class AccessData:
    users: list[dict[str, Any]]
    tokens: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    changes_since: datetime | None


class AccessUnit:
    template = "access.html"

    def plan(self, con: duckdb.DuckDBPyConnection, site: Site) -> list[PagePlan]:
        return [PagePlan("access.html", "Access review")]

    def fetch(
        self, con: duckdb.DuckDBPyConnection, site: Site, pages: list[PagePlan]
    ) -> Iterator[tuple[PagePlan, AccessData]]:
        if pages:
            data = fetch_access(con, site)
            for page in pages:
                yield page, data

    def build(self, site: Site, page: PagePlan, data: AccessData) -> AccessPage:
        return build_access_page(site, page, data)


def fetch_access(con: duckdb.DuckDBPyConnection, site: Site) -> AccessData:
    account = site.account
    as_of = site.data_as_of
    since = as_of - timedelta(days=CHANGES_DAYS) if as_of is not None else None
    changes = (
        report_frame(
            con,
            "security_changes_between",
            account=account,
            **{"from": since, "to": as_of},
            limit=MAX_CHANGES + 1,
        ).to_dicts()
        if as_of is not None
        else []
    )
    return AccessData(
        users=report_frame(con, "access_users", account=account).to_dicts(),
        tokens=report_frame(con, "access_tokens", account=account).to_dicts(),
        findings=report_frame(con, "access_findings", account=account).to_dicts(),
        changes=changes,
        changes_since=since,
    )


def build_access_page(site: Site, page: PagePlan, access: AccessData) -> AccessPage:
    flags: dict[tuple[str, str], list[str]] = {}
    for row in access.findings:
        flags.setdefault((row["resource_type"], row["resource_id"]), []).append(
            FLAG_TITLES[row["flag"]]
        )
    findings = tuple(
        Finding(row["flag"], FLAG_TITLES[row["flag"]], row["resource_type"], row["resource_id"],
                cap_text(row["name"] or row["resource_id"], MAX_NAME_CHARS), row["detail"] or "")
        for row in access.findings
    )  # fmt: skip
    users = tuple(
        UserRow(
            share_id=row["share_id"],
            name=cap_text(row["name"] or "", MAX_NAME_CHARS),
            email=cap_text(row["email"] or "", MAX_NAME_CHARS),
            access=row["access_level"] or _per_integration(site, row["integration_access"]),
            mfa_required=bool(row["mfa_required"]),
            sso_required=bool(row["sso_required"]),
            accepted=bool(row["accepted"]),
            disabled=bool(row["disabled"]),
            last_sign_in=row["last_sign_in"],
            flags=tuple(flags.get(("user", row["share_id"]), ())),
        )
        for row in access.users
    )
    tokens = tuple(
        TokenRow(
            token_id=row["access_token_id"],
            name=cap_text(row["name"] or row["access_token_id"], MAX_NAME_CHARS),
            description=cap_text(row["description"] or "", MAX_NAME_CHARS),
            scope="full access" if row["full_access"] else _scope(site, row),
            personal=bool(row["personal"]),
            revoked=bool(row["revoked"]),
            expires=row["auto_purge_at"],
            last_used=row["last_used_at"],
            created=row["created_at"],
            flags=tuple(flags.get(("accesstoken", row["access_token_id"]), ())),
        )
        for row in access.tokens
    )
    shown = access.changes[:MAX_CHANGES]
    changes = tuple(
        SecurityChange(
            row["changed_at"], row["reason"], row["resource_type"],
            cap_text(row["resource_name"] or row["resource_id"], MAX_NAME_CHARS),
            row["field_path"] or "", row["change"], row["label"], row["user_email"] or "",
            row["source"] or "",
        )
        for row in shown
    )  # fmt: skip
    left_out = ""
    if len(access.changes) > MAX_CHANGES:
        left_out = (f"Only the newest {MAX_CHANGES} security-relevant changes are listed; the view "
                    "security_changes holds them all.")  # fmt: skip
    return AccessPage(
        page=site.page(page.title, page.root),
        as_of=site.data_as_of,
        findings=findings,
        users=users,
        tokens=tokens,
        usage_reported=any(t.last_used is not None for t in tokens),
        changes=changes,
        changes_since=access.changes_since,
        left_out=left_out,
    )


def _per_integration(site: Site, text: str | None) -> str:
    try:
        entries = json.loads(text) if text else []
    except ValueError:
        entries = []
    parts = [
        f"{site.name_of('integration', str(e.get('_integrationId')))}: {e.get('accessLevel')}"
        for e in entries
        if isinstance(e, dict)
    ]
    return "; ".join(parts) if parts else "(none)"


def _scope(site: Site, row: dict[str, Any]) -> str:
    parts = []
    for column, rtype, word in (("connection_ids", "connection", "connections"), ("export_ids", "export", "exports"),
                                ("import_ids", "import", "imports"), ("api_ids", None, "APIs")):  # fmt: skip
        ids = list(row[column] or ())
        if ids:
            names = ", ".join(site.name_of(rtype, i) if rtype else i for i in ids[:5])
            more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            parts.append(f"{word}: {names}{more}")
    return "; ".join(parts) if parts else "nothing (a custom token with an empty scope)"
