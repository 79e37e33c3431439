"""index.html of an evidence folder: one self-contained page (styles inline, no script, no
network) that says first whether the period is covered, then what each file holds, then
the tables an auditor reads first. Built with the reports' jinja environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowaudit.audit_trail.chain import Link
from flowaudit.report.environment import make_environment


@dataclass(frozen=True)
class Table:
    """The first rows of one data file (text as the CSV holds it)."""

    name: str
    file: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int

    @property
    def left_out(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class EvidencePage:
    statement: str
    complete: bool
    account: str
    period: str
    generated_at: datetime
    coverage: dict[str, Any]
    rules: dict[str, Any]
    head: Link | None
    files: tuple[tuple[str, int | None, str], ...]  # name, rows (None: a JSON file), what it is
    counts: dict[str, tuple[str, dict[str, int]]]  # data file -> (a column, its rows by value)
    tables: tuple[Table, ...]
    flowaudit_version: str


def render_page(page: EvidencePage) -> str:
    """The page's HTML."""
    return make_environment().get_template("evidence.html").render(ctx=page)
