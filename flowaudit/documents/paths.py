"""Field paths as the audit log writes them (`disabled`, `http.relativeURI`,
`pageProcessors.0.proceedOnFailure`, `mapping.fields[2].generate`), and copy-on-write
edits of documents along such a path. Containers are copied along the path only, so an
untouched value stays the same object (`a is b` says it did not change)."""

from __future__ import annotations

import re
from typing import Any

_INDEX = re.compile(r"\[(\d+|\*)\]")
MISSING: Any = object()  # a value that is absent (distinct from JSON null)


def split_path(path: str) -> list[str]:
    """The segments of a field path: `a.b[0].c` and `a.b.0.c` both give [a, b, 0, c]."""
    if "[" not in path and ".." not in path and not path.startswith(".") and not path.endswith("."):
        return path.split(".")
    return [part for part in _INDEX.sub(r".\1", path).split(".") if part != ""]


def get_path(doc: Any, parts: list[str]) -> Any:
    """The value at parts, or MISSING."""
    node = doc
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part, MISSING)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def set_path(container: Any, parts: list[str], value: Any) -> Any:
    """A copy of container with parts set to value (MISSING: removed); None if the path
    cannot be followed (through a scalar, or past the end of a list)."""
    head, rest = parts[0], parts[1:]
    if isinstance(container, dict):
        copy = dict(container)
        if not rest:
            if value is MISSING:
                copy.pop(head, None)
            else:
                copy[head] = value
            return copy
        child = container.get(head, MISSING)
        if child is MISSING:
            if value is MISSING:
                return copy  # removing below a missing key: already absent
            child = [] if rest[0].isdigit() else {}
        replaced = set_path(child, rest, value)
        if replaced is None:
            return None
        copy[head] = replaced
        return copy
    if isinstance(container, list) and head.isdigit():
        index = int(head)
        copy = list(container)
        if not rest:
            if value is MISSING:
                if index < len(copy):
                    del copy[index]
            elif index < len(copy):
                copy[index] = value
            elif index == len(copy):
                copy.append(value)
            else:
                return None
            return copy
        if index >= len(copy):
            return None
        replaced = set_path(copy[index], rest, value)
        if replaced is None:
            return None
        copy[index] = replaced
        return copy
    return None
