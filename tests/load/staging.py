"""Writing small staging areas (the extract -> load contract) for loader tests: text
fixtures built in the test, the way the extractor would write them."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

from flowaudit.registry import LISTINGS as REGISTRY_LISTINGS

LISTINGS = ("integrations", "flows", "exports", "imports", "connections")  # always written
_ids = count(1)


def oid(prefix: str = "") -> str:
    """A fresh 24-hex-character integrator.io-like id."""
    return (prefix + format(next(_ids), "x")).rjust(24, "0")[-24:]


def write_staging(
    directory: Path,
    *,
    observed_at: str,
    account: str = "default",
    audit: list[dict[str, Any]] | None = None,
    incomplete: tuple[str, ...] = (),
    audit_from: str | None = None,
    audit_windows: list[dict[str, Any]] | None = None,
    audit_gaps: tuple[str, ...] = (),
    recycle_bin: list[dict[str, Any]] | None = None,
    **listings: list[dict[str, Any]],
) -> Path:
    """A finished fetch in `directory`: one NDJSON file per listing, audit, manifest. The
    audit is one complete window [audit_from, observed_at) unless audit_windows are given;
    audit_gaps make it incomplete. The five first types are always listed, the registry's
    others (scripts, users, ...) when given; recycle_bin: its entries ({model, doc})."""
    directory.mkdir(parents=True, exist_ok=True)
    unknown = set(listings) - set(REGISTRY_LISTINGS)
    assert not unknown, f"not listings of the registry: {unknown}"
    written = [name for name in REGISTRY_LISTINGS if name in LISTINGS or name in listings]
    if recycle_bin is not None:
        (directory / "recycle_bin.ndjson").write_text(
            "".join(json.dumps(entry) + "\n" for entry in recycle_bin), encoding="utf-8"
        )
    for name in written:
        lines = "".join(json.dumps(doc) + "\n" for doc in listings.get(name, []))
        (directory / f"{name}.ndjson").write_text(lines, encoding="utf-8")
    records = audit or []
    (directory / "audit.ndjson").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    manifest = {
        "account": account,
        "api_url": "https://api.integrator.io/v1",
        "observed_at": observed_at,
        "listings": {
            name: {
                "complete": name not in incomplete,
                "count": len(listings.get(name, [])),
                "pages": 1,
            }
            for name in written
        },
        "audit": {
            "mode": "full" if audit_from is None else "incremental",
            "strategy": "windows",
            "complete": not audit_gaps,
            "gaps": list(audit_gaps),
            "from": audit_from,
            "to": observed_at,
            "records": len(records),
            "windows": audit_windows if audit_windows is not None else [
                {"from": audit_from, "to": observed_at, "records": len(records), "pages": 1,
                 "complete": True},
            ],
        },
        "requests": 7,
        "retries": 1,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def audit_record(
    resource_type: str,
    resource_id: str,
    time: str,
    event: str = "update",
    changes: list[dict[str, Any]] | None = None,
    *,
    event_id: str | None = None,
    source: str = "ui",
    user: str = "ada",
    **extra: Any,
) -> dict[str, Any]:
    """An audit record shaped like the API's."""
    return {
        "_id": event_id or oid("a"),
        "resourceType": resource_type,
        "_resourceId": resource_id,
        "source": source,
        "fieldChanges": changes or [],
        "event": event,
        "time": time,
        "byUser": {"_id": oid("u"), "name": user.title(), "email": f"{user}@example.com"},
        **extra,
    }


def flow(flow_id: str, name: str, *, integration_id: str | None = None, **fields: Any) -> dict:
    doc: dict[str, Any] = {
        "_id": flow_id,
        "name": name,
        "disabled": False,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "lastModified": "2025-01-01T00:00:00.000Z",
    }
    if integration_id:
        doc["_integrationId"] = integration_id
    doc.update(fields)
    return doc


def resource(resource_id: str, name: str, **fields: Any) -> dict:
    return {
        "_id": resource_id,
        "name": name,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "lastModified": "2025-01-01T00:00:00.000Z",
        **fields,
    }
