"""Running the report SQL (`queries/reports/*.sql`) and handing the rows to polars.

Each file holds one SELECT; parameters are bound by name (`$account`), never formatted in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from typing import Any

import duckdb
import polars as pl

from flowaudit.assets import read_query
from flowaudit.errors import DatabaseError
from flowaudit.load.db import current_path, describe_duckdb_error, is_damage
from flowaudit.logs import get_logger

log = get_logger(__name__)

BATCH_ROWS = 10_000  # rows per batch of report_batches
# DuckDB may keep up to 80% of the machine's memory; a rendering keeps its queries within
# this, which holds a report of the largest account measured under 1 GB (BENCHMARKS.md).
# A query that needs more is run again without the bound (_lift_memory_bound): slower
# machines and bigger accounts get a report, not an out-of-memory error.
REPORT_MEMORY_LIMIT = "400MB"
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


@cache
def _report_sql(name: str) -> tuple[str, frozenset[str]]:
    text = read_query(f"reports/{name}.sql")
    return text, frozenset(_PARAMETER.findall(_COMMENT.sub("", text)))


def report_frame(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """The rows of `queries/reports/<name>.sql` as a polars DataFrame."""
    return _run(name, params, lambda text, bound: con.sql(text, params=bound).pl(), con)


def report_rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple]:
    """The rows of `queries/reports/<name>.sql` as tuples (for rows read one by one).

    Through Arrow, a column at a time: several times faster than DuckDB's row-wise fetchall
    for the hundred thousand rows of a large account's history."""

    def rows(text: str, bound: dict[str, Any]) -> list[tuple]:
        table = con.sql(text, params=bound).to_arrow_table()
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    return _run(name, params, rows, con)


def report_batches(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Iterator[tuple]:
    """The rows of `queries/reports/<name>.sql` as tuples, read a batch at a time (for results
    too large to hold in Python at once). The connection runs nothing else until they are read."""
    reader = _run(name, params, lambda text, bound: con.sql(text, params=bound).to_arrow_reader(BATCH_ROWS), con)
    return _rows_of(reader)


def _rows_of(reader: Any) -> Iterator[tuple]:
    try:
        for batch in reader:
            yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)
    finally:
        reader.close()


@contextmanager
def memory_bound(con: duckdb.DuckDBPyConnection, limit: str | None = None) -> Iterator[None]:
    """DuckDB's memory limit set to limit (REPORT_MEMORY_LIMIT) while inside, and set back after
    (DuckDB's default exactly; another limit as DuckDB shows it, e.g. 2.7 GiB)."""
    previous = _memory_limit(con)
    con.execute(f"SET memory_limit = '{limit or REPORT_MEMORY_LIMIT}'")
    try:
        yield
    finally:
        with suppress(duckdb.Error):  # a closed or broken connection keeps the first error
            con.execute("RESET memory_limit")
            if _memory_limit(con) != previous:
                con.execute(f"SET memory_limit = '{previous}'")


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def _lift_memory_bound(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """After an out-of-memory error: DuckDB's own default limit (80% of the machine's memory)
    instead of a lower one; True when the limit was lower (the query is worth running again)."""
    before = _memory_limit(con)
    con.execute("RESET memory_limit")
    after = _memory_limit(con)
    if after == before:
        return False
    log.warning("report query %s needs more than %s of memory: the rest of this rendering may use up to %s",
                name, before, after)  # fmt: skip
    return True


def _run(name: str, params: dict[str, Any], run: Any, con: duckdb.DuckDBPyConnection) -> Any:
    text, used = _report_sql(name)
    missing = used - params.keys()
    if missing:
        raise KeyError(f"report query {name} needs parameter(s): {', '.join(sorted(missing))}")
    bound = {k: params[k] for k in used}
    try:
        try:
            return run(text, bound)
        except duckdb.OutOfMemoryException:
            if not _lift_memory_bound(con, name):
                raise
            return run(text, bound)
    except duckdb.Error as exc:
        if is_damage(exc):
            raise DatabaseError(describe_duckdb_error(current_path(con), exc)) from None
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DatabaseError(f"report query {name} failed: {first}") from None
