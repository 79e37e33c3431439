"""A flow's newest versions with its steps (exports, imports) and their connections as they
were when each version began (as resources_as_of reads them): the flow page's "configuration
at version N" and what its script compares two versions from (reports/templates/
_flow_compare.js; compare_versions is the same compare in Python, the one a test holds the
script to). Bounded: the newest MAX_COMPARED_VERSIONS versions of a flow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flowaudit import jsonfast
from flowaudit.documents.canonical import canonical_json
from flowaudit.documents.steps import flow_steps
from flowaudit.documents.volatility import volatile_fields_for
from flowaudit.report import field_diff, masking
from flowaudit.report.field_diff import entry_data, field_entries
from flowaudit.report.masking import MASK, is_secret_path, load_shown_json, mask_document
from flowaudit.transform import line_diff
from flowaudit.transform.patches import apply_patch

MAX_COMPARED_VERSIONS = 8  # newest versions of a flow shown with their steps and compared
CURRENT = "9999-12-31T00:00:00Z"  # a moment after every version: what is current now
# The limits the page's script shows a compare within: the ones field_diff and masking use.
PAGE_LIMITS = {
    "entries": field_diff.MAX_ENTRIES,
    "lines": field_diff.MAX_LINES,
    "line_chars": field_diff.MAX_LINE_CHARS,
    "long_string": field_diff.LONG_STRING_CHARS,
    "context": line_diff.CONTEXT_LINES,
    "string_chars": masking.MAX_STRING_CHARS,
    "name_chars": masking.MAX_NAME_CHARS,
    "mask": masking.MASK,
    "told_apart": r"^\*{8} \(\d+\)$",  # a secret told apart from another (_told_apart)
}


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
    """What the page's script needs to show each recent version's steps and to compare any
    two: each shown step version's document once (masked; strings whole, the script cuts them
    for showing, as a line diff needs them whole), the parts of each recent version, today's
    names of the steps, the volatile fields of each type and the step labels that are secret."""
    documents: dict[str, Any] = {}
    at: dict[str, list[list[Any]]] = {}
    named: dict[str, str] = {}
    secrets: dict[tuple[Any, ...], dict[str, int]] = {}
    for version in recent:
        listed = []
        for rtype, rid, step in parts_at(version.doc, version.valid_from, found):
            named[f"{rtype}:{rid}"] = names(rtype, rid)
            if step is None:
                listed.append([rtype, rid, names(rtype, rid), None])
                continue
            key = f"{rtype}:{rid}:{step.version}"
            if key not in documents:
                scope = (rtype, names(rtype, rid))  # what a compare matches: its label
                documents[key] = _told_apart(step.doc, mask_document(step.doc, pattern), scope, secrets)
                for ref_type, ref_id in _step_references(step.doc):
                    named.setdefault(f"{ref_type}:{ref_id}", names(ref_type, ref_id))
            listed.append([rtype, rid, step.name, key])
        at[str(version.number)] = listed
    types = ("flow", "export", "import", "connection")
    return {
        "documents": documents,
        "at": at,
        "compared": [v.number for v in recent],
        "names": named,
        "volatile": {t: volatile_fields_for(t, volatile).for_page() for t in types},
        "secret": sorted(label for label in map(_label, named.items()) if is_secret_path(label, pattern)),
        "limits": PAGE_LIMITS,
    }


def _told_apart(doc: Any, masked: Any, scope: tuple[str, ...], secrets: dict) -> Any:
    """masked, with each masked value that differs from the first one met at the same place
    (step label and path, list positions alike) numbered: `******** (2)`. The page's compare
    then sees a secret change as Python's does, and learns nothing but that it changed."""
    if isinstance(masked, dict) and isinstance(doc, dict):
        return {k: _told_apart(doc.get(k), v, (*scope, k), secrets) for k, v in masked.items()}
    if isinstance(masked, list) and isinstance(doc, list):
        return [_told_apart(d, v, (*scope, "*"), secrets) for d, v in zip(doc, masked, strict=True)]
    if masked != MASK:
        return masked
    seen = secrets.setdefault(scope, {})
    number = seen.setdefault(canonical_json(doc), len(seen) + 1)
    return masked if number == 1 else f"{MASK} ({number})"


def _label(named: tuple[str, str]) -> str:
    """A step's label in a compare's paths, from its names entry."""
    return f'{named[0].partition(":")[0]} "{named[1]}"'


def _step_references(doc: Any) -> list[tuple[str, str]]:
    """(type, id) of every export and import a step document names inside (a lookup's
    `_exportId`): a compare's path may name them."""
    found: list[tuple[str, str]] = []
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, rtype in (("_exportId", "export"), ("_importId", "import")):
                value = item.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
                    found.append((rtype, str(value)))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def version_documents(
    version: RecentVersion, found: Found, volatile: tuple[str, ...], names
) -> dict[str, Any]:
    """A recent version as one document to compare: the flow and each step and connection
    (volatile fields left out, keys sorted: a patched document's key order is no change),
    keyed by today's name, so that a renamed step compares as its name changed."""
    whole = {"flow": _sorted(volatile_fields_for("flow", volatile).strip(version.doc))}
    for rtype, rid, step in parts_at(version.doc, version.valid_from, found):
        if step is None:
            continue
        label = f'{rtype} "{names(rtype, rid)}"'
        whole[label if label not in whole else f"{label} ({rid})"] = _sorted(
            volatile_fields_for(rtype, volatile).strip(step.doc)
        )
    return whole


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def compare_versions(
    older: RecentVersion, newer: RecentVersion, found: Found, pattern: str, volatile, names
) -> list[list[Any]]:
    """The differences from one recent version to another as the flow page's compare shows
    them (entry_data rows): the reference the page's script is tested against."""
    entries = field_entries(
        "",
        version_documents(older, found, volatile, names),
        version_documents(newer, found, volatile, names),
        pattern,
        names,
    )
    return [_step_reference(entry_data(e), older, newer) for e in entries]


def _step_reference(entry: list[Any], older: RecentVersion, newer: RecentVersion) -> list[Any]:
    """A whole step (or connection) added or removed between two versions: its document is
    already on the page once (under the version that has it), so the compare names it only."""
    path, kind = entry[0], entry[1]
    if path.startswith("flow") or "." in path.split('"')[-1] or kind not in ("a", "r"):
        return entry
    if kind == "a":
        return [path, kind, None, f"(its configuration is shown at version {newer.number})"]
    return [path, kind, f"(its configuration is shown at version {older.number})", None]
