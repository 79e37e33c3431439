"""Rebuilding one resource's history: every version it had, from what flowaudit observed
and what the audit log says. Pure functions: the loader feeds them (flowaudit.load.versions).

Inputs, per resource:
- observation spans: the document as listed, one span per stretch of runs that saw the
  same content, and whether a later complete listing found it gone;
- its audit records, oldest first, each with its field changes;
- the account's checkpoints: the observation times of runs whose listing of the type was
  complete (a resource missing from such a listing did not exist then).

The rules (docs/decisions.md, "Storing history"):
- Time is half-open everywhere: a run observing at T saw every change made before T (the
  configuration it saw is the one valid just before T); a record at exactly T belongs after
  it. A run's zone [first Date, T) is uncertain (the
  listing was read during it): a record there may or may not be reflected in the listing.
- Between two observations, the records are replayed forward from the earlier document:
  each record that changes the content starts a version at its own time. At the next
  observation the replay must equal what was seen; where it does not, the difference is an
  unexplained change: a version of origin `unexplained` that begins just before that
  observation and carries the interval (changed_after, changed_before) in which it
  happened. A record whose oldValue disagrees with the replay reveals an unexplained
  change just before it.
- Before a resource's first observation its versions are rebuilt backwards, undoing each
  record from the observed document back to its create record.
- A resource flowaudit never observed gets versions from its records alone (origin
  `audit`): as much of the document as the field changes tell, and its name from them or
  from the delete record's `deletedInfo`.
Volatile fields (the one matcher, flowaudit.documents.volatility) make no version.

Resuming: what the derivation holds after an observation it matched (the version then
current, and the content seen) is all that the derivation after it reads, when no record
lies in that observation's uncertain zone. A nightly load resumes each touched resource
from the start of its newest stretch seen before (queries/load/history_resume.sql says when
that is safe) and derives only what follows; the result is the whole derivation's tail."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from flowaudit.documents.canonical import sha256_text
from flowaudit.documents.paths import MISSING, get_path, set_path, split_path
from flowaudit.documents.volatility import VolatileFields

ABSENT: Any = None  # the state of a resource that does not exist
# An unexplained change found at an observation T happened before T: its version begins
# (or the resource's life ends) one microsecond earlier, so that the configuration the run
# saw (every change before T) holds it, and a change at exactly T still comes after it.
JUST_BEFORE = 1
OBSERVED, RECONSTRUCTED, AUDIT, UNEXPLAINED = "observed", "reconstructed", "audit", "unexplained"
CHANGED, DELETED = "changed", "deleted"
ENDING_EVENTS = ("delete", "purge")
STARTING_EVENTS = ("create", "restore")


@dataclass(slots=True)
class FieldChange:
    position: int
    path: str
    old_present: bool
    old_value: Any  # decoded JSON when old_present
    new_present: bool
    new_value: Any  # decoded JSON when new_present
    parts: Sequence[str] = ()


@dataclass(slots=True)
class Record:
    event_id: str
    time: int  # microseconds since the epoch, UTC
    event: str
    run_id: int
    deleted_name: str | None = None
    changes: list[FieldChange] = field(default_factory=list)
    # The changes a replay applies (a path, not volatile), set by build_timeline.
    live: list[FieldChange] = field(default_factory=list)


@dataclass(slots=True)
class Span:
    """Consecutive observations of the same content: seen from first_seen to last_seen
    (run observation times), with the raw document of the first; absent_at: the next
    complete listing that no longer held it (None: still listed, or not known)."""

    first_seen: int
    last_seen: int
    text: str
    first_run_id: int
    last_run_id: int
    absent_at: int | None = None
    absent_run_id: int | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A run whose listing of the type was complete: it saw every resource of the type that
    existed at `time`; records in [zone_start, time) may or may not show in what it saw."""

    time: int
    zone_start: int
    run_id: int


@dataclass(slots=True)
class Difference:
    """One field an unexplained change made different (audit granularity: lists whole)."""

    path: str | None  # None: the whole resource (created or deleted)
    change: str  # modified | added | removed | created | deleted
    old_present: bool = False
    old_value: str | None = None  # JSON text
    new_present: bool = False
    new_value: str | None = None


