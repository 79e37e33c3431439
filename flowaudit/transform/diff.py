"""Celigo-aware structural diff of two resource documents.

Steps (`pageGenerators`, `pageProcessors`, router branches) and mapping lists are matched
by identity (`_exportId`, `_importId`, `_id`, `generate`), never by position, so inserting
a step is one added step and reordering is a move. Volatile fields (the one matcher,
flowaudit.documents.volatility) are not compared; the caller learns which of them
changed. Pure functions over plain JSON values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from flowaudit.documents.volatility import VolatileFields

ChangeKind = Literal["added", "removed", "modified", "moved"]

# Order matters: a page generator has both `_exportId` and `_id`; the export id is the
# one a reader (and the audit log) knows the step by.
IDENTITY_KEYS = ("_exportId", "_importId", "_id", "generate")


class _Missing:
    """Marks a value that is absent (distinct from JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Change:
    """One difference between two documents, at a readable path."""

    path: str
    kind: ChangeKind
    old: Any = MISSING
    new: Any = MISSING

    def as_row(self) -> dict[str, Any]:
        """The change as a flat row (values as JSON text; absent = None)."""
        return {
            "path": self.path,
            "kind": self.kind,
            "old": None if self.old is MISSING else json.dumps(self.old, sort_keys=True),
            "new": None if self.new is MISSING else json.dumps(self.new, sort_keys=True),
        }


@dataclass(frozen=True)
class DocumentDiff:
    """The changes between two documents and the volatile paths that changed but were ignored."""

    changes: tuple[Change, ...] = ()
    ignored: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.changes)


def diff_documents(
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    *,
    volatile_fields: VolatileFields | Iterable[str] = (),
) -> DocumentDiff:
    """Every change from `old` to `new`; a missing document diffs as a whole add/remove."""
    if old is None and new is None:
        return DocumentDiff()
    if old is None:
        return DocumentDiff((Change("", "added", new=new),))
    if new is None:
        return DocumentDiff((Change("", "removed", old=old),))
    volatile = (
        volatile_fields
        if isinstance(volatile_fields, VolatileFields)
        else VolatileFields(volatile_fields)
    )
    changes: list[Change] = []
    ignored: list[str] = []
    _diff_values(old, new, "", [], volatile, changes, ignored)
    return DocumentDiff(tuple(changes), tuple(ignored))


def diff_values(old: Any, new: Any, path: str = "") -> tuple[Change, ...]:
    """Every change from one field value to another (lists matched by identity as in
    diff_documents), at paths below `path`; no field is volatile here."""
    changes: list[Change] = []
    _diff_values(old, new, path, [path] if path else [], VolatileFields(()), changes, [])
    return tuple(changes)


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _diff_values(
    old: Any, new: Any, path: str, parts: list[str], volatile: VolatileFields, out: list[Change],
    ignored: list[str],
) -> None:  # fmt: skip
    if isinstance(old, dict) and isinstance(new, dict):
        if old == new:  # equal (C speed): nothing differs, nothing volatile changed
            return
        for key in _ordered_keys(old, new):
            a, b = old.get(key, MISSING), new.get(key, MISSING)
            if a is b or (type(a) is type(b) and a == b):  # the same (C speed): no call, no path
                continue
            child = _join(path, key)
            child_parts = [*parts, key]
            if volatile.is_volatile(child_parts):
                if a != b or (a is MISSING) != (b is MISSING):
                    ignored.append(child)
                continue
            if a is MISSING:
                out.append(Change(child, "added", new=b))
            elif b is MISSING:
                out.append(Change(child, "removed", old=a))
            else:
                _diff_values(a, b, child, child_parts, volatile, out, ignored)
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_lists(old, new, path, parts, volatile, out, ignored)
        return
    if type(old) is not type(new) or old != new:
        out.append(Change(path, "modified", old=old, new=new))


def _ordered_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = list(old)
    keys.extend(k for k in new if k not in old)
    return keys


