"""Scripts of a simulated account: JavaScript hooks, transforms, filters and branch
conditions with plausible code, the places exports, imports and flows refer to them from,
and the edits people make to the code (a line changed, added or removed at a time).

Builders take a random generator and return documents or changes; they never touch the
store (flowaudit.simulate.whole_account does)."""

from __future__ import annotations

import random
from typing import Any

from flowaudit.simulate.clock import iso

# (kind, function name, a purpose) of the scripts people write most.
KINDS = (
    ("preSavePage", "preSavePage", "Drop test orders before they are saved"),
    ("preMap", "preMap", "Normalise addresses before mapping"),
    ("postMap", "postMap", "Set the subsidiary from the currency"),
    ("postSubmit", "postSubmit", "Collect failed records for the retry report"),
    ("transform", "transform", "Flatten line items"),
    ("filter", "filter", "Only orders that are paid"),
    ("branching", "branching", "Route records by region"),
    ("postResponseMap", "postResponseMap", "Keep the created record id"),
)

_BODIES = {
    "preSavePage": [
        "  const kept = options.data.filter(record => !record.test);",
        "  if (kept.length < options.data.length) {",
        "    console.log(`dropped ${options.data.length - kept.length} test records`);",
        "  }",
        "  return { data: kept, errors: options.errors, abort: false };",
    ],
    "preMap": [
        "  return options.data.map(record => {",
        "    const address = record.shipping_address || {};",
        "    address.country = (address.country || 'US').toUpperCase();",
        "    address.zip = String(address.zip || '').trim();",
        "    return { data: { ...record, shipping_address: address } };",
        "  });",
    ],
    "postMap": [
        "  const subsidiaries = { USD: '1', EUR: '3', GBP: '4', JPY: '7' };",
        "  return options.postMapData.map((record, index) => {",
        "    record.subsidiary = subsidiaries[options.preMapData[index].currency] || '1';",
        "    return { data: record };",
        "  });",
    ],
    "postSubmit": [
        "  const failed = options.responseData.filter(response => response.statusCode >= 400);",
        "  failed.forEach(response => console.log('failed', response.id, response.errors));",
        "  return options.responseData;",
    ],
    "transform": [
        "  const lines = [];",
        "  for (const item of options.record.line_items || []) {",
        "    lines.push({ orderId: options.record.id, sku: item.sku, quantity: item.quantity });",
        "  }",
        "  return lines;",
    ],
    "filter": [
        "  const status = options.record.financial_status;",
        "  return status === 'paid' || status === 'partially_paid';",
    ],
    "branching": [
        "  const country = (options.record.billing_address || {}).country_code;",
        "  if (['DE', 'FR', 'NL', 'AT'].includes(country)) return [0];",
        "  return [1];",
    ],
    "postResponseMap": [
        "  return options.postResponseMapData.map((record, index) => {",
        "    record.netsuiteId = options.responseMapData[index].id;",
        "    return record;",
        "  });",
    ],
}

# Lines people add, one at a time, when they change a script.
EXTRA_LINES = (
    "  // TODO: remove once the ERP migration is done",
    "  console.log('records in page', (options.data || []).length);",
    "  if (options.settings && options.settings.dryRun) return options.data;",
    "  const cutoff = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();",
    "  // Ticket OPS-1234: skip the marketplace orders",
    "  const retries = Number(options.settings?.retries ?? 3);",
)


def script_code(rng: random.Random, kind: str, function: str, purpose: str) -> str:
    """The code of a new script: a header comment and one exported function."""
    body = list(_BODIES[kind])
    if rng.random() < 0.3:
        body.insert(0, rng.choice(EXTRA_LINES))
    lines = [
        "/*",
        f" * {purpose}.",
        " * Maintained by the integration team; see the runbook before changing it.",
        " */",
        f"function {function} (options) {{",
        *body,
        "}",
    ]
    return "\n".join(lines) + "\n"


def script_doc(rng: random.Random, sid: str, ms: int, kind: str) -> dict[str, Any]:
    function, purpose = next((f, p) for k, f, p in KINDS if k == kind)
    return {
        "_id": sid,
        "lastModified": iso(ms),
        "name": purpose,
        "description": f"{function} script",
        "content": script_code(rng, kind, function, purpose),
        "createdAt": iso(ms),
    }


def edited_code(rng: random.Random, code: str) -> str:
    """The code with one line changed, added or removed inside its function body."""
    lines = code.rstrip("\n").split("\n")
    body = [i for i, line in enumerate(lines) if line.startswith("  ")]
    action = rng.randrange(3)
    if action == 0 or len(body) < 3:
        at = rng.choice(body) if body else len(lines) - 1
        lines.insert(at, rng.choice(EXTRA_LINES))
    elif action == 1:
        del lines[rng.choice(body)]
    else:
        at = rng.choice(body)
        line = lines[at]
        for old, new in (
            ("===", "=="),
            ("'US'", "'DE'"),
            ("1", "2"),
            ("console.log", "console.warn"),
        ):
            if old in line:
                lines[at] = line.replace(old, new, 1)
                break
        else:
            lines[at] = line.rstrip(";") + "; // reviewed"
    return "\n".join(lines) + "\n"


def script_ref(sid: str, function: str) -> dict[str, str]:
    return {"_scriptId": sid, "function": function}


def attach_to_step(step: dict[str, Any], kind: str, sid: str) -> tuple[str, Any] | None:
    """The change (top-level field, new value) that makes an export or import use the
    script for kind, or None when that kind does not fit the step."""
    function = next(f for k, f, _p in KINDS if k == kind)
    is_import = "mapping" in step or "ignoreExisting" in step
    if kind in ("preMap", "postMap", "postSubmit") and is_import:
        hooks = dict(step.get("hooks") or {})
        hooks[kind] = script_ref(sid, function)
        return "hooks", hooks
    if kind == "preSavePage" and not is_import:
        hooks = dict(step.get("hooks") or {})
        hooks[kind] = script_ref(sid, function)
        return "hooks", hooks
    if kind == "transform" and not is_import:
        return "transform", {"type": "script", "script": script_ref(sid, function)}
    if kind == "filter":
        name = "inputFilter" if is_import else "filter"
        return name, {"type": "script", "script": script_ref(sid, function)}
    return None


def attach_to_flow(flow: dict[str, Any], kind: str, sid: str) -> tuple[str, Any] | None:
    """The change that makes a flow use the script: a router's branch condition, or a page
    processor's response hook; None when the flow has no place for it."""
    function = next(f for k, f, _p in KINDS if k == kind)
    if kind == "branching" and flow.get("routers"):
        routers = [dict(router) for router in flow["routers"]]
        routers[0]["routeRecordsUsing"] = "script"
        routers[0]["script"] = script_ref(sid, function)
        return "routers", routers
    if kind == "postResponseMap" and flow.get("pageProcessors"):
        processors = [dict(p) for p in flow["pageProcessors"]]
        processors[0]["hooks"] = {"postResponseMap": script_ref(sid, function)}
        return "pageProcessors", processors
    return None