@dataclass(slots=True)
class Version:
    valid_from: int
    valid_to: int | None
    origin: str
    content: CanonicalDocument
    run_id: int
    event_id: str | None = None
    closed_by: str | None = None
    closed_event_id: str | None = None
    changed_after: int | None = None
    changed_before: int | None = None
    observed_text: str | None = None  # the raw document of the first observation in it
    changes: list[tuple[str, int]] = field(default_factory=list)  # (event_id, position)
    differences: list[Difference] = field(default_factory=list)  # for unexplained versions

    @property
    def name(self) -> str | None:
        name = self.content.doc.get("name")
        return name if isinstance(name, str) else None

    @property
    def doc_text(self) -> str:
        return self.observed_text if self.observed_text is not None else self.content.text()

    @property
    def content_hash(self) -> str:
        return sha256_text(self.content.text())


@dataclass(slots=True)
class Resume:
    """Where a derivation resumes: at the observation `at` (the first span's first sighting),
    from the stored version then current (its number and columns as stored)."""

    at: int
    number: int
    valid_from: int
    origin: str
    run_id: int
    event_id: str | None
    doc_text: str
    changes: list[tuple[str, int]]
    back_patch: str | None = None  # a flow version's stored patch to the version before


@dataclass
class Timeline:
    versions: list[Version]
    # Unexplained deletions: (index of the version they ended, difference, after, before).
    deletions: list[tuple[int, Difference, int, int]]
    unreplayable_changes: int = 0
    first_number: int = 1  # the number of versions[0] (a resumed derivation starts later)


# --- documents as canonical pieces ---------------------------------------------------


class CanonicalDocument:
    """A document and the canonical JSON of each top-level value ("pieces"); its text is
    the pieces joined in key order, as json.dumps(sort_keys=True, compact) writes it.
    Equal content is equal pieces; a changed copy re-encodes only the values it touched."""

    __slots__ = ("_keys", "_pieces", "_text", "doc")

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self._pieces = {key: _piece(key, value) for key, value in doc.items()}
        self._keys: list[str] | None = None
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:  # a version's text is both stored and hashed: join it once
            if self._keys is None:
                self._keys = sorted(self._pieces)
            pieces = self._pieces
            self._text = "{" + ",".join([pieces[key] for key in self._keys]) + "}"
        return self._text

    def same(self, other: CanonicalDocument | None) -> bool:
        return other is not None and (other is self or other._pieces == self._pieces)

    def with_values(self, edits: list[tuple[list[str], Any]]) -> tuple[CanonicalDocument, int]:
        """A copy with each (path parts, value-or-MISSING) set in order, and how many could
        not be followed; self when the content does not change."""
        doc = self.doc
        touched: list[str] = []
        skipped = 0
        for parts, value in edits:
            changed = set_path(doc, parts, value)
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
        copy._text = None
        copy._keys = (
            self._keys if self._keys is not None and pieces.keys() == self._pieces.keys() else None
        )
        return copy, skipped


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode = _ENCODER.encode
# What _encode does for these types, without its per-call dispatch (most top-level values
# are scalars): the same functions json's encoder calls.
_encode_string = json.encoder.encode_basestring
_int_text = int.__repr__


@lru_cache(maxsize=4096)  # documents of a type share their top-level keys
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


# --- building a timeline ----------------------------------------------------------------


@lru_cache(maxsize=65536)  # a few thousand distinct paths recur in every account's records
def _split(path: str) -> tuple[str, ...]:
    return tuple(split_path(path))


def build_timeline(
    spans: Sequence[Span],
    records: Sequence[Record],
    checkpoints: Sequence[Checkpoint],
    volatile: VolatileFields,
    *,
    zone_of: Callable[[int], int] | None = None,
    created_at: Callable[[dict[str, Any]], int | None] | None = None,
    resume: Resume | None = None,
) -> Timeline:
    """Every version of one resource, oldest first. `spans` and `records` oldest first;
    `zone_of(T)` gives the zone start of an observation at T (default: T, no zone);
    `created_at(doc)` reads a document's creation time (for a start no record gives).
    With `resume`, spans and records begin at resume.at and the timeline holds the versions
    from the resumed one on (numbered from resume.number)."""
    builder = _Builder(
        checkpoints, volatile, zone_of or (lambda t: t), created_at or (lambda doc: None)
    )
    is_volatile = volatile.is_volatile_split
    for record in records:
        live = record.live = []
        for change in record.changes:
            parts = change.parts = _split(change.path or "")
            if parts and not is_volatile(parts):
                live.append(change)
    builder.run(list(spans), list(records), resume)
    return Timeline(
        builder.versions, builder.deletions, builder.unreplayable,
        resume.number if resume is not None else 1,
    )  # fmt: skip


