"""The account's state: current documents, the ground-truth history of every change, and
the audit log, all written through create/update/delete/touch so they cannot disagree.

Documents are never mutated (see docpath). The ground truth keeps, per resource, its first
document and every later change in order; `state_at` replays that forward. The audit log is
a separate, sorted, append-only list of compact rows serialized to JSON only when served."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from flowaudit import jsonfast
from flowaudit.documents.steps import flow_steps
from flowaudit.registry import BY_LISTING, LISTINGS
from flowaudit.simulate.clock import iso
from flowaudit.simulate.docpath import MISSING, apply_change, get_path
from flowaudit.simulate.ids import IdMaker

KINDS = LISTINGS  # the resource registry's listings (flowaudit.registry)
TYPE_OF_KIND = {kind: BY_LISTING[kind].name for kind in KINDS}  # "flows" -> "flow" (audit resourceType)
KIND_OF_TYPE = {rtype: kind for kind, rtype in TYPE_OF_KIND.items()}

# Positions in an audit row tuple (a tuple, not an object: there may be half a million).
ROW_ID, ROW_TYPE, ROW_RESOURCE, ROW_SOURCE, ROW_EVENT, ROW_TIME, ROW_USER, ROW_CHANGES, ROW_DELETED = range(9)

# The flow fields that refer to exports and imports.
STEP_FIELDS = frozenset(("pageProcessors", "pageGenerators", "routers", "_exportId", "_importId"))

# Ground-truth operations.
OP_CREATE, OP_UPDATE, OP_DELETE = "create", "update", "delete"


def dumps(value: Any) -> bytes:
    return jsonfast.dumps(value)


def flow_step_ids(flow: dict) -> tuple[list[str], list[str]]:
    """The export ids and import ids a flow uses, in order, each once."""
    steps = flow_steps(flow)
    return [rid for kind, rid in steps if kind == "export"], [rid for kind, rid in steps if kind == "import"]


class AuditLog:
    """Audit rows sorted by (time, _id), append-only; an index by (resourceType, id)."""

    def __init__(self, users: list[dict]):
        self.users = users
        self.rows: list[tuple] = []
        self.times: list[int] = []
        self.by_resource: dict[tuple[str, str], list[int]] = {}
        self._pending: list[tuple] = []
        # Each record's JSON, made once when first served: a page is then a join of bytes.
        self._bytes: list[bytes | None] = []

    def add(self, row: tuple) -> None:
        self._pending.append(row)

    def flush(self) -> int:
        """Append the pending rows in order; they must all be newer than the stored ones."""
        if not self._pending:
            return 0
        pending = sorted(self._pending, key=itemgetter(ROW_TIME, ROW_ID))
        self._pending = []
        if self.rows and (pending[0][ROW_TIME], pending[0][ROW_ID]) < (
            self.rows[-1][ROW_TIME],
            self.rows[-1][ROW_ID],
        ):
            raise AssertionError("audit rows must be appended in time order")
        start = len(self.rows)
        self.rows.extend(pending)
        self.times.extend(row[ROW_TIME] for row in pending)
        self._bytes.extend([None] * len(pending))
        index = self.by_resource
        for position, row in enumerate(pending, start):
            key = (row[ROW_TYPE], row[ROW_RESOURCE])
            positions = index.get(key)
            if positions is None:
                index[key] = [position]
            else:
                positions.append(position)
        return len(pending)

    def record(self, position: int) -> dict:
        """The API form of the row at position."""
        row = self.rows[position]
        record = {
            "_id": row[ROW_ID],
            "resourceType": row[ROW_TYPE],
            "_resourceId": row[ROW_RESOURCE],
            "source": row[ROW_SOURCE],
            "fieldChanges": _field_changes(row[ROW_CHANGES]),
            "event": row[ROW_EVENT],
            "time": iso(row[ROW_TIME]),
            "byUser": self.users[row[ROW_USER]],
        }
        if row[ROW_DELETED] is not None:
            record["deletedInfo"] = {"name": row[ROW_DELETED]}
        return record

    def record_bytes(self, position: int) -> bytes:
        encoded = self._bytes[position]
        if encoded is None:
            encoded = self._bytes[position] = dumps(self.record(position))
        return encoded

    def page_bytes(self, positions: list[int]) -> bytes:
        """The JSON array of the records at positions, as the API sends it."""
        return b"[" + b",".join([self.record_bytes(p) for p in positions]) + b"]"

    def warm(self) -> None:
        """Encode every record now, so that serving pages costs no encoding later."""
        for position in range(len(self.rows)):
            self.record_bytes(position)


class Store:
    """Current documents, ground truth and audit log of one account."""

    def __init__(self, ids: IdMaker, users: list[dict], *, keep_snapshots: bool = True):
        self.ids = ids
        # With snapshots, every version's whole document is kept (shared structure makes
        # that cheap for small and medium accounts); without, state_at replays changes.
        self.keep_snapshots = keep_snapshots
        self.users = users
        self.current: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.sorted_ids: dict[str, list[str]] = {kind: [] for kind in KINDS}
        # kind -> id -> [(ms, op, payload, snapshot)]: payload is the document (create), a
        # tuple of (path, old, new) changes (update), or None (delete); snapshot is the
        # document after the change (None when deleted or when snapshots are not kept).
        self.truth: dict[str, dict[str, list[tuple]]] = {kind: {} for kind in KINDS}
        self.audit = AuditLog(users)
        self.silent_change_log: list[dict] = []
        self.flows_using_step: dict[str, dict[str, None]] = {}  # export/import id -> flow ids
        # Called after every create, update and delete as (kind, id, ms, document after or
        # None, audit row or None): what follows the account's writes (its jobs) hooks in here.
        self.watchers: list = []
        self._doc_bytes: dict[str, dict[str, bytes]] = {kind: {} for kind in KINDS}

    # --- reading ---
    def get(self, kind: str, rid: str) -> dict | None:
        return self.current[kind].get(rid)

    def doc_bytes(self, kind: str, rid: str) -> bytes:
        cache = self._doc_bytes[kind]
        blob = cache.get(rid)
        if blob is None:
            blob = cache[rid] = dumps(self.current[kind][rid])
        return blob

    def flows_of_step(self, rid: str) -> list[str]:
        return list(self.flows_using_step.get(rid, ()))

    # --- writing ---
    def create(
        self, kind: str, doc: dict, ms: int, user: int, source: str, *, audited: bool = True
    ) -> dict:
        rid = doc["_id"]
        self.current[kind][rid] = doc
        bisect.insort(self.sorted_ids[kind], rid)
        self.truth[kind][rid] = [(ms, OP_CREATE, doc, doc)]
        if kind == "flows":
            self._index_steps(rid, None, doc)
        row = self._audit(kind, rid, source, "create", ms, user, (), None) if audited else None
        self._tell(kind, rid, ms, doc, row)
        return doc

    def update(
        self,
        kind: str,
        rid: str,
        changes: Iterable[tuple[str, Any]],
        ms: int,
        user: int,
        source: str,
        *,
        audited: bool = True,
    ) -> tuple:
        """Apply (path, value-or-MISSING) changes; returns the (path, old, new) that changed.

        `lastModified` moves with every change but is not a field change (it is volatile)."""
        before = doc = self.current[kind][rid]
        applied = []
        for path, value in changes:
            top_level = "." not in path  # most changes: a cheaper path than docpath's
            old = doc.get(path, MISSING) if top_level else get_path(doc, path)
            if old is MISSING and value is MISSING:
                continue
            if old is not MISSING and value is not MISSING and old == value and type(old) is type(value):
                continue
            if top_level and value is not MISSING:
                doc = dict(doc)
                doc[path] = value
            else:
                doc = apply_change(doc, path, value)
            applied.append((path, old, value))
        if not applied:
            return ()
        stamp = iso(ms)
        # apply_change returned a fresh top-level dict (never `before`): safe to stamp in place.
        doc["lastModified"] = stamp
        applied_changes = tuple(applied)
        truth_changes = (*applied_changes, ("lastModified", before.get("lastModified", MISSING), stamp))
        self._replace(kind, rid, doc)
        self.truth[kind][rid].append((ms, OP_UPDATE, truth_changes, self._snap(doc)))
        if kind == "flows" and any(change[0] in STEP_FIELDS for change in applied_changes):
            self._index_steps(rid, before, doc)
        row = None
        if audited:
            row = self._audit(kind, rid, source, "update", ms, user, applied_changes, None)
        else:
            # A silent change: what an audit record would have said, kept for tests and demos.
            self.silent_change_log.append(
                {"time": stamp, "resourceType": TYPE_OF_KIND[kind], "_resourceId": rid,
                 "fieldChanges": _field_changes(applied_changes)}
            )
        self._tell(kind, rid, ms, doc, row)
        return applied_changes

    def touch(self, kind: str, rid: str, path: str, value: Any, ms: int) -> None:
        """A volatile change (e.g. lastExecutedAt): ground truth only, no audit, no lastModified."""
        doc = self.current[kind][rid]
        old = get_path(doc, path)
        doc = apply_change(doc, path, value)
        self._replace(kind, rid, doc)
        self.truth[kind][rid].append((ms, OP_UPDATE, ((path, old, value),), self._snap(doc)))

    def delete(self, kind: str, rid: str, ms: int, user: int, source: str) -> dict:
        doc = self.current[kind].pop(rid)
        self._doc_bytes[kind].pop(rid, None)
        ids = self.sorted_ids[kind]
        del ids[bisect.bisect_left(ids, rid)]
        self.truth[kind][rid].append((ms, OP_DELETE, None, None))
        if kind == "flows":
            self._index_steps(rid, doc, None)
        row = self._audit(kind, rid, source, "delete", ms, user, (), doc.get("name", ""))
        self._tell(kind, rid, ms, None, row)
        return doc

    def _snap(self, doc: dict) -> dict | None:
        return doc if self.keep_snapshots else None

    def _replace(self, kind: str, rid: str, doc: dict) -> None:
        self.current[kind][rid] = doc
        self._doc_bytes[kind].pop(rid, None)

    def _audit(self, kind, rid, source, event, ms, user, changes, deleted_name) -> tuple:
        row = (self.ids.new(ms), TYPE_OF_KIND[kind], rid, source, event, ms, user, changes, deleted_name)
        self.audit.add(row)
        return row

    def _tell(self, kind: str, rid: str, ms: int, doc: dict | None, row: tuple | None) -> None:
        for watcher in self.watchers:
            watcher(kind, rid, ms, doc, row)

    def _index_steps(self, flow_id: str, before: dict | None, after: dict | None) -> None:
        old_steps = _all_steps(before) if before is not None else []
        new_steps = _all_steps(after) if after is not None else []
        if old_steps == new_steps:
            return
        for step in old_steps:
            users = self.flows_using_step.get(step)
            if users is not None:
                users.pop(flow_id, None)
        for step in new_steps:
            self.flows_using_step.setdefault(step, {})[flow_id] = None

    # --- ground truth ---
    def version_at(self, kind: str, rid: str, ms: int) -> dict | None:
        """One resource as it was at ms (None before its creation or after its deletion)."""
        entries = self.truth[kind].get(rid)
        return _version_at(entries, ms) if entries else None

    def state_at(self, ms: int) -> dict[str, dict[str, dict]]:
        """Every resource as it was at ms (changes at exactly ms included)."""
        state: dict[str, dict[str, dict]] = {}
        for kind in KINDS:
            docs: dict[str, dict] = {}
            for rid, entries in self.truth[kind].items():
                doc = _version_at(entries, ms)
                if doc is not None:
                    docs[rid] = doc
            state[kind] = dict(sorted(docs.items()))
        return state


def _field_changes(changes: tuple) -> list[dict]:
    """fieldChanges entries: oldValue absent when the field was new, newValue when removed."""
    result = []
    for path, old, new in changes:
        change: dict[str, Any] = {}
        if old is not MISSING:
            change["oldValue"] = old
        if new is not MISSING:
            change["newValue"] = new
        change["fieldPath"] = path
        result.append(change)
    return result


def _all_steps(flow: dict) -> list[str]:
    exports, imports = flow_step_ids(flow)
    return exports + imports


def _version_at(entries: list[tuple], ms: int) -> dict | None:
    position = bisect.bisect_right(entries, ms, key=lambda entry: entry[0]) - 1
    if position < 0:
        return None
    _when, op, _payload, snapshot = entries[position]
    if snapshot is not None or op == OP_DELETE:
        return snapshot
    return replay_forward(entries, ms)


def replay_forward(entries: list[tuple], ms: int) -> dict | None:
    """The document after every ground-truth change up to ms, applied from its creation."""
    doc: dict | None = None
    for when, op, payload, _snapshot in entries:
        if when > ms:
            break
        if op == OP_CREATE:
            doc = payload
        elif op == OP_DELETE:
            doc = None
        elif doc is not None:
            for path, _old, new in payload:
                doc = apply_change(doc, path, new)
    return doc
