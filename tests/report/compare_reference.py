"""Python's compare of a flow's recent versions (flow_configs.compare_versions), read from a
report database as the flow pages read it: the reference the pages' script is held to."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from flowaudit.load.db import connect
from flowaudit.report.flow_configs import compare_versions
from flowaudit.report.flow_page import FlowUnit
from flowaudit.report.site import fetch_site


def python_compares(
    db: Path, account: str, pattern: str, volatile: tuple[str, ...]
) -> dict[str, dict[tuple[int, int], list]]:
    """flow id -> (older, newer) -> the entries, for every pair of versions a flow page compares."""
    con = connect(db, read_only=True)
    try:
        site = fetch_site(con, account, now=datetime.now(UTC), since=None, pattern=pattern,
                          volatile=volatile, baseline=None, stale_since=None)  # fmt: skip
        unit = FlowUnit()
        compares = {}
        for plan, data in unit.fetch(con, site, unit.plan(con, site)):
            pairs = {
                (older.number, newer.number): compare_versions(
                    older, newer, data.found, site.pattern, site.volatile, site.name_of
                )
                for newer, older in combinations(data.recent, 2)  # recent: newest first
            }
            if pairs:
                compares[plan.args] = pairs
    finally:
        con.close()
    return compares
