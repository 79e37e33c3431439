"""Data checks over the store: each `queries/checks/*.sql` is a SELECT returning the rows
that break a rule (overlapping versions, orphan field changes, ...); zero rows = it holds."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from flowaudit.assets import queries_dir
from flowaudit.load.db import statements

CHECKS_FOLDER = "checks"


@dataclass(frozen=True)
class CheckResult:
    name: str
    purpose: str
    bad_rows: list[tuple]

    @property
    def holds(self) -> bool:
        return not self.bad_rows


def check_names() -> list[str]:
    return sorted(p.stem for p in (queries_dir() / CHECKS_FOLDER).glob("*.sql"))


def run_checks(con: duckdb.DuckDBPyConnection, *, sample: int = 20) -> list[CheckResult]:
    """Run every data check; each result holds up to `sample` bad rows."""
    results = []
    for name in check_names():
        (query,) = statements(f"{CHECKS_FOLDER}/{name}.sql")
        purpose = query.splitlines()[0].lstrip("- ").strip()
        rows = con.execute(
            f"SELECT * FROM ({_without_comments(query)}) LIMIT {int(sample)}"
        ).fetchall()
        results.append(CheckResult(name, purpose, rows))
    return results


def _without_comments(query: str) -> str:
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("--"))
