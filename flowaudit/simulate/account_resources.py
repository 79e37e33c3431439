"""The smaller collections of a simulated account: lookup caches, file definitions, iClients,
async helpers and stacks, their documents, the places exports, imports and connections
refer to them from, and the edits made to them."""

from __future__ import annotations

import random
from typing import Any

from flowaudit.simulate.catalog import MASK
from flowaudit.simulate.clock import iso

# The store's kinds (the registry's listings).
KINDS = ("lookup_caches", "file_definitions", "iclients", "async_helpers", "stacks")

_NAMES = {
    "lookup_caches": ("Customer id map", "SKU cross reference", "Currency codes", "Subsidiaries by country"),
    "file_definitions": ("EDI 850 purchase order", "Fixed width bank statement", "EDI 856 ship notice",
                        "Lagerbestand CSV"),
    "iclients": ("Shopify OAuth app", "Salesforce connected app", "Google Drive client", "Zoho CRM client"),
    "async_helpers": ("Bulk export polling", "Report generation status", "Async order import"),
    "stacks": ("Pricing service", "Address validation lambda", "Legacy FTP bridge"),
}  # fmt: skip


def resource_doc(rng: random.Random, kind: str, rid: str, ms: int, index: int,
                 sample: Any = None) -> dict[str, Any]:  # fmt: skip
    """A new document of one of the smaller kinds (sample: a file definition's sample data)."""
    names = _NAMES[kind]
    name = names[index % len(names)] + ("" if index < len(names) else f" {index // len(names) + 1}")
    doc: dict[str, Any] = {"_id": rid, "lastModified": iso(ms), "name": name}
    if kind == "lookup_caches":
        doc.update(description="Values flows look up while mapping", size=rng.randrange(10, 5000),
                   sizeInMB=round(rng.random() * 4, 3))  # fmt: skip
    elif kind == "file_definitions":
        doc.update(format=rng.choice(("delimited/edifact", "x12", "fixed")),
                   rules=[{"elementId": f"E{n}", "length": rng.choice((2, 8, 10, 35))} for n in range(3)])  # fmt: skip
        if sample is not None:
            doc["sampleData"] = sample
    elif kind == "iclients":
        doc.update(provider=rng.choice(("shopify", "salesforce", "google", "zoho")),
                   oauth2={"clientId": f"{rng.getrandbits(48):012x}.apps.example", "clientSecret": MASK,
                           "scope": ["read_orders", "write_products"]})  # fmt: skip
    elif kind == "async_helpers":
        doc["http"] = {
            "submit": {"resourcePath": "id", "transform": {"rules": []}},
            "status": {"relativeURI": "/jobs/{{{submit.id}}}", "method": "GET", "statusPath": "state",
                       "inProgressValues": ["queued", "running"], "doneValues": ["done"]},
            "result": {"relativeURI": "/jobs/{{{submit.id}}}/results", "method": "GET"},
        }  # fmt: skip
    else:
        if rng.random() < 0.5:
            doc.update(type="lambda", **{"lambda": {
                "accessKeyId": "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                "secretAccessKey": MASK, "awsRegion": "eu-central-1", "functionName": f"celigo-hooks-{index}"}})  # fmt: skip
        else:
            doc.update(type="server", server={"hostURI": f"https://hooks-{index}.acme-corp.example",
                                              "systemToken": MASK})  # fmt: skip
    doc["createdAt"] = iso(ms)
    return doc


def resource_change(rng: random.Random, kind: str, doc: dict[str, Any]) -> list[tuple[str, Any]]:
    """One plausible edit of a document of the smaller kinds."""
    if kind == "lookup_caches":
        return [("description", rng.choice(("Values flows look up while mapping", "Refreshed weekly",
                                             "Owner: master data team")))]  # fmt: skip
    if kind == "file_definitions":
        rules = [dict(rule) for rule in doc.get("rules", [])] or [{"elementId": "E0", "length": 2}]
        rules[rng.randrange(len(rules))]["length"] = rng.choice((2, 8, 10, 35, 80))
        return [("rules", rules)]
    if kind == "iclients":
        return [("oauth2.scope", rng.choice((["read_orders"], ["read_orders", "write_products"],
                                             ["read_orders", "read_customers"])))]  # fmt: skip
    if kind == "async_helpers":
        return [
            (
                "http.status.inProgressValues",
                rng.choice((["queued", "running"], ["pending", "running"])),
            )
        ]
    base = doc["name"].removesuffix(" (v2)")
    return [("name", base + " (v2)" if base == doc["name"] else base)]


def reference(kind: str, rid: str, step: dict[str, Any]) -> tuple[str, Any] | None:
    """The change that makes an export, import or connection refer to the resource (None when
    the step has no place for it): a lookup in a mapping, a file format, a polling helper,
    a hook on a stack, an OAuth client."""
    is_import = "mapping" in step or "ignoreExisting" in step
    is_connection = (
        "type" in step
        and step.get("type") in ("http", "rest", "netsuite", "salesforce", "ftp")
        and ("adaptorType" not in step)
    )
    if kind == "iclients":
        if is_connection and step.get("type") in ("http", "rest"):
            block = dict(step.get(step["type"]) or {})
            block["_iClientId"] = rid
            return step["type"], block
        return None
    if is_connection:
        return None
    if kind == "lookup_caches" and is_import:
        mapping = dict(step.get("mapping") or {})
        fields = [dict(f) for f in mapping.get("fields") or []]
        if not fields:
            return None
        fields[0]["lookupName"] = "cache"
        mapping["fields"] = fields
        mapping["lookups"] = [{"name": "cache", "_lookupCacheId": rid, "allowFailures": True}]
        return "mapping", mapping
    if kind == "file_definitions" and "ftp" in step:
        return "file", {"type": "filedefinition", "fileDefinition": {"_fileDefinitionId": rid}}
    if kind == "async_helpers" and "http" in step and not is_import:
        http = dict(step["http"])
        http["_asyncHelperId"] = rid
        return "http", http
    if kind == "stacks":
        hooks = dict(step.get("hooks") or {})
        hooks["preSavePage" if not is_import else "preMap"] = {
            "_stackId": rid,
            "function": "handle",
        }
        return "hooks", hooks
    return None
