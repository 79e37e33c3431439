"""A query result as an aligned text table for people.

Cells are one line (newlines and tabs shown as \\n, \\t), truncated with '…' past a width,
numbers right-aligned, NULL shown as NULL. `terminal=True` fits the table to the terminal's
width and highlights the header and NULLs; otherwise the text is plain and does not depend
on the machine, so it can be compared and piped."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

PLAIN_CELL_WIDTH = 40
MIN_CELL_WIDTH = 8
SEPARATOR = " | "
_NUMERIC_TYPES = {
    "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
    "uinteger", "ubigint", "uhugeint", "float", "double", "decimal", "varint", "bignum",
}
_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


@dataclass(frozen=True)
class TableStyle:
    """How the table is drawn: plain (fixed cell width) or for a terminal of `width` columns."""

    terminal: bool = False
    width: int = 120
    color: bool = False


def render_table(
    names: Sequence[str],
    type_ids: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    style: TableStyle = TableStyle(),
) -> str:
    """The table as text, one line per row after a header and a rule, ending in a newline."""
    header = [_one_line(name) for name in names]
    cells = [[None if value is None else _one_line(value) for value in row] for row in rows]
    natural = [
        max([cell_width(header[i])] + [cell_width(row[i] or "NULL") for row in cells])
        for i in range(len(header))
    ]
    widths = _fit(natural, style)
    right = [type_id in _NUMERIC_TYPES for type_id in type_ids]

    def line(values: Sequence[str | None], *, is_header: bool = False) -> str:
        parts = []
        for value, width, align_right in zip(values, widths, right, strict=True):
            text = "NULL" if value is None else value
            text = _truncate(text, width)
            pad = " " * (width - cell_width(text))
            text = pad + text if align_right and not is_header else text + pad
            if style.color and (is_header or value is None):
                text = (_BOLD if is_header else _DIM) + text + _RESET
            parts.append(text)
        return SEPARATOR.join(parts).rstrip() + "\n"

    rule = "-+-".join("-" * width for width in widths) + "\n"
    return line(header, is_header=True) + rule + "".join(line(row) for row in cells)


def cell_width(text: str) -> int:
    """Columns the text takes in a terminal (wide East Asian characters take two)."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _one_line(text: str) -> str:
    return text.translate(_ESCAPES)


def _fit(natural: list[int], style: TableStyle) -> list[int]:
    if not style.terminal:
        return [min(width, PLAIN_CELL_WIDTH) for width in natural]
    widths = list(natural)
    budget = style.width - len(SEPARATOR) * max(len(widths) - 1, 0)
    # Shrink the widest column one step at a time until the row fits or all are narrow.
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= MIN_CELL_WIDTH:
            break
        widths[widest] -= 1
    return widths


def _truncate(text: str, width: int) -> str:
    if cell_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        size = cell_width(ch)
        if used + size > width - 1:
            break
        kept.append(ch)
        used += size
    return "".join(kept) + "…"
