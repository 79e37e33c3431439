"""The flow API's writes (POST/PUT/DELETE /flows, clone, run) as the real service does
them: validated first, then applied with audit records (source api, by the token's user).
Invalid requests raise ApiError and change nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowaudit.simulate.clock import iso
from flowaudit.simulate.docpath import diff_paths
from flowaudit.simulate.flow_ops import READ_ONLY_FLOW_FIELDS, clone_flow, connections_of_flow
from flowaudit.simulate.http_types import ApiError
from flowaudit.simulate.store import flow_step_ids

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount


def _validate(account: SimulatedAccount, body: dict) -> dict:
    """The flow body without read-only fields, or ApiError."""
    doc = {key: value for key, value in body.items() if key not in READ_ONLY_FLOW_FIELDS}
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "invalid_field", "`name` is required.", "name")
    if "disabled" in doc and not isinstance(doc["disabled"], bool):
        raise ApiError(400, "invalid_field", "`disabled` must be true or false.", "disabled")
    if "schedule" in doc and (not isinstance(doc["schedule"], str) or len(doc["schedule"].split()) != 6):
        raise ApiError(400, "invalid_field", "`schedule` must be a 6-field cron expression.", "schedule")
    if "pageProcessors" in doc and "routers" in doc:
        raise ApiError(400, "invalid_field", "Use pageProcessors or routers, not both.", "routers")
    for key in ("pageProcessors", "pageGenerators", "routers"):
        if key in doc and not isinstance(doc[key], list):
            raise ApiError(400, "invalid_field", f"`{key}` must be an array.", key)
    store = account.store
    integration_id = doc.get("_integrationId")
    if integration_id is not None and store.get("integrations", integration_id) is None:
        raise ApiError(400, "invalid_ref", "`_integrationId` does not refer to an integration.", "_integrationId")
    try:
        exports, imports = flow_step_ids(doc)
    except (AttributeError, TypeError):
        raise ApiError(400, "invalid_field", "Flow steps must be objects.", "pageProcessors") from None
    for kind, ids, field_name in (("exports", exports, "_exportId"), ("imports", imports, "_importId")):
        for step_id in ids:
            if not isinstance(step_id, str) or store.get(kind, step_id) is None:
                raise ApiError(400, "invalid_ref", f"`{field_name}` {step_id} does not exist.", field_name)
    return doc


def create_flow(account: SimulatedAccount, body: dict) -> dict:
    fields = _validate(account, body)
    ms = account.now_ms
    store = account.store
    doc = {"_id": store.ids.new(ms), "lastModified": iso(ms), "name": fields.pop("name"),
           "disabled": fields.pop("disabled", False)}  # fmt: skip
    doc.update(fields)
    doc.setdefault("skipRetries", False)
    doc["createdAt"] = iso(ms)
    store.create("flows", doc, ms, account.token_user, "api")
    store.audit.flush()
    return doc


def replace_flow(account: SimulatedAccount, flow_id: str, body: dict) -> dict:
    """PUT: the body replaces every writable field (fields left out are removed)."""
    fields = _validate(account, body)
    store = account.store
    current = store.current["flows"][flow_id]
    writable_now = {key: value for key, value in current.items() if key not in READ_ONLY_FLOW_FIELDS}
    fields.setdefault("disabled", current.get("disabled", False))
    store.update("flows", flow_id, diff_paths(writable_now, fields), account.now_ms, account.token_user, "api")
    store.audit.flush()
    return store.current["flows"][flow_id]


def delete_flow(account: SimulatedAccount, flow_id: str) -> None:
    account.store.delete("flows", flow_id, account.now_ms, account.token_user, "api")
    account.store.audit.flush()


def clone(account: SimulatedAccount, flow_id: str, body: dict) -> dict:
    store = account.store
    integration_id = body.get("_integrationId")
    if not isinstance(integration_id, str) or not integration_id:
        raise ApiError(400, "invalid_field", "`_integrationId` is required.", "_integrationId")
    if store.get("integrations", integration_id) is None:
        raise ApiError(400, "invalid_ref", "`_integrationId` does not refer to an integration.", "_integrationId")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ApiError(400, "invalid_field", "`name` must be a non-empty string.", "name")
    connection_map = body.get("connectionMap")
    needed = connections_of_flow(store, store.current["flows"][flow_id])
    if needed:
        if not isinstance(connection_map, dict) or any(cid not in connection_map for cid in needed):
            raise ApiError(400, "invalid_connectionMap",
                           "connectionMap must map every connection the flow uses: " + ", ".join(needed))  # fmt: skip
        for target in connection_map.values():
            if not isinstance(target, str) or store.get("connections", target) is None:
                raise ApiError(400, "invalid_connectionMap", f"connectionMap refers to unknown connection {target}.")
    flow = store.current["flows"][flow_id]
    new = clone_flow(store, flow_id, name=name or f"Clone - {flow['name']}", integration_id=integration_id,
                     connection_map=connection_map or {}, ms=account.now_ms, user=account.token_user,
                     source="api")  # fmt: skip
    store.audit.flush()
    return new


def run(account: SimulatedAccount, flow_id: str, body: dict) -> str:
    store = account.store
    flow = store.current["flows"][flow_id]
    if flow.get("disabled"):
        raise ApiError(400, "inactive_flow", "The flow is disabled; enable it before running it.")
    ms = account.now_ms
    store.touch("flows", flow_id, "lastExecutedAt", iso(ms), ms)
    return store.ids.new(ms)
