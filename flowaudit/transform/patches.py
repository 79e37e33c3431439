"""Compact patches between two JSON documents, so a page can carry one document and the
changes that lead back to every earlier version instead of every version in full.

A patch is a list of operations applied in order: `["s", path, value]` sets the value at
path (a list of keys and list indexes; `[]` is the whole document), `["d", path]` deletes
a key. Lists of the same length are patched item by item; a list that changed length is
set whole, so a patch never has to shift indexes. Pure functions over plain JSON values."""

from __future__ import annotations

from typing import Any

Path = list[str | int]
Operation = list[Any]


def make_patch(source: Any, target: Any) -> list[Operation]:
    """The operations that turn `source` into `target`."""
    ops: list[Operation] = []
    _diff(source, target, [], ops)
    return ops


def _diff(source: Any, target: Any, path: Path, ops: list[Operation]) -> None:
    if isinstance(source, dict) and isinstance(target, dict):
        for key in source:
            if key not in target:
                ops.append(["d", [*path, key]])
        for key, value in target.items():
            if key not in source:
                ops.append(["s", [*path, key], value])
            elif source[key] is not value:  # the same object: nothing to walk (versions share them)
                _diff(source[key], value, [*path, key], ops)
        return
    if isinstance(source, list) and isinstance(target, list) and len(source) == len(target):
        for index, (old, new) in enumerate(zip(source, target, strict=True)):
            if old is not new:
                _diff(old, new, [*path, index], ops)
        return
    if type(source) is not type(target) or source != target:
        ops.append(["s", list(path), target])


def apply_patch(doc: Any, ops: list[Operation]) -> Any:
    """`doc` with the operations applied (the same rules as the pages' script), as a new
    document: `doc` is not changed. Only the objects and lists on the paths the operations
    change are copied; the rest is shared with `doc` (a flow's versions differ in a few
    fields, and copying each whole was most of rebuilding them). Treat both as read-only."""
    fresh: set[int] = set()  # ids of the containers made here: those may change in place

    def own(value: Any) -> Any:
        if id(value) in fresh:
            return value
        if isinstance(value, dict):
            made: Any = dict(value)
        elif isinstance(value, list):
            made = list(value)
        else:
            raise TypeError(f"a patch path goes through a {type(value).__name__}")
        fresh.add(id(made))
        return made

    result = doc
    for op in ops:
        path = op[1]
        if not path:
            result = op[2] if op[0] == "s" else None
            continue
        result = node = own(result)
        for key in path[:-1]:
            node[key] = node = own(node[key])
        if op[0] == "s":
            node[path[-1]] = op[2]
        else:
            del node[path[-1]]
    return result
