"""A flow's newest versions with its steps (exports, imports) and their connections as they
were when each version began (as resources_as_of reads them), and the differences between
every two of those versions (flowaudit.report.field_diff): the flow page's "configuration at
version N" and its compare. Bounded: the newest MAX_COMPARED_VERSIONS versions of a flow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from flowaudit import jsonfast
from flowaudit.documents.steps import flow_steps
from flowaudit.documents.volatility import volatile_fields_for
from flowaudit.report.field_diff import entry_data, field_entries
from flowaudit.report.masking import display_document, load_shown_json
from flowaudit.transform.patches import apply_patch

MAX_COMPARED_VERSIONS = 8  # newest versions of a flow shown with their steps and compared
CURRENT = "9999-12-31T00:00:00Z"  # a moment after every version: what is current now


@dataclass(frozen=True)
class RecentVersion:
    number: int
    valid_from: str  # ISO-8601 UTC to the microsecond: the moment its steps are read at
    doc: Any  # the flow's document as stored (not yet masked)


@dataclass(frozen=True)
class StepVersion:
    version: int
    name: str
    doc: Any


# (resource type, id, moment) -> the version of that resource valid then
Found = dict[tuple[str, str, str], StepVersion]


def recent_versions(rows: Sequence[Sequence[Any]]) -> list[RecentVersion]:
    """The newest MAX_COMPARED_VERSIONS versions of a flow, newest first, each document rebuilt
    from the newest one with the stored patches back (rows: flow_version_documents rows,
    oldest first)."""
    recent: list[RecentVersion] = []
    doc: Any = None
    for row in reversed(rows):
        if row[5] is not None:
            doc = load_shown_json(row[5])
        if doc is None or not row[2]:
            break
        recent.append(RecentVersion(int(row[1]), row[13], doc))
        if len(recent) == MAX_COMPARED_VERSIONS or row[6] is None:
            break
        try:
            doc = apply_patch(doc, jsonfast.loads(row[6]))
        except (KeyError, IndexError, TypeError):  # a document summarised below MAX_DEPTH
            doc = None
    return recent


def step_moments(recent: Iterable[RecentVersion]) -> list[tuple[str, str, str]]:
    """(type, id, moment) of every step of each version at its start, and of the newest
    version's steps now."""
    wanted: dict[tuple[str, str, str], None] = {}
    for index, version in enumerate(recent):
        steps = flow_steps(version.doc)
        wanted.update(((t, i, version.valid_from), None) for t, i in steps)
        if index == 0:
            wanted.update(((t, i, CURRENT), None) for t, i in steps)
    return list(wanted)


def connection_moments(found: Found) -> list[tuple[str, str, str]]:
    """(connection, id, moment) of the connection each found step used at that moment."""
    wanted: dict[tuple[str, str, str], None] = {}
    for (_rtype, _rid, at), step in found.items():
        connection = step.doc.get("_connectionId") if isinstance(step.doc, dict) else None
        if isinstance(connection, str) and connection:
            wanted[("connection", connection, at)] = None
    return list(wanted)


def read_found(rows: Iterable[Sequence[Any]]) -> Found:
    """flow_step_documents rows as a lookup."""
    return {
        (r[0], r[1], r[2]): StepVersion(int(r[3]), r[4] or r[1], load_shown_json(r[5]))
        for r in rows
    }


def parts_at(doc: Any, at: str, found: Found) -> list[tuple[str, str, StepVersion | None]]:
    """The steps of a flow document and their connections as they were at a moment."""
    parts: list[tuple[str, str, StepVersion | None]] = []
    connections: dict[str, None] = {}
    for rtype, rid in flow_steps(doc):
        step = found.get((rtype, rid, at))
        parts.append((rtype, rid, step))
        connection = step.doc.get("_connectionId") if step and isinstance(step.doc, dict) else None
        if isinstance(connection, str) and connection:
            connections[connection] = None
    parts.extend(("connection", cid, found.get(("connection", cid, at))) for cid in connections)
    return parts


def configs_data(
    recent: Sequence[RecentVersion], found: Found, pattern: str, volatile: tuple[str, ...], names
) -> dict[str, Any]:
    """What the page's script needs: each shown step version's document once (masked), the
    parts of each recent version, and the differences between every two recent versions."""
    documents: dict[str, Any] = {}
    at: dict[str, list[list[Any]]] = {}
    combined: dict[int, dict[str, Any]] = {}
    for version in recent:
        parts = parts_at(version.doc, version.valid_from, found)
        listed = []
        whole = {"flow": volatile_fields_for("flow", volatile).strip(version.doc)}
        for rtype, rid, step in parts:
            if step is None:
                listed.append([rtype, rid, names(rtype, rid), None])
                continue
            key = f"{rtype}:{rid}:{step.version}"
            if key not in documents:
                documents[key] = display_document(step.doc, pattern)
            listed.append([rtype, rid, step.name, key])
            # Keyed by today's name, so that a renamed step compares as its name changed.
            label = f'{rtype} "{names(rtype, rid)}"'
            whole[label if label not in whole else f"{label} ({rid})"] = volatile_fields_for(
                rtype, volatile
            ).strip(step.doc)
        at[str(version.number)] = listed
        combined[version.number] = whole
    pairs = {}
    for newer, older in combinations(recent, 2):  # recent is newest first
        entries = field_entries("", combined[older.number], combined[newer.number], pattern, names)
        pairs[f"{older.number}-{newer.number}"] = [
            _step_reference(entry_data(e), older, newer) for e in entries
        ]
    return {
        "documents": documents,
        "at": at,
        "pairs": pairs,
        "compared": [v.number for v in recent],
    }


def _step_reference(entry: list[Any], older: RecentVersion, newer: RecentVersion) -> list[Any]:
    """A whole step (or connection) added or removed between two versions: its document is
    already on the page once (under the version that has it), so the compare names it only."""
    path, kind = entry[0], entry[1]
    if path.startswith("flow") or "." in path.split('"')[-1] or kind not in ("a", "r"):
        return entry
    if kind == "a":
        return [path, kind, None, f"(its configuration is shown at version {newer.number})"]
    return [path, kind, f"(its configuration is shown at version {older.number})", None]
