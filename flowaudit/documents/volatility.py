"""Which fields are volatile: their change alone is no new version, no drift and nothing to
reconcile. One matcher serves hashing, diffing and reconciliation, so a documented setting
means the same thing everywhere.

A pattern is either a bare name (`lastModified`), matched at any depth, or a dotted path
anchored at the document's root (`logging.debugUntil`), in which `*` (or `[*]`) stands for
any one key or list position (`pageGenerators[*].lastExportDateTime`). A field path is
volatile when it is, or lies inside, a field a pattern matches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from flowaudit.documents.paths import split_path

WILDCARD = "*"


class VolatileFields:
    """A set of volatile-field patterns."""

    def __init__(self, patterns: Iterable[str]):
        cleaned = sorted({p.strip() for p in patterns if p and p.strip()})
        self.patterns: tuple[str, ...] = tuple(cleaned)
        anchored = [tuple(split_path(p)) for p in cleaned if "." in p or "[" in p or p == WILDCARD]
        self._anywhere = frozenset(
            p for p in cleaned if "." not in p and "[" not in p and p != WILDCARD
        )
        self._anchored: tuple[tuple[str, ...], ...] = tuple(a for a in anchored if a)
        # What a stored hash depends on besides the document: recorded with the hashes, so
        # a changed setting is noticed (store.meta `content_hash_basis:*`).
        self.basis = "sha256 canonical-json v1; volatile: " + ",".join(cleaned)
        self._known: dict[tuple[str, ...], bool] = {}

    def is_volatile_split(self, parts: tuple[str, ...]) -> bool:
        """is_volatile for a split path held as a tuple, remembered (replaying an account's
        history asks about the same few thousand paths hundreds of thousands of times)."""
        known = self._known.get(parts)
        if known is None:
            if len(self._known) >= 100_000:  # hostile data: unbounded distinct paths
                self._known.clear()
            known = self._known[parts] = self.is_volatile(parts)
        return known

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def is_volatile(self, parts: Sequence[str]) -> bool:
        """Whether the field at parts (a split path; `*` for an unknown list position) is
        volatile or lies inside a volatile field."""
        if not self._anywhere.isdisjoint(parts):
            return True
        return any(_prefix_matches(pattern, parts) for pattern in self._anchored)

    def is_volatile_path(self, path: str) -> bool:
        """is_volatile for a field path as the audit log writes it, remembered as
        is_volatile_split is (a flow page asks about the same paths version after version)."""
        return self.is_volatile_split(tuple(split_path(path or "")))

    def strip(self, doc: Any, text: str | None = None) -> Any:
        """A copy of doc without its volatile fields (doc itself is not changed). Given the
        document's JSON text, nested levels are walked only when a volatile name occurs in
        them."""
        if not isinstance(doc, dict):
            return doc
        content = {k: v for k, v in doc.items() if k not in self._anywhere}
        if self._anywhere and (text is None or self._nested_name(doc, text)):
            content = _without_keys(content, self._anywhere)
        for pattern in self._anchored:
            content = _without_pattern(content, pattern)
        return content

    def for_page(self) -> dict[str, list[Any]]:
        """The patterns as a page's script strips them: names matched at any depth, and
        anchored paths split into their keys."""
        return {"anywhere": sorted(self._anywhere), "anchored": [list(p) for p in self._anchored]}

    def _nested_name(self, doc: dict[str, Any], text: str) -> bool:
        return any(text.count(f'"{name}"') > (1 if name in doc else 0) for name in self._anywhere)


@cache
def volatile_fields_for(resource_type: str, setting: tuple[str, ...]) -> VolatileFields:
    """The matcher for one resource type: the setting's patterns plus the registry's own
    volatile fields of that type."""
    from flowaudit.registry import BY_NAME

    entry = BY_NAME.get(resource_type)
    return VolatileFields((*setting, *(entry.volatile_fields if entry else ())))


def _prefix_matches(pattern: tuple[str, ...], parts: Sequence[str]) -> bool:
    if len(pattern) > len(parts):
        return False
    return all(want in (WILDCARD, have) for want, have in zip(pattern, parts, strict=False))


def _without_keys(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without_keys(v, names) for v in value]
    return value


def _without_pattern(value: Any, pattern: tuple[str, ...]) -> Any:
    """value without what the anchored pattern names (copies only along the way)."""
    head, rest = pattern[0], pattern[1:]
    if isinstance(value, dict):
        keys = list(value) if head == WILDCARD else [head] if head in value else []
        if not keys:
            return value
        copy = dict(value)
        for key in keys:
            if rest:
                copy[key] = _without_pattern(copy[key], rest)
            else:
                del copy[key]
        return copy
    if isinstance(value, list):
        if head != WILDCARD and not head.isdigit():
            return value
        indexes = (
            range(len(value)) if head == WILDCARD else [int(head)] if int(head) < len(value) else []
        )
        if not indexes:
            return value
        if not rest:
            drop = set(indexes)
            return [item for index, item in enumerate(value) if index not in drop]
        copy = list(value)
        for index in indexes:
            copy[index] = _without_pattern(copy[index], rest)
        return copy
    return value
