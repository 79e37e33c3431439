"""Reading a staging area (docs/architecture.md, "extract -> load") for the loader: the
manifest, and the lines of the listing files.

A missing or unreadable manifest means the fetch never finished (StagingError); malformed
listing lines are refused by the loader (save_versions.py) with ApiContractError."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowaudit.errors import FlowauditError
from flowaudit.registry import RESOURCE_TYPES

MANIFEST_FILE = "manifest.json"
AUDIT_FILE = "audit.ndjson"
# Listing name in the staging area -> resource_type in the store (as in audit records).
LISTINGS = {entry.listing: entry.name for entry in RESOURCE_TYPES}


class StagingError(FlowauditError):
    """The staging area is not a finished fetch (a bug or a tampered directory)."""


@dataclass(frozen=True)
class AuditWindow:
    """One window of the audit log a fetch paged (the manifest's audit.windows)."""

    window_from: datetime | None  # UTC; None: from the start of the history
    window_to: datetime  # UTC, excluded
    scope: str  # "/audit" for the whole account, else the endpoint and filter read
    records: int
    pages: int
    complete: bool


@dataclass(frozen=True)
class Manifest:
    account: str
    observed_at: datetime  # UTC: the listings show every change made before it
    observed_from: datetime  # UTC: when the listing began (changes since may not show)
    complete_listings: tuple[str, ...]  # resource types whose listing reached its last page
    present_listings: tuple[str, ...]  # resource types with a listing file
    audit_complete: bool
    audit_from: datetime | None
    audit_to: datetime | None
    audit_windows: tuple[AuditWindow, ...]
    audit_gaps: tuple[str, ...]  # why the audit is not complete, in words
    audit_records: int | None  # records the fetch read (duplicates included)
    listings: dict[str, Any]  # listing name -> {"complete", "count", "pages"}
    requests: int
    retries: int
    raw: dict[str, Any]


def parse_api_time(text: Any, what: str) -> datetime:
    """An API time string -> UTC datetime (a time without an offset is UTC)."""
    if not isinstance(text, str) or not text:
        raise StagingError(f"manifest.json: {what} is missing")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise StagingError(f"manifest.json: {what} is not a time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_manifest(staging_dir: Path) -> Manifest:
    """The manifest of a finished fetch; StagingError when absent or unreadable."""
    path = Path(staging_dir) / MANIFEST_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StagingError(
            f"{path.parent} holds no manifest.json: the fetch did not finish, nothing is loaded"
        ) from None
    except (OSError, ValueError) as exc:
        raise StagingError(f"cannot read {path}: {exc.__class__.__name__}") from None
    if not isinstance(raw, dict):
        raise StagingError(f"{path}: not a JSON object")
    listings = raw.get("listings") or {}
    complete = tuple(
        LISTINGS[name]
        for name, info in listings.items()
        if name in LISTINGS and isinstance(info, dict) and info.get("complete") is True
    )
    present = tuple(
        resource_type
        for name, resource_type in LISTINGS.items()
        if (Path(staging_dir) / f"{name}.ndjson").exists()
    )
    audit = raw.get("audit") or {}
    windows = tuple(_audit_window(w, n) for n, w in enumerate(audit.get("windows") or [], start=1))
    audit_from = (
        None
        if not windows or any(w.window_from is None for w in windows)
        else min(w.window_from for w in windows if w.window_from is not None)
    )
    gaps = audit.get("gaps") or []
    if not isinstance(gaps, list):
        raise StagingError("manifest.json: audit 'gaps' is not a list")
    observed_at = parse_api_time(raw.get("observed_at"), "observed_at")
    clock = raw.get("clock") if isinstance(raw.get("clock"), dict) else {}
    first_answer = clock.get("server_first")
    observed_from = (
        min(parse_api_time(first_answer, "clock.server_first"), observed_at)
        if first_answer
        else observed_at
    )
    return Manifest(
        account=str(raw.get("account") or "default"),
        observed_at=observed_at,
        observed_from=observed_from,
        complete_listings=tuple(t for t in complete if t in present),
        present_listings=present,
        audit_complete=audit.get("complete") is True,
        audit_from=audit_from,
        audit_to=max(w.window_to for w in windows) if windows else None,
        audit_windows=windows,
        audit_gaps=tuple(str(gap) for gap in gaps),
        audit_records=_count(audit.get("records"), "audit 'records'", optional=True),
        listings={name: info for name, info in listings.items() if isinstance(info, dict)},
        requests=int(raw.get("requests") or 0),
        retries=int(raw.get("retries") or 0),
        raw=raw,
    )


def _audit_window(entry: Any, number: int) -> AuditWindow:
    what = f"audit window {number}"
    if not isinstance(entry, dict):
        raise StagingError(f"manifest.json: {what} is not an object")
    window_from = entry.get("from")
    complete = entry.get("complete")
    if not isinstance(complete, bool):
        raise StagingError(f"manifest.json: {what} does not say whether it is complete")
    return AuditWindow(
        window_from=None if window_from is None else parse_api_time(window_from, f"{what} 'from'"),
        window_to=parse_api_time(entry.get("to"), f"{what} 'to'"),
        # The extractor names a scope only when it is not the whole account's /audit.
        scope=str(entry.get("scope") or "/audit"),
        records=_count(entry.get("records"), f"{what} 'records'"),
        pages=_count(entry.get("pages"), f"{what} 'pages'"),
        complete=complete,
    )


def _count(value: Any, what: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StagingError(f"manifest.json: {what} is not a count: {value!r}")
    return value


def read_listing_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line of a listing file; the text is not
    parsed here (the loader has DuckDB parse and check it, and hashes only changed ones)."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if text:
                yield number, text
