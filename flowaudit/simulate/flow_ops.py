"""Operations on flows shared by the HTTP flow API and the simulated users: cloning (with
its steps and a connection map) and the step references a flow holds."""

from __future__ import annotations

import json
from typing import Any

from flowaudit.simulate.clock import iso
from flowaudit.simulate.store import Store, flow_step_ids

READ_ONLY_FLOW_FIELDS = ("_id", "createdAt", "lastModified", "lastExecutedAt")


def connections_of_flow(store: Store, flow: dict) -> list[str]:
    """Connection ids a flow's exports and imports use, in order, each once."""
    exports, imports = flow_step_ids(flow)
    found: dict[str, None] = {}
    for kind, ids in (("exports", exports), ("imports", imports)):
        for step_id in ids:
            step = store.get(kind, step_id)
            if step is not None and step.get("_connectionId"):
                found[step["_connectionId"]] = None
    return list(found)


def remap_steps(value: Any, mapping: dict[str, str]) -> Any:
    """A deep copy of value with every _exportId/_importId replaced through mapping."""
    if isinstance(value, dict):
        return {
            key: mapping.get(item, item)
            if key in ("_exportId", "_importId") and isinstance(item, str)
            else remap_steps(item, mapping)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [remap_steps(item, mapping) for item in value]
    return value


def clone_flow(
    store: Store,
    flow_id: str,
    *,
    name: str,
    integration_id: str | None,
    connection_map: dict[str, str],
    ms: int,
    user: int,
    source: str,
) -> dict:
    """Copy a flow and its exports and imports; each new resource gets a create record."""
    flow = store.current["flows"][flow_id]
    exports, imports = flow_step_ids(flow)
    step_map: dict[str, str] = {}
    for kind, ids in (("exports", exports), ("imports", imports)):
        for step_id in ids:
            original = store.get(kind, step_id)
            if original is None:
                continue
            copy = json.loads(json.dumps(original))
            copy["_id"] = step_map[step_id] = store.ids.new(ms)
            copy["lastModified"] = copy["createdAt"] = iso(ms)
            if copy.get("_connectionId"):
                copy["_connectionId"] = connection_map.get(copy["_connectionId"], copy["_connectionId"])
            store.create(kind, copy, ms, user, source)
    new_flow: dict = {"_id": store.ids.new(ms), "lastModified": iso(ms), "name": name}
    for key, value in flow.items():
        if key in (*READ_ONLY_FLOW_FIELDS, "name", "_integrationId"):
            continue
        new_flow[key] = remap_steps(value, step_map)
    if integration_id is not None:
        new_flow["_integrationId"] = integration_id
    new_flow["createdAt"] = iso(ms)
    return store.create("flows", new_flow, ms, user, source)
