"""One presentation of a field's change on every page (change tables, drift, flow pages):
a list or object value is shown as its keyed entries added, removed, moved or changed
(steps by `_exportId`/`_importId`/`_id`, mappings by `generate`, router branches: the one
matcher, flowaudit.transform.diff), a long or multi-line string as its changed lines
(flowaudit.transform.line_diff), never as two whole blobs side by side; a step's selector
names the step. Values are masked and cut for a page here (flowaudit.report.masking)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flowaudit.report.masking import MAX_NAME_CHARS, cap_text, display_value, is_secret_path
from flowaudit.transform.diff import MISSING, diff_values
from flowaudit.transform.line_diff import LineDiff, line_diff

LONG_STRING_CHARS = 160  # a string this long (or of several lines) is compared line by line
MAX_ENTRIES = 100  # keyed entries one field change shows; the rest are counted
MAX_LINE_CHARS = 500  # one line of a line diff on a page
MAX_LINES = 200  # lines of one line diff on a page
# A step selector of a diff path and the resource type its key names.
_SELECTOR = re.compile(r"\[(_exportId|_importId|_connectionId)=([^\]#]*)(#\d+)?\]")
_STEP_TYPES = {"_exportId": "export", "_importId": "import", "_connectionId": "connection"}

Names = Callable[[str, str], str]  # (resource type, id) -> the name a page prints


@dataclass(frozen=True)
class Entry:
    """One shown difference: path (step selectors named), kind added|removed|modified|moved|
    lines, old and new as a page shows them (MISSING: absent; for moved: 0-based positions),
    lines: the line diff of a long string (kind "lines")."""

    path: str
    kind: str
    old: Any = MISSING
    new: Any = MISSING
    lines: LineDiff | None = None


def field_entries(
    path: str, old: Any, new: Any, pattern: str, names: Names | None = None
) -> list[Entry]:
    """What a page shows of a field's change from old to new (MISSING: absent)."""
    if old is MISSING or new is MISSING or not _compound(old, new):
        return [_entry(path, "added" if old is MISSING else "removed" if new is MISSING else "modified",
                       old, new, pattern, names)]  # fmt: skip
    changes = diff_values(old, new, path)
    if not changes:
        return []
    entries = [_entry(c.path, c.kind, c.old, c.new, pattern, names) for c in changes[:MAX_ENTRIES]]
    if len(changes) > MAX_ENTRIES:
        entries.append(Entry(f"… {len(changes) - MAX_ENTRIES} more differences", "more"))
    return entries


def _compound(old: Any, new: Any) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return True
    if isinstance(old, list) and isinstance(new, list):
        return True
    return isinstance(old, str) and isinstance(new, str) and (_long(old) or _long(new))


def _long(text: str) -> bool:
    return len(text) > LONG_STRING_CHARS or "\n" in text


def _entry(path: str, kind: str, old: Any, new: Any, pattern: str, names: Names | None) -> Entry:
    shown_path = named_path(path, names) if names else path
    if kind == "moved":
        return Entry(shown_path, kind, old, new)
    secret = is_secret_path(path, pattern)
    if kind == "modified" and (lines := long_string_lines(path, old, new, pattern)):
        return Entry(shown_path, "lines", lines=lines)
    depth = path.count(".") + path.count("[")
    return Entry(
        shown_path,
        kind,
        MISSING if old is MISSING else display_value(old, pattern, masked=secret, depth=depth),
        MISSING if new is MISSING else display_value(new, pattern, masked=secret, depth=depth),
    )


def long_string_lines(path: str, old: Any, new: Any, pattern: str) -> LineDiff | None:
    """The line diff of a long or multi-line string's change (None: not such a change, or a secret)."""
    if not (isinstance(old, str) and isinstance(new, str) and (_long(old) or _long(new))):
        return None
    if is_secret_path(path, pattern):
        return None
    return _capped(line_diff(old, new, max_lines=MAX_LINES))


def _capped(diff: LineDiff) -> LineDiff:
    if all(len(line.text) <= MAX_LINE_CHARS for hunk in diff.hunks for line in hunk.lines):
        return diff
    hunks = tuple(
        replace(h, lines=tuple(replace(x, text=cap_text(x.text, MAX_LINE_CHARS)) for x in h.lines))
        for h in diff.hunks
    )
    return replace(diff, hunks=hunks)


def named_path(path: str, names: Names) -> str:
    """A diff path with each step selector (`[_importId=abc]`) naming the step (`[import "Orders"]`)."""

    def name(match: re.Match[str]) -> str:
        rtype = _STEP_TYPES[match.group(1)]
        shown = cap_text(names(rtype, match.group(2)), MAX_NAME_CHARS)
        return f'[{rtype} "{shown}"{match.group(3) or ""}]'

    return _SELECTOR.sub(name, path)


def entry_data(entry: Entry) -> list[Any]:
    """An entry as a change table's data (reports/templates/_script.js draws it): [path,
    kind, old, new]; kind a|r|m|v (moved: positions)|l (new: the line diff's rows, each
    ["@", header] or [tag, old number, new number, text])|x (a count of left-out entries)."""
    kind = _KINDS[entry.kind]
    if entry.lines is not None:
        rows: list[list[Any]] = []
        for hunk in entry.lines.hunks:
            rows.append(["@", hunk.header])
            rows.extend(
                [line.kind, line.old_number, line.new_number, line.text] for line in hunk.lines
            )
        if entry.lines.left_out:
            rows.append(["@", f"{entry.lines.left_out} more diff lines are not shown"])
        return [entry.path, kind, None, rows]
    old = None if entry.old is MISSING else entry.old
    new = None if entry.new is MISSING else entry.new
    return [entry.path, kind, old, new]


_KINDS = {"added": "a", "removed": "r", "modified": "m", "moved": "v", "lines": "l", "more": "x"}
