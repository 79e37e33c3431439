"""The typed contexts of the whole-account pages (scripts, access review, other resources)
and of the script section of flow pages. Built in Python; templates only lay them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flowaudit.report.contexts import FieldChange, Link, Page
from flowaudit.transform.line_diff import LineDiff


@dataclass(frozen=True)
class ScriptUse:
    """One place a flow uses a script: through itself or one of its steps, and where."""

    flow: Link
    via: str  # "flow", or "export Get Orders" / "import Post Orders"
    path: str  # hooks.preSavePage, routers.0.script, ...
    current: bool  # whether the current document still refers to the script


@dataclass(frozen=True)
class CodeChange:
    """One version of a script that changed its code: when, who, and the line diff."""

    version: int
    valid_from: datetime | None
    who: str
    source: str
    origin: str
    diff: LineDiff


@dataclass(frozen=True)
class ScriptVersionView:
    number: int
    valid_from: datetime | None
    valid_to: datetime | None
    origin: str
    who: str
    source: str
    deleted: bool
    diff: LineDiff | None  # the code's change from the version before (None: unchanged)
    other_changes: tuple[FieldChange, ...]  # changes of other fields


@dataclass(frozen=True)
class CodeLine:
    number: int
    text: str


@dataclass(frozen=True)
class ScriptPage:
    page: Page
    script_id: str
    name: str
    deleted: bool
    uses: tuple[ScriptUse, ...]
    code: tuple[CodeLine, ...]  # the current (or, deleted, the last known) code
    code_known: bool
    versions: tuple[ScriptVersionView, ...]  # newest first
    left_out: str = ""


@dataclass(frozen=True)
class FlowScript:
    """A script a flow uses, as its flow page shows it: where, and its newest code changes."""

    script_id: str
    name: str
    href: str
    deleted: bool
    uses: tuple[ScriptUse, ...]
    changes: tuple[CodeChange, ...]  # newest first
    more_changes: int  # earlier code changes, on the script's own page


@dataclass(frozen=True)
class Finding:
    flag: str
    title: str  # the flag in words
    resource_type: str
    resource_id: str
    name: str
    detail: str


@dataclass(frozen=True)
class UserRow:
    share_id: str
    name: str
    email: str
    access: str  # "administrator", or "Billing: manage; HR onboarding: monitor"
    mfa_required: bool
    sso_required: bool
    accepted: bool
    disabled: bool
    last_sign_in: datetime | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    name: str
    description: str
    scope: str  # "full access", or what it may use
    personal: bool
    revoked: bool
    expires: datetime | None
    last_used: datetime | None
    created: datetime | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class SecurityChange:
    changed_at: datetime
    reason: str
    resource_type: str
    resource_name: str
    field_path: str
    change: str
    label: str
    who: str
    source: str


@dataclass(frozen=True)
class AccessPage:
    page: Page
    as_of: datetime | None
    findings: tuple[Finding, ...]
    users: tuple[UserRow, ...]
    tokens: tuple[TokenRow, ...]
    usage_reported: bool  # whether the API says when tokens were last used
    changes: tuple[SecurityChange, ...]
    changes_since: datetime | None
    left_out: str = ""


@dataclass(frozen=True)
class ResourceRow:
    resource_id: str
    name: str
    href: str
    present: bool
    versions: int
    last_change_at: datetime | None
    last_change_by: str
    last_origin: str
    flows: tuple[Link, ...]
    anchor: str = ""  # the row's id: flow pages link to it (display.resource_anchor)


@dataclass(frozen=True)
class ResourceSection:
    title: str
    resource_type: str
    view: str  # the public view that lists them
    rows: tuple[ResourceRow, ...]


@dataclass(frozen=True)
class ResourcesPage:
    page: Page
    sections: tuple[ResourceSection, ...]
    # Types listed on pages of their own: (title, how many, links to their pages).
    split: tuple[tuple[str, int, tuple[Link, ...]], ...] = ()
