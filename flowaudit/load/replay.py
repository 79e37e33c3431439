"""Backwards replay of audit `fieldChanges`: the versions a resource had before flowaudit
first saw it, rebuilt from the first observed document.

Each record is undone newest first (a path is set back to its oldValue, or removed when
the record has no oldValue); each distinct state becomes a version that ends where the
next newer record begins. Paths are dotted (`a.b.0.c`; `a[0]` is read as `a.0`).
Containers are copied along the changed path only (untouched values are shared between
versions, so `a is b` says a top-level value did not change), and the canonical JSON of
each top-level value is cached: a record costs one encoding of the values it touched."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_INDEX = re.compile(r"\[(\d+)\]")
# Times are anything ordered: datetimes in tests, integer microseconds in the loader.
Moment = Any
_MISSING = object()


@dataclass(slots=True)
class FieldChange:
    path: str
    old_present: bool
    old_value: Any = None  # the decoded JSON value when old_present


@dataclass(slots=True)
class AuditStep:
    event_id: str
    time: Moment
    event: str | None
    changes: list[FieldChange] = field(default_factory=list)


@dataclass(slots=True)
class RebuiltVersion:
    content: str  # canonical JSON (sorted keys, compact), volatile fields excluded
    valid_from: Moment
    valid_to: Moment
    audit_event_id: str  # the record whose undoing produced this state
    document: dict[str, Any]


@dataclass
class Replay:
    observed_valid_from: Moment  # when the first observed state began
    versions: list[RebuiltVersion]  # older states, newest first
    skipped_changes: int  # changes whose path could not be followed


def split_path(path: str) -> list[str]:
    if "[" not in path and ".." not in path and not path.startswith(".") and not path.endswith("."):
        return path.split(".")
    return [part for part in _INDEX.sub(r".\1", path).split(".") if part != ""]


class CanonicalDocument:
    """A document and the canonical JSON of each of its top-level values ("pieces"); its
    text is the pieces joined in key order, as json.dumps(sort_keys=True) would write it."""

    __slots__ = ("_keys", "_pieces", "doc")

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self._pieces = {key: _piece(key, value) for key, value in doc.items()}
        self._keys = sorted(self._pieces)

    def text(self) -> str:
        pieces = self._pieces
        return "{" + ",".join([pieces[key] for key in self._keys]) + "}"

    def with_changes_undone(
        self, changes: list[FieldChange], is_ignored: Callable[[list[str]], bool]
    ) -> tuple[CanonicalDocument, int]:
        """The document before `changes` (undone last first), and how many of them could
        not be followed; self when the result has the same content."""
        doc = self.doc
        touched: list[str] = []
        skipped = 0
        for change in reversed(changes):
            parts = split_path(change.path or "")
            if not parts or is_ignored(parts):
                continue
            changed = _set_path(doc, parts, change.old_value if change.old_present else _MISSING)
            if changed is None:
                skipped += 1
                continue
            doc = changed
            if parts[0] not in touched:
                touched.append(parts[0])
        pieces = None
        for head in touched:
            piece = _piece(head, doc[head]) if head in doc else None
            if piece != self._pieces.get(head):
                if pieces is None:
                    pieces = dict(self._pieces)
                if piece is None:
                    del pieces[head]
                else:
                    pieces[head] = piece
        if pieces is None:
            return self, skipped
        copy = CanonicalDocument.__new__(CanonicalDocument)
        copy.doc = doc
        copy._pieces = pieces
        copy._keys = self._keys if pieces.keys() == self._pieces.keys() else sorted(pieces)
        return copy, skipped


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode = _ENCODER.encode
# What _encode does for these types, without its per-call dispatch (most top-level values
# are scalars): the same functions json's encoder calls.
_encode_string = json.encoder.encode_basestring
_int_text = int.__repr__


@lru_cache(maxsize=4096)  # documents of a kind share their top-level keys
def _prefix(key: str) -> str:
    return _encode_string(key) + ":"


def _piece(key: str, value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _prefix(key) + _encode_string(value)
    if kind is bool or value is None:
        return _prefix(key) + ("null" if value is None else "true" if value else "false")
    if kind is int:
        return _prefix(key) + _int_text(value)
    return _prefix(key) + _encode(value)


def _set_path(container: Any, parts: list[str], value: Any) -> Any:
    """A copy of container with parts set to value (_MISSING: removed); None if impossible."""
    head, rest = parts[0], parts[1:]
    if isinstance(container, dict):
        copy = dict(container)
        if not rest:
            if value is _MISSING:
                copy.pop(head, None)
            else:
                copy[head] = value
            return copy
        child = container.get(head, _MISSING)
        if child is _MISSING:
            if value is _MISSING:
                return copy  # removing below a missing key: already absent
            child = [] if rest[0].isdigit() else {}
        replaced = _set_path(child, rest, value)
        if replaced is None:
            return None
        copy[head] = replaced
        return copy
    if isinstance(container, list) and head.isdigit():
        index = int(head)
        copy = list(container)
        if not rest:
            if value is _MISSING:
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
        replaced = _set_path(copy[index], rest, value)
        if replaced is None:
            return None
        copy[index] = replaced
        return copy
    return None


def replay_backwards(
    observed: dict[str, Any],
    steps: Iterable[AuditStep],
    *,
    first_seen_at: Moment,
    created_at: Moment | None,
    is_ignored: Callable[[list[str]], bool] = lambda parts: False,
) -> Replay:
    """Rebuild the states before `observed` (volatile fields already removed) from the audit
    steps of that resource up to its first observation, given oldest first.

    A state starts at the record that produced it; the oldest starts at the create record,
    else at the document's createdAt, else at the oldest record seen while it held (a
    rebuilt state with no known start is dropped). Records that change nothing extend the
    state they fall in, so consecutive versions always differ."""
    ordered = list(steps)
    for index in range(len(ordered) - 1, -1, -1):
        if (ordered[index].event or "") == "create":
            ordered = ordered[index:]  # nothing before a create is this resource
            break
    if not ordered:  # nothing to undo: the observed state began at creation, if known
        start = created_at if created_at is not None and created_at <= first_seen_at else None
        return Replay(start if start is not None else first_seen_at, [], 0)
    current = CanonicalDocument(observed)
    current_text: str | None = None  # built when first needed
    current_event: str | None = None  # None while current is the observed state
    current_end = first_seen_at
    quiet_since: Moment | None = None  # oldest record that left current unchanged
    versions: list[RebuiltVersion] = []
    observed_valid_from = first_seen_at
    skipped = 0
    start: Moment | None = None

    def emit(begins: Moment | None) -> None:
        nonlocal observed_valid_from
        if current_event is None:
            observed_valid_from = begins if begins is not None else first_seen_at
        elif begins is not None and begins < current_end:
            text = current_text if current_text is not None else current.text()
            versions.append(RebuiltVersion(text, begins, current_end, current_event, current.doc))

    for step in reversed(ordered):
        if (step.event or "") == "create":
            start = step.time
            break
        previous, missed = current.with_changes_undone(step.changes, is_ignored)
        skipped += missed
        if previous is current:
            quiet_since = step.time
            continue
        emit(step.time)
        current_end = step.time
        current, current_text, current_event = previous, None, step.event_id
        quiet_since = None
    else:
        if created_at is not None and created_at <= current_end:
            start = created_at
        else:
            start = quiet_since
    emit(start)
    return Replay(observed_valid_from, versions, skipped)
