"""Dotted field paths (`http.relativeURI`) on JSON documents, without mutation.

Documents inside the simulator are never changed in place: a change returns a new top-level
dict that shares every untouched value with the old one. That keeps old values safe to hold
in audit records and makes a change cost a few small copies, never a deep copy."""

from __future__ import annotations

from typing import Any


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # a field that is not there (vs a field that holds null)


def get_path(doc: dict, path: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def set_path(doc: dict, path: str, value: Any) -> dict:
    """A copy of doc with path set to value (intermediate dicts created as needed)."""
    head, _, rest = path.partition(".")
    new = dict(doc)
    if rest:
        child = doc.get(head)
        new[head] = set_path(child if isinstance(child, dict) else {}, rest, value)
    else:
        new[head] = value
    return new


def remove_path(doc: dict, path: str) -> dict:
    """A copy of doc without path (unchanged copy when the path is not there)."""
    head, _, rest = path.partition(".")
    if head not in doc:
        return doc
    new = dict(doc)
    if rest:
        child = doc[head]
        if isinstance(child, dict):
            new[head] = remove_path(child, rest)
    else:
        del new[head]
    return new


def apply_change(doc: dict, path: str, value: Any) -> dict:
    """Set path to value, or remove it when value is MISSING."""
    return remove_path(doc, path) if value is MISSING else set_path(doc, path, value)


def diff_paths(old: dict, new: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """The (path, new value or MISSING) changes that turn old into new.

    Nested objects are compared field by field (`http.relativeURI`), arrays as a whole
    (`pageProcessors`), the way integrator.io audit records name their fields."""
    changes: list[tuple[str, Any]] = []
    for key, old_value in old.items():
        path = prefix + key
        if key not in new:
            changes.append((path, MISSING))
            continue
        new_value = new[key]
        if isinstance(old_value, dict) and isinstance(new_value, dict) and old_value and new_value:
            changes.extend(diff_paths(old_value, new_value, path + "."))
        elif old_value != new_value or type(old_value) is not type(new_value):
            changes.append((path, new_value))
    for key, new_value in new.items():
        if key not in old:
            changes.append((prefix + key, new_value))
    return changes