class _Builder:
    def __init__(self, checkpoints, volatile: VolatileFields, zone_of, created_at):
        self.checkpoints = checkpoints
        self.times = [c.time for c in checkpoints]
        self.volatile = volatile
        self.zone_of = zone_of
        self.created_at = created_at
        self.versions: list[Version] = []
        self.deletions: list[tuple[int, Difference, int, int]] = []
        self.unreplayable = 0
        self.state: CanonicalDocument | None = ABSENT
        self.last_content: CanonicalDocument | None = None  # before the last deletion
        # Records just before an observation that its listing did not reflect yet: they
        # are replayed after it.
        self.deferred: list[Record] = []
        self._content_cache: dict[int, CanonicalDocument] = {}

    # -- the plan: anchors are the observations that bound segments ------------------

    def run(self, spans: list[Span], records: list[Record], resume: Resume | None = None) -> None:
        anchors = self._anchors(spans)
        if not anchors:
            self.audit_only(records)
            return
        times = [record.time for record in records]

        def between(lo: int | None, hi: int | None) -> list[Record]:
            start = 0 if lo is None else bisect.bisect_left(times, lo)
            end = len(records) if hi is None else bisect.bisect_left(times, hi)
            return records[start:end]

        if resume is not None:
            anchors = self._resume(anchors, spans[0], resume)
        else:
            first_time, first_span = anchors[0]
            if first_span is not None:
                self.backward(first_span, between(None, first_time), lower=None, at=first_time)
            else:
                self.audit_only(between(None, first_time))
        for (time, span), (next_time, next_span) in pairwise(anchors):
            segment = between(time, next_time)
            if self.state is not ABSENT:
                within = span if span is not None and span is next_span else None
                self.forward(
                    segment, time, next_time, next_span, within, end_is_absence=next_span is None
                )
            elif next_span is not None:
                self.backward(next_span, segment, lower=time, at=next_time)
            else:
                self.audit_only(segment)
        last_time, _ = anchors[-1]
        rest = between(last_time, None)
        if self.state is not ABSENT:
            self.forward(rest, last_time, None, None, None, end_is_absence=False)
        else:
            self.audit_only(rest)

    def _resume(
        self, anchors: list[tuple[int, Span | None]], span: Span, resume: Resume
    ) -> list[tuple[int, Span | None]]:
        """Hold what the derivation held after the observation resume.at of span: the stored
        version then current, with the content seen; the anchors from that one on."""
        start = next(
            (i for i, (time, seen) in enumerate(anchors) if seen is span and time == resume.at),
            None,
        )
        if start is None:
            raise RuntimeError(f"resuming a history at {resume.at}: no observation then")
        content = self.content_of(span)
        self.versions = [
            Version(resume.valid_from, None, resume.origin, content, resume.run_id,
                    event_id=resume.event_id, observed_text=resume.doc_text,
                    changes=list(resume.changes))
        ]  # fmt: skip
        self.state = content
        return anchors[start:]

    def _anchors(self, spans: list[Span]) -> list[tuple[int, Span | None]]:
        """(time, span) of each observation that bounds a segment: a span's first and last
        sighting, the complete listing that last missed it before it appeared, and the one
        that first missed it after (span None: absent)."""
        anchors: list[tuple[int, Span | None]] = []
        previous_gone: int | None = None
        for index, span in enumerate(spans):
            if index == 0 or spans[index - 1].absent_at is not None:
                # The last complete listing before it appeared (and after it was last gone).
                position = bisect.bisect_left(self.times, span.first_seen) - 1
                if position >= 0 and (
                    previous_gone is None or self.times[position] > previous_gone
                ):
                    anchors.append((self.times[position], None))
            anchors.append((span.first_seen, span))
            if span.last_seen != span.first_seen:
                anchors.append((span.last_seen, span))
            if span.absent_at is not None:
                anchors.append((span.absent_at, None))
                previous_gone = span.absent_at
        return anchors

    # -- content ----------------------------------------------------------------------

    def content_of(self, span: Span) -> CanonicalDocument:
        cached = self._content_cache.get(id(span))
        if cached is None:
            doc = json.loads(span.text)
            cached = self._content_cache[id(span)] = CanonicalDocument(
                self.volatile.strip(doc, span.text)
            )
        return cached

    def _edits(self, record: Record, *, backwards: bool) -> list[tuple[list[str], Any]]:
        edits = []
        changes = reversed(record.live) if backwards else record.live
        for change in changes:
            if backwards:
                value = change.old_value if change.old_present else MISSING
            else:
                value = change.new_value if change.new_present else MISSING
            edits.append((change.parts, value))
        return edits

    def _own_changes(self, record: Record) -> list[tuple[str, int]]:
        return [(record.event_id, change.position) for change in record.live]

    # -- versions ---------------------------------------------------------------------

    def open(
        self, start: int, content: CanonicalDocument, origin: str, run_id: int, **extra: Any
    ) -> Version:
        current = self.versions[-1] if self.versions else None
        if current is not None and current.valid_to is None:
            if (current.valid_from == start and UNEXPLAINED not in (current.origin, origin)
                    and current.observed_text is None):  # fmt: skip
                # Two records at the same instant: one version holds both.
                current.content = content
                current.event_id = extra.get("event_id", current.event_id)
                current.changes.extend(extra.get("changes", ()))
                self.state = content
                return current
            current.valid_to = start
            current.closed_by = CHANGED
        version = Version(start, None, origin, content, run_id, **extra)
        self.versions.append(version)
        self.state = content
        return version

    def close(self, end: int, *, event_id: str | None = None) -> None:
        current = self.versions[-1] if self.versions else None
        if current is not None and current.valid_to is None:
            current.valid_to = end
            current.closed_by = DELETED
            current.closed_event_id = event_id
        if self.state is not ABSENT:
            self.last_content = self.state
        self.state = ABSENT

    # -- forward: from an observed document through the records after it ---------------

    def forward(self, segment: list[Record], start: int, end: int | None, end_span: Span | None,
                within: Span | None, *, end_is_absence: bool) -> None:  # fmt: skip
        """Replay segment (records in [start, end)) from the current state; compare with
        the complete listings in between (which saw `within`) and with the observation at
        end (end_span, or absence when end_is_absence)."""
        zone: list[tuple[int, CanonicalDocument | None, int]] = []
        last_check = start
        previous = start
        segment, self.deferred = [*self.deferred, *segment], []
        for record in segment:
            if within is not None:  # complete listings between two sightings of one span
                for checkpoint in self._checkpoints(previous, record.time, end):
                    self.check(checkpoint.time, within, zone, last_check)
                    zone, last_check = [], checkpoint.time
            zone.append((record.time, self.state, len(self.versions) - 1))
            self.apply(record, last_check)
            previous = record.time
        if end is None:
            return
        if within is not None:
            for checkpoint in self._checkpoints(previous, end, end):
                self.check(checkpoint.time, within, zone, last_check)
                zone, last_check = [], checkpoint.time
        if end_span is not None or end_is_absence:
            self.check(end, end_span, zone, last_check)

    def _checkpoints(self, after: int, until: int, end: int | None) -> list[Checkpoint]:
        """Complete listings in (after, until], before the segment's end."""
        lo = bisect.bisect_right(self.times, after)
        hi = bisect.bisect_right(self.times, until)
        found = self.checkpoints[lo:hi]
        return [c for c in found if c.time < end] if end is not None else list(found)

    def check(self, time: int, expected: Span | None, zone, changed_after: int) -> None:
        """Compare the replay with what the observation at time saw (None: absent)."""
        seen = self.content_of(expected) if expected is not None else ABSENT
        zone_start = self.zone_of(time)
        candidates = [(self.state, len(self.versions) - 1)]
        # Records in the observation's uncertain zone may have come after the listing.
        candidates += [
            (before, index) for when, before, index in reversed(zone) if when >= zone_start
        ]
        for state, index in candidates:
            if (state is ABSENT and seen is ABSENT) or (state is not ABSENT and state.same(seen)):
                if (
                    expected is not None
                    and index >= 0
                    and self.versions[index].observed_text is None
                ):
                    self.versions[index].observed_text = expected.text
                    if self.versions[index].origin == RECONSTRUCTED:
                        self.versions[index].origin = OBSERVED
                return
        run_id = self._run_at(time) or (expected.first_run_id if expected is not None else 0)
        if seen is ABSENT:
            self.close(time - JUST_BEFORE)
            self.deletions.append(
                (len(self.versions) - 1, Difference(None, DELETED), changed_after, time)
            )
            return
        before = self.state
        version = self.open(time - JUST_BEFORE, seen, UNEXPLAINED, run_id, changed_after=changed_after,
                            changed_before=time, observed_text=expected.text)  # fmt: skip
        version.differences = (
            [Difference(None, "created")]
            if before is ABSENT
            else differences(before.doc, seen.doc, self.volatile)
        )

    def _run_at(self, time: int) -> int:
        position = bisect.bisect_left(self.times, time)
        if position < len(self.times) and self.times[position] == time:
            return self.checkpoints[position].run_id
        return 0

    def apply(self, record: Record, changed_after: int) -> None:
        """One record, forward."""
        event = record.event
        if event in ENDING_EVENTS:
            if self.state is not ABSENT:
                self.close(record.time, event_id=record.event_id)
            return
        if self.state is ABSENT:
            if event in STARTING_EVENTS:
                # A restore brings back what was deleted; a create after a deletion cannot
                # be replayed forward: its document is only what its changes say.
                base = self.last_content or CanonicalDocument({})
                content, missed = base.with_values(self._edits(record, backwards=False))
                self.unreplayable += missed
                origin = RECONSTRUCTED if self.last_content is not None else AUDIT
                self.open(record.time, content, origin, record.run_id, event_id=record.event_id,
                          changes=self._own_changes(record))  # fmt: skip
            return
        self._reveal_unexplained(record, changed_after)
        content, missed = self.state.with_values(self._edits(record, backwards=False))
        self.unreplayable += missed
        if content is not self.state:
            self.open(record.time, content, RECONSTRUCTED, record.run_id, event_id=record.event_id,
                      changes=self._own_changes(record))  # fmt: skip

    def _reveal_unexplained(self, record: Record, changed_after: int) -> None:
        """A record whose oldValue is not what the replay holds shows a change made before
        it that no record explains: a version that lasts no time, with that difference."""
        state = self.state
        found: list[tuple[list[str], Any]] = []
        rows: list[Difference] = []
        for change in record.live:
            held = get_path(state.doc, change.parts)
            said = change.old_value if change.old_present else MISSING
            if _same_value(held, said):
                continue
            found.append((change.parts, said))
            rows.append(_difference(change.path, held, said))
        if not found:
            return
        content, _missed = state.with_values(found)
        if content is state:
            return
        version = self.open(record.time - JUST_BEFORE, content, UNEXPLAINED, record.run_id,
                            changed_after=changed_after, changed_before=record.time)  # fmt: skip
        version.differences = rows

    # -- backward: from an observed document back to its create record ---------------

    def backward(self, span: Span, segment: list[Record], *, lower: int | None, at: int) -> None:
        """The versions before the observation `at` of span, rebuilt by undoing the records
        of segment (records in [lower, at)) newest first, back to their create record."""
        start_index = 0
        for index in range(len(segment) - 1, -1, -1):
            if segment[index].event in STARTING_EVENTS:
                start_index = index  # nothing before a create is this resource
                break
        segment = segment[start_index:]
        created = segment[0] if segment and segment[0].event in STARTING_EVENTS else None
        observed = self.content_of(span)
        segment = self._defer_unlisted(segment, observed, at)
        # Newest first: (start, content, record that started it).
        states: list[tuple[int | None, CanonicalDocument, Record | None]] = []
        current, current_end = observed, at
        starter: Record | None = None
        quiet_since: int | None = None
        for record in reversed(segment):
            if record is created:
                break
            if record.event in ENDING_EVENTS:
                continue  # a deletion inside a segment that ends present: restored later
            previous, missed = current.with_values(self._edits(record, backwards=True))
            self.unreplayable += missed
            if previous is current:
                quiet_since = record.time
                continue
            states.append((record.time, current, record))
            current, current_end, quiet_since = previous, record.time, None
        # The oldest state: from the create record, else from createdAt, else from the
        # oldest record that left it unchanged; dropped when nothing says when it began.
        # Appearing after a listing that did not hold it, with no create record, is an
        # unexplained creation: by the end of the oldest state (at its createdAt, if that
        # falls after the listing).
        made = self.created_at(observed.doc)
        unexplained_birth = created is None and lower is not None
        if created is not None:
            oldest_start: int | None = created.time
            starter = created
        elif unexplained_birth:
            oldest_start = (
                made
                if made is not None and lower < made < current_end
                else current_end - JUST_BEFORE
            )
        else:
            oldest_start = made if made is not None and made <= current_end else quiet_since
        if oldest_start is None:
            if not states:  # nothing says when it began: from just before its first sighting
                states.append((at - JUST_BEFORE, current, None))
        elif oldest_start < current_end or not states or unexplained_birth:
            states.append((oldest_start, current, starter))
        for index, (start, content, record) in enumerate(reversed(states)):
            if index == 0 and unexplained_birth:
                version = self.open(start, content, UNEXPLAINED, span.first_run_id,
                                    changed_after=lower, changed_before=current_end)  # fmt: skip
                version.differences = [Difference(None, "created")]
                continue
            run_id = record.run_id if record is not None else span.first_run_id
            self.open(start, content, RECONSTRUCTED, run_id,
                      event_id=record.event_id if record is not None else None,
                      changes=self._own_changes(record) if record is not None else [])  # fmt: skip
        newest = self.versions[-1]
        newest.observed_text = span.text
        if newest.origin == RECONSTRUCTED:
            newest.origin = OBSERVED
        self.state = newest.content

    def _defer_unlisted(
        self, segment: list[Record], observed: CanonicalDocument, at: int
    ) -> list[Record]:
        """Set apart the newest records of the observation's uncertain zone whose change the
        listing does not show yet (they came after it); return the others."""
        zone_start = self.zone_of(at)
        keep = len(segment)
        while keep > 0:
            record = segment[keep - 1]
            if (
                record.time < zone_start
                or record.event in STARTING_EVENTS
                or record.event in ENDING_EVENTS
            ):
                break
            applied, _missed = observed.with_values(self._edits(record, backwards=False))
            if applied is observed:
                break  # the listing shows it, and so everything before it
            keep -= 1
        self.deferred = segment[keep:]
        return segment[:keep]

    # -- audit only: a resource flowaudit never observed -------------------------------

    def audit_only(self, segment: list[Record]) -> None:
        """Versions from records alone: the document as far as their field changes tell,
        each field's value before its first change backfilled from that change's oldValue,
        and the name from the records or the delete record's deletedInfo."""
        if not segment:
            return
        base: dict[str, Any] = {}
        set_before: set[str] = set()
        for record in segment:
            for change in record.live:
                key = ".".join(change.parts)
                if key in set_before:
                    continue
                set_before.add(key)
                if change.old_present and get_path(base, change.parts) is MISSING:
                    updated = set_path(base, change.parts, change.old_value)
                    if updated is not None:
                        base = updated
        if "name" not in base:
            named = next((r.deleted_name for r in segment if r.deleted_name), None)
            if named is not None:
                base = {**base, "name": named}
        content = CanonicalDocument(base)
        for record in segment:
            if record.event in ENDING_EVENTS:
                if self.state is not ABSENT:
                    self.close(record.time, event_id=record.event_id)
                continue
            if self.state is ABSENT:
                if record.event in STARTING_EVENTS or not self.versions:
                    start = self.last_content or content
                    start, missed = start.with_values(self._edits(record, backwards=False))
                    self.unreplayable += missed
                    self.open(record.time, start, AUDIT, record.run_id, event_id=record.event_id,
                              changes=self._own_changes(record))  # fmt: skip
                continue
            updated, missed = self.state.with_values(self._edits(record, backwards=False))
            self.unreplayable += missed
            if updated is not self.state:
                self.open(record.time, updated, AUDIT, record.run_id, event_id=record.event_id,
                          changes=self._own_changes(record))  # fmt: skip


