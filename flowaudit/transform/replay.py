"""A resource's configuration at any earlier time.

From the stored versions when the time is covered; before the first observation, by
replaying the audit log's `fieldChanges` backwards from the first observed document
(each record's `oldValue` put back, an absent `oldValue` removing the field)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowaudit.transform.diff import MISSING


@dataclass(frozen=True)
class FieldChange:
    """One entry of an audit record's fieldChanges (MISSING = the value was absent)."""

    path: str
    old: Any = MISSING
    new: Any = MISSING


@dataclass(frozen=True)
class AuditChange:
    """An audit record reduced to what replay needs."""

    event_id: str
    time: datetime
    event: str
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Version:
    """A document valid over [valid_from, valid_to); valid_to None = still current."""

    valid_from: datetime | None
    valid_to: datetime | None
    doc: dict[str, Any] | None
    origin: str = "observed"  # observed | reconstructed
    event_id: str | None = None


def set_path(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of doc with the value at a dotted path replaced (MISSING removes it)."""
    result = copy.deepcopy(doc)
    keys = [k for k in dotted.split(".") if k]
    if not keys:
        return result
    node: Any = result
    for key in keys[:-1]:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
            continue
        if not isinstance(node, dict):
            return result  # the path runs through a scalar: nothing sensible to put back
        if not isinstance(node.get(key), dict | list):
            if value is MISSING:
                return result
            node[key] = {}
        node = node[key]
    last = keys[-1]
    if isinstance(node, list) and last.isdigit():
        index = int(last)
        if value is MISSING and index < len(node):
            node.pop(index)
        elif index < len(node):
            node[index] = value
        return result
    if not isinstance(node, dict):
        return result
    if value is MISSING:
        node.pop(last, None)
    else:
        node[last] = value
    return result


def undo(doc: dict[str, Any] | None, record: AuditChange) -> dict[str, Any] | None:
    """The document as it was just before the audit record (None before its creation)."""
    if record.event == "create":
        return None
    if doc is None:
        return None
    before = doc
    # Several fields of one record are independent; undo them in reverse order anyway.
    for change in reversed(record.changes):
        before = set_path(before, change.path, change.old)
    return before


def replay_backwards(
    first_observed: Version, records: Iterable[AuditChange]
) -> list[Version]:
    """Reconstructed versions before the first observation, oldest first.

    `records` are the resource's audit records up to the first observation; the ones that
    change nothing (no fieldChanges, not a create) produce no version."""
    ordered = sorted(
        (r for r in records if first_observed.valid_from is None or r.time <= first_observed.valid_from),
        key=lambda r: (r.time, r.event_id),
        reverse=True,
    )
    versions: list[Version] = []
    doc = first_observed.doc
    for record in ordered:
        if record.event != "create" and not record.changes:
            continue
        before = undo(doc, record)
        if record.event == "create" or before is None:
            break
        versions.append(
            Version(None, record.time, before, origin="reconstructed", event_id=record.event_id)
        )
        doc = before
    # Each reconstructed version starts when the record before it happened.
    versions.reverse()
    stitched: list[Version] = []
    for index, version in enumerate(versions):
        start = versions[index - 1].valid_to if index else _creation_time(ordered)
        stitched.append(
            Version(start, version.valid_to, version.doc, version.origin, version.event_id)
        )
    return stitched


def _creation_time(records_newest_first: Sequence[AuditChange]) -> datetime | None:
    for record in records_newest_first:
        if record.event == "create":
            return record.time
    return None


def as_of(versions: Sequence[Version], when: datetime) -> dict[str, Any] | None:
    """The document valid at `when` (None if the resource did not exist or is unknown then)."""
    for version in versions:
        starts = version.valid_from is None or version.valid_from <= when
        ends = version.valid_to is None or when < version.valid_to
        if starts and ends:
            return version.doc
    return None
