"""A query result as an aligned text table for people, written as the rows come.

Cells are one line (newlines and tabs shown as \\n, \\t), truncated with '…' past a width,
numbers right-aligned, NULL shown as NULL. Column widths are fixed by the first block of rows
(up to 1,000), so the table can be printed before the query has produced its last row; a
later, wider value is truncated. `terminal=True` fits the table to the terminal's width and
highlights the header and NULLs; otherwise the text is plain and does not depend on the
machine, so it can be compared and piped."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

PLAIN_CELL_WIDTH = 40
MIN_CELL_WIDTH = 8
SEPARATOR = " | "
_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"

Rows = Sequence[Sequence[str | None]]


@dataclass(frozen=True)
class TableStyle:
    """How the table is drawn: plain (fixed cell width) or for a terminal of `width` columns."""

    terminal: bool = False
    width: int = 120
    color: bool = False


@dataclass(frozen=True)
class TableLayout:
    """Column widths and alignment, fixed once from the header and the first rows."""

    widths: list[int]
    right: list[bool]
    style: TableStyle


def plan_table(
    names: Sequence[str], right_aligned: Sequence[bool], first_rows: Rows, style: TableStyle
) -> TableLayout:
    """The layout that fits the header and `first_rows`."""
    header = [_one_line(name) for name in names]
    natural = [
        max(
            [cell_width(header[i])]
            + [cell_width(_one_line(row[i] or "NULL")) for row in first_rows]
        )
        for i in range(len(header))
    ]
    return TableLayout(_fit(natural, style), list(right_aligned), style)


def render_header(names: Sequence[str], layout: TableLayout) -> str:
    """The header line and the rule under it."""
    rule = "-+-".join("-" * width for width in layout.widths) + "\n"
    return _line(names, layout, is_header=True) + rule


def render_rows(rows: Rows, layout: TableLayout) -> str:
    """One line per row, each ending in a newline."""
    return "".join(_line(row, layout) for row in rows)


def render_table(
    names: Sequence[str],
    right_aligned: Sequence[bool],
    rows: Rows,
    style: TableStyle = TableStyle(),
) -> str:
    """A whole table, laid out to fit every row."""
    layout = plan_table(names, right_aligned, rows, style)
    return render_header(names, layout) + render_rows(rows, layout)


def cell_width(text: str) -> int:
    """Columns the text takes in a terminal (wide East Asian characters take two)."""
    if text.isascii():
        return len(text)  # the usual case, without a look at each character
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _line(values: Sequence[str | None], layout: TableLayout, *, is_header: bool = False) -> str:
    parts = []
    for value, width, align_right in zip(values, layout.widths, layout.right, strict=True):
        text = _truncate("NULL" if value is None else _one_line(value), width)
        pad = " " * (width - cell_width(text))
        text = pad + text if align_right and not is_header else text + pad
        if layout.style.color and (is_header or value is None):
            text = (_BOLD if is_header else _DIM) + text + _RESET
        parts.append(text)
    return SEPARATOR.join(parts).rstrip() + "\n"


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
    if text.isascii():
        return text[: width - 1] + "…"
    kept, used = [], 0
    for ch in text:
        size = cell_width(ch)
        if used + size > width - 1:
            break
        kept.append(ch)
        used += size
    return "".join(kept) + "…"