def _item_identity(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return None
    for key in IDENTITY_KEYS:
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            return key, str(value)
    return None


def _keyed(items: list[Any]) -> list[str] | None:
    """Selectors like `_importId=abc` for every item, or None when the list has no identity."""
    identities = [_item_identity(item) for item in items]
    if not items or any(identity is None for identity in identities):
        return None
    seen: dict[str, int] = {}
    selectors = []
    for key, value in identities:  # type: ignore[misc]
        selector = f"{key}={value}"
        seen[selector] = seen.get(selector, 0) + 1
        # The same import used twice in one flow: the second is told apart by its occurrence.
        selectors.append(selector if seen[selector] == 1 else f"{selector}#{seen[selector]}")
    return selectors


def _diff_lists(
    old: list[Any],
    new: list[Any],
    path: str,
    parts: list[str],
    volatile: VolatileFields,
    out,
    ignored,
) -> None:
    if old == new:  # equal (C speed): nothing to match
        return
    old_keys, new_keys = _keyed(old), _keyed(new)
    if old_keys is None and not old:
        old_keys = [] if new_keys is not None else None
    if new_keys is None and not new:
        new_keys = [] if old_keys is not None else None
    if old_keys is None or new_keys is None:
        _diff_positional(old, new, path, parts, volatile, out, ignored)
        return
    old_by_key = dict(zip(old_keys, old, strict=True))
    new_by_key = dict(zip(new_keys, new, strict=True))
    for key in old_keys:
        if key not in new_by_key:
            out.append(Change(f"{path}[{key}]", "removed", old=old_by_key[key]))
    common_old = [k for k in old_keys if k in new_by_key]
    common_new = [k for k in new_keys if k in old_by_key]
    stayed = set(_longest_common_subsequence(common_old, common_new))
    for index, key in enumerate(new_keys):
        selector = f"{path}[{key}]"
        if key not in old_by_key:
            out.append(Change(selector, "added", new=new[index]))
            continue
        if key not in stayed:
            out.append(Change(selector, "moved", old=old_keys.index(key), new=index))
        _diff_values(
            old_by_key[key], new_by_key[key], selector, [*parts, "*"], volatile, out, ignored
        )


def _diff_positional(
    old: list[Any],
    new: list[Any],
    path: str,
    parts: list[str],
    volatile: VolatileFields,
    out,
    ignored,
) -> None:
    scalars = all(not isinstance(v, dict | list) for v in [*old, *new])
    if scalars:
        # A list of ids or names reads best as one before/after value.
        if old != new:
            out.append(Change(path, "modified", old=old, new=new))
        return
    for index in range(max(len(old), len(new))):
        selector = f"{path}[{index}]"
        if index >= len(old):
            out.append(Change(selector, "added", new=new[index]))
        elif index >= len(new):
            out.append(Change(selector, "removed", old=old[index]))
        else:
            _diff_values(
                old[index], new[index], selector, [*parts, str(index)], volatile, out, ignored
            )


def _longest_common_subsequence(a: list[str], b: list[str]) -> list[str]:
    """Items of `a` that keep their relative order in `b` (the rest were moved)."""
    rows, cols = len(a), len(b)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            table[i][j] = (
                table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
            )
    result, i, j = [], 0, 0
    while i < rows and j < cols:
        if a[i] == b[j]:
            result.append(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return result


def path_segments(path: str) -> list[str]:
    """The dotted keys of a diff path, without list selectors: the audit log's vocabulary.

    `pageProcessors[_importId=abc].proceedOnFailure` -> ["pageProcessors", "proceedOnFailure"];
    numeric segments (`pageProcessors.1.x`, `[1]`) are dropped the same way."""
    segments = []
    for part in _split_outside_brackets(path):
        key = part.split("[", 1)[0]
        if key and not key.isdigit():
            segments.append(key)
    return segments


def _split_outside_brackets(path: str) -> Iterator[str]:
    depth, start = 0, 0
    for index, char in enumerate(path):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "." and depth == 0:
            yield path[start:index]
            start = index + 1
    yield path[start:]
