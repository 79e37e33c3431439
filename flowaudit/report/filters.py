"""The jinja filters and tests of the report templates, registered in one place.

Filters only format: dates, JSON, lengths. What to show is decided in Python before a
page is rendered (see flowaudit.report.contexts)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from flowaudit.documents.plain_words import plain_path
from flowaudit.report.data_blocks import data_block

# A value longer than this (characters or lines) is folded in a <details> element.
FOLD_CHARS = 160
FOLD_LINES = 6


def format_when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp for people ("2026-03-02 10:00 UTC"); empty for None."""
    if value is None:
        return ""
    return _utc(value).strftime(fmt) + (" UTC" if "%H" in fmt else "")


def iso_when(text: str) -> str:
    """An ISO-8601 UTC text ("2026-03-02T10:00:00Z") for people, as format_when shows it."""
    return f"{text[:10]} {text[11:16]} UTC" if text else ""


def format_iso(value: datetime | None) -> str:
    """A timestamp as ISO-8601 (for sorting and machine-readable attributes)."""
    return "" if value is None else _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(value: datetime) -> datetime:
    # Times from the store are TIMESTAMPTZ (aware); a naive one is UTC by convention.
    return value.astimezone(UTC) if value.tzinfo is not None else value


def pretty_json(value: Any) -> str:
    """A JSON value pretty-printed; a plain string stays as it is (no quotes)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def is_long(text: str) -> bool:
    """Whether a formatted value should be folded."""
    return len(text) > FOLD_CHARS or text.count("\n") >= FOLD_LINES


def first_line(text: str, limit: int = 80) -> str:
    """The start of a long value, for the summary of its folded form."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def human_bytes(size: int) -> str:
    """1234567 -> '1.2 MB'."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@lru_cache(maxsize=16)  # the same included script, on thousands of pages
def compact_script(source: str) -> Markup:
    """A page script without its indentation and whole-line comments (it is carried by
    thousands of pages; the template keeps them for its readers). Only whole lines go: no
    string or expression of the script is touched."""
    lines = (line.strip() for line in source.splitlines())
    return Markup("\n".join(line for line in lines if line and not line.startswith("//")))


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def compact_style(source: str) -> Markup:
    """The pages' style sheet without its comments and indentation (like compact_script: it
    is carried by every page). The sheet has no string holding `/*`, so every `/* ... */` is
    a comment."""
    lines = (line.strip() for line in _CSS_COMMENT.sub("", source).splitlines())
    return Markup("\n".join(line for line in lines if line))


def register(env: Environment) -> None:
    """Add every flowaudit filter and test to the environment."""
    env.filters.update(
        when=format_when,
        iso=format_iso,
        iso_when=iso_when,
        pretty_json=pretty_json,
        first_line=first_line,
        human_bytes=human_bytes,
        plain_path=plain_path,
        compact_script=compact_script,
        compact_style=compact_style,
        data_block=data_block,
    )
    env.tests.update(long=is_long)
