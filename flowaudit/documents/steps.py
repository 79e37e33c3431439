"""The resources a flow uses, in every place a flow can name them: `pageGenerators`,
`pageProcessors`, routers' branches, and the legacy top-level `_exportId`/`_importId`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flowaudit.registry import FLOW_STEP_KEYS

# The top-level keys of a flow under which it names steps: a change to any other key
# cannot change its steps.
STEP_FIELDS = frozenset({"pageGenerators", "pageProcessors", "routers", *FLOW_STEP_KEYS})


def flow_steps(flow: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(resource_type, id) of every step of the flow, in flow order, each once: sources
    first, then processors (branches' included), then legacy top-level ids."""
    if not isinstance(flow, dict):
        return []
    found = dict.fromkeys(_walk(flow))
    return list(found)


def _walk(flow: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for generator in _dicts(flow.get("pageGenerators")):
        yield from _refs(generator)
    for processor in _dicts(flow.get("pageProcessors")):
        yield from _refs(processor)
    for router in _dicts(flow.get("routers")):
        for branch in _dicts(router.get("branches")):
            for processor in _dicts(branch.get("pageProcessors")):
                yield from _refs(processor)
    yield from _refs(flow)


def _refs(step: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, resource_type in FLOW_STEP_KEYS.items():
        value = step.get(key)
        if isinstance(value, str) and value:
            yield resource_type, value


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
