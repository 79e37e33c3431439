"""The names exports, imports and connections had over time, so that a change table names
the steps in its paths (`pageProcessors[import "Orders"]`) as they were called when the
change was made: a month's page never changes when a step is renamed later."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from flowaudit.report.masking import MAX_NAME_CHARS, cap_text
from flowaudit.report.queries import report_rows


class NameHistory:
    """(type, id) -> its names by the start of each version (ISO-8601 UTC text)."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        self._starts: dict[tuple[str, str], list[str]] = {}
        self._names: dict[tuple[str, str], list[str]] = {}
        for rtype, rid, valid_from, name in rows:
            self._starts.setdefault((rtype, rid), []).append(valid_from)
            self._names.setdefault((rtype, rid), []).append(cap_text(name, MAX_NAME_CHARS))

    def name_at(self, resource_type: str, resource_id: str, moment: str) -> str:
        """Its name at a moment (ISO-8601 UTC text); before its first known version the first
        known name; the id when no name is known."""
        starts = self._starts.get((resource_type, resource_id))
        if not starts:
            return resource_id
        index = max(bisect_right(starts, _comparable(moment)) - 1, 0)
        return self._names[(resource_type, resource_id)][index]


def _comparable(moment: str) -> str:
    # "2026-03-01T02:00:00Z" sorts after "2026-03-01T02:00:00.000000Z"; make it the same form.
    return moment[:-1] + ".000000Z" if moment.endswith("Z") and "." not in moment else moment


def fetch_name_history(con: duckdb.DuckDBPyConnection, account: str) -> NameHistory:
    """The name history of the account's exports, imports and connections."""
    return NameHistory(report_rows(con, "step_names", account=account))
