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
    jobs: list[dict[str, Any]] | None = None,
    jobs_from: str | None = None,
    jobs_gaps: tuple[str, ...] = (),
    flow_errors: list[dict[str, Any]] | None = None,
    recycle_bin: list[dict[str, Any]] | None = None,
    **listings: list[dict[str, Any]],
) -> Path:
    """A finished fetch in `directory`: one NDJSON file per listing, audit, manifest. The
    audit is one complete window [audit_from, observed_at) unless audit_windows are given;
    audit_gaps make it incomplete. jobs (and flow_errors): the fetch read jobs too, in one
    window [jobs_from, observed_at), incomplete with jobs_gaps. The five first types are
    always listed, the registry's others (scripts, users, ...) when given; recycle_bin: its
    entries ({model, doc})."""
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
    if jobs is not None:
        (directory / "jobs.ndjson").write_text("".join(json.dumps(j) + "\n" for j in jobs), encoding="utf-8")
        errors = flow_errors or []
        (directory / "flow_errors.ndjson").write_text(
            "".join(json.dumps(e) + "\n" for e in errors), encoding="utf-8"
        )
        manifest["jobs"] = {
            "mode": "full" if jobs_from is None else "incremental",
            "complete": not jobs_gaps,
            "gaps": list(jobs_gaps),
            "from": jobs_from,
            "to": observed_at,
            "records": len(jobs),
            "windows": [{"from": jobs_from, "to": observed_at, "records": len(jobs), "pages": 1,
                         "complete": not jobs_gaps, "gaps": list(jobs_gaps)}],
            "errors": {"flows": len(errors), "requests": len(errors)},
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


def job(job_id: str, flow_id: str, created: str, *, status: str = "completed", errors: int = 0,
        ended: str | None = None, **extra: Any) -> dict[str, Any]:
    """A flow job shaped like the API's."""
    doc: dict[str, Any] = {"_id": job_id, "type": "flow", "_flowId": flow_id, "status": status,
                           "createdAt": created, "startedAt": created, "numSuccess": 10,
                           "numError": errors, "numIgnore": 0, "lastModified": ended or created}
    if status in ("completed", "failed", "canceled"):
        doc["endedAt"] = ended or created
    doc.update(extra)
    return doc
