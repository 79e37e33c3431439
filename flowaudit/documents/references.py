"""The resources a document refers to by id wherever it names them: scripts (`_scriptId`
in hooks, transforms, filters, router branch conditions, ...), stacks, lookup caches, file
definitions, iClients and async helpers. The keys come from the resource registry
(`ref_key`); a flow reaches a script through its own documents and through its steps'
(flowaudit.documents.steps names the steps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowaudit.registry import REF_KEYS

# A document holds a reference only if its text holds one of these (a cheap first look).
REF_KEY_TEXTS = tuple(f'"{key}"' for key in REF_KEYS)


@dataclass(frozen=True, slots=True)
class Reference:
    """One place a document names another resource: `path` is where (the dotted path of
    the object holding the key, `hooks.preSavePage`), `resource_type` and `resource_id` what."""

    path: str
    resource_type: str
    resource_id: str


def may_refer(text: str) -> bool:
    """Whether a document's JSON text can hold a reference at all."""
    return any(key in text for key in REF_KEY_TEXTS)


def references(doc: Any) -> list[Reference]:
    """Every reference in doc, in document order, each (path, type, id) once. The walk is
    iterative: a document nested hundreds of levels deep is walked like any other."""
    found: dict[Reference, None] = {}
    stack: list[tuple[Any, tuple[str, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            children = []
            for key, value in node.items():
                resource_type = REF_KEYS.get(key)
                if resource_type is not None and isinstance(value, str) and value:
                    found[Reference(".".join(path), resource_type, value)] = None
                elif isinstance(value, dict | list):
                    children.append((value, (*path, str(key))))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                (item, (*path, str(index)))
                for index, item in reversed(list(enumerate(node)))
                if isinstance(item, dict | list)
            )
    return list(found)


def where(reference: Reference) -> str:
    """A reader's words for the place (`hooks.preSavePage`, or `(the document itself)`)."""
    return reference.path or "(top level)"
