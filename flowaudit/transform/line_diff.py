"""Line diffs of text (scripts' code): hunks of removed, added and unchanged lines, each
line with its number in the old and in the new text, as a reader compares code. Pure; the
standard library's difflib finds the matching lines."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3  # unchanged lines shown around each change
MAX_DIFF_LINES = 400  # lines of one diff a page shows; the rest is counted


@dataclass(frozen=True)
class DiffLine:
    kind: str  # " " unchanged, "-" removed, "+" added
    old_number: int | None  # its number in the old text (None for an added line)
    new_number: int | None  # its number in the new text (None for a removed line)
    text: str


@dataclass(frozen=True)
class Hunk:
    old_start: int  # first line number of the hunk in the old text (1-based)
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"


@dataclass(frozen=True)
class LineDiff:
    hunks: tuple[Hunk, ...]
    added: int
    removed: int
    left_out: int = 0  # diff lines beyond MAX_DIFF_LINES, not shown

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def split_lines(text: str | None) -> list[str]:
    """The lines of a text (no trailing empty line for a final newline)."""
    if not text:
        return []
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def line_diff(
    old: str | None,
    new: str | None,
    *,
    context: int = CONTEXT_LINES,
    max_lines: int = MAX_DIFF_LINES,
) -> LineDiff:
    """The line diff from old to new (None: no text), at most max_lines lines shown."""
    a, b = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    hunks: list[Hunk] = []
    added = removed = shown = left_out = 0
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine(" ", i + 1, j1 + (i - i1) + 1, a[i]) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("-", i + 1, None, a[i]) for i in range(i1, i2))
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("+", None, j + 1, b[j]) for j in range(j1, j2))
                added += j2 - j1
        room = max(max_lines - shown, 0)
        if len(lines) > room:
            left_out += len(lines) - room
            lines = lines[:room]
        shown += len(lines)
        if lines:
            first, last = group[0], group[-1]
            old_count, new_count = last[2] - first[1], last[4] - first[3]
            # As unified diffs write it: an empty side starts at the line before (0 at the top).
            hunks.append(Hunk(first[1] + (1 if old_count else 0), old_count,
                              first[3] + (1 if new_count else 0), new_count, tuple(lines)))  # fmt: skip
    return LineDiff(tuple(hunks), added, removed, left_out)
