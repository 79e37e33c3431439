"""Pure functions over API documents: the content hash that decides when a resource has a
new version, and the exports/imports a flow uses.

The hash is sha256 of canonical JSON (sorted keys, compact, UTF-8) of the document without
its volatile fields. A plain volatile name (`lastExecutedAt`) is dropped at any depth, a
dotted one (`logging.debugUntil`) only at that exact path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

# One encoder instance: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one serialisation that hashes are taken over."""
    return _CANONICAL.encode(value)


class ContentHasher:
    """Hashes documents without the volatile fields it was given."""

    def __init__(self, volatile_fields: Iterable[str]):
        fields = [f for f in volatile_fields if f]
        self._anywhere = frozenset(f for f in fields if "." not in f)
        self._paths = [tuple(f.split(".")) for f in fields if "." in f]
        # What a stored hash depends on besides the document: recorded with the hashes, so
        # a changed volatile_fields setting is noticed (store.meta `content_hash_basis:*`).
        self.basis = "sha256 canonical-json v1; volatile: " + ",".join(sorted(set(fields)))

    def stable_content(self, doc: dict[str, Any], text: str | None = None) -> dict[str, Any]:
        """A copy of doc without volatile fields (doc itself is not changed). Given the
        document's JSON text, nested levels are only walked when a volatile name occurs
        in them."""
        content = {k: v for k, v in doc.items() if k not in self._anywhere}
        if self._anywhere and (text is None or self._nested_volatile(doc, text)):
            content = _without_keys(content, self._anywhere)
        for path in self._paths:
            content = _without_path(content, path)
        return content

    def is_volatile_path(self, parts: list[str]) -> bool:
        """Whether a field path (split on dots) is or lies inside a volatile field."""
        if not self._anywhere.isdisjoint(parts):
            return True
        return bool(self._paths) and any(tuple(parts[: len(path)]) == path for path in self._paths)

    def content_hash(self, doc: dict[str, Any], text: str | None = None) -> str:
        return sha256_text(canonical_json(self.stable_content(doc, text)))

    def _nested_volatile(self, doc: dict[str, Any], text: str) -> bool:
        return any(
            text.count(f'"{name}"') > (1 if name in doc else 0) for name in self._anywhere
        )


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _without_keys(value: Any, names: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without_keys(v, names) for v in value]
    return value


def _without_path(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    if head not in doc:
        return doc
    copy = dict(doc)
    if not rest:
        del copy[head]
    elif isinstance(copy[head], dict):
        copy[head] = _without_path(copy[head], rest)
    return copy


def flow_steps(flow: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(resource_type, resource_id) of every export and import a flow document uses:
    pageGenerators, pageProcessors, routers' branches, and legacy top-level ids."""
    for generator in _dicts(flow.get("pageGenerators")):
        yield from _step_ids(generator)
    for processor in _dicts(flow.get("pageProcessors")):
        yield from _step_ids(processor)
    for router in _dicts(flow.get("routers")):
        for branch in _dicts(router.get("branches")):
            for processor in _dicts(branch.get("pageProcessors")):
                yield from _step_ids(processor)
    yield from _step_ids(flow)


def _step_ids(step: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, resource_type in (("_exportId", "export"), ("_importId", "import")):
        value = step.get(key)
        if isinstance(value, str) and value:
            yield resource_type, value


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