# --- differences at the audit log's granularity ------------------------------------------


def differences(
    old: dict[str, Any], new: dict[str, Any], volatile: VolatileFields
) -> list[Difference]:
    """What differs between two documents, named as the audit log names fields: objects
    are walked key by key, a list or a value is one field (`mapping.fields`, `disabled`)."""
    rows: list[Difference] = []
    _walk_differences(old, new, [], volatile, rows)
    return rows


def _walk_differences(
    old: Any, new: Any, parts: list[str], volatile, rows: list[Difference]
) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            child = [*parts, key]
            if volatile.is_volatile(child):
                continue
            _walk_differences(old.get(key, MISSING), new.get(key, MISSING), child, volatile, rows)
        return
    if _same_value(old, new):
        return
    rows.append(_difference(".".join(parts), old, new))


def _difference(path: str, old: Any, new: Any) -> Difference:
    change = "added" if old is MISSING else "removed" if new is MISSING else "modified"
    return Difference(
        path, change,
        old is not MISSING, None if old is MISSING else _json(old),
        new is not MISSING, None if new is MISSING else _json(new),
    )  # fmt: skip


def _same_value(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return type(a) is type(b) and a == b if not isinstance(a, dict | list) else _json(a) == _json(b)


def _json(value: Any) -> str:
    return _ENCODER.encode(value)
