"""Writing a query's answer as table, csv, json, jsonl or parquet.

DuckDB writes csv, json, jsonl and parquet itself (COPY, at its own speed, as the rows come),
with the value rules of flowaudit.sqlshell.encoding: csv has a header row, RFC 4180 quoting,
NULL as an empty field and the empty string as "", nested values as compact JSON; json is
one array of objects, jsonl one object per line, JSON columns embedded as JSON; duplicate
column names get a suffix (_2, _3 ...) in json, jsonl and parquet, where names must be
unique. The table is drawn in Python (flowaudit.sqlshell.table), block by block."""

from __future__ import annotations

import errno
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import duckdb

from flowaudit.errors import QueryError, UsageError
from flowaudit.sqlshell.destination import Destination
from flowaudit.sqlshell.encoding import (
    csv_expr,
    is_numeric,
    json_expr,
    parquet_expr,
    quote_identifier,
    quote_literal,
    text_expr,
)
from flowaudit.sqlshell.session import QueryResult, query_error
from flowaudit.sqlshell.table import TableStyle, plan_table, render_header, render_rows

FORMATS = ("table", "csv", "json", "jsonl", "parquet")
DEFAULT_TABLE_LIMIT = 1000
FIRST_BLOCK = 1000  # rows that fix the table's column widths
_COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "jsonl": "FORMAT json",
    "parquet": "FORMAT parquet",
}


@dataclass(frozen=True)
class WriteSummary:
    """How many rows the result had and how many were written."""

    rows_written: int
    rows_total: int

    @property
    def rows_left_out(self) -> int:
        return self.rows_total - self.rows_written


def write_result(
    result: QueryResult,
    fmt: str,
    destination: Destination,
    *,
    limit: int = 0,
    style: TableStyle = TableStyle(),
) -> WriteSummary:
    """Write the answer in one of FORMATS; `limit` > 0 keeps only the first rows."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if not result.columns:
        return WriteSummary(0, 0)  # the last statement returns nothing (SET, ...)
    if fmt == "table":
        return _write_table(result, destination.stream, limit, style)
    return _copy(result, fmt, destination, limit)


def unique_names(names: list[str]) -> list[str]:
    """Column names with duplicates suffixed _2, _3 ... (JSON keys must be unique)."""
    seen: dict[str, int] = {}
    taken = set(names)
    unique = []
    for name in names:
        if name not in seen:
            seen[name] = 1
            unique.append(name)
            continue
        count = seen[name]
        while True:
            count += 1
            candidate = f"{name}_{count}"
            if candidate not in taken:
                break
        seen[name] = count
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _copy(result: QueryResult, fmt: str, destination: Destination, limit: int) -> WriteSummary:
    names = [column.name for column in result.columns]
    if fmt != "csv":
        names = unique_names(names)
    expressions = [
        f"{_encoded(fmt, f'#{position}', column.type, name)} AS {quote_identifier(name)}"
        for position, (column, name) in enumerate(zip(result.columns, names, strict=True), start=1)
    ]
    select = result.select(expressions, limit=limit)
    copy = (
        f"COPY ({select}) TO {quote_literal(destination.duckdb_path)} "
        f"({_COPY_OPTIONS[fmt]}, USE_TMP_FILE false)"
    )
    connection = result.connection
    try:
        written = connection.execute(copy, result.params or None).fetchall()[0][0]
    except duckdb.Error as exc:
        if destination.reader_gone:
            raise BrokenPipeError(errno.EPIPE, "the reader of the output went away") from None
        raise query_error(
            exc, statement=result.statement, hidden_prefix="COPY (" + result.hidden_prefix
        ) from None
    total = written
    if limit and written >= limit:
        total = _count(result)
    return WriteSummary(written, total)


def _encoded(fmt: str, sql: str, column_type: duckdb.DuckDBPyType, name: str) -> str:
    if fmt == "csv":
        return csv_expr(sql, column_type)
    if fmt == "parquet":
        return parquet_expr(sql, column_type, name)
    return json_expr(sql, column_type)


def _count(result: QueryResult) -> int:
    try:
        return result.connection.execute(
            result.select(["count(*)"]), result.params or None
        ).fetchall()[0][0]
    except duckdb.Error as exc:
        raise result.error(exc) from None


def _write_table(result: QueryResult, out: BinaryIO, limit: int, style: TableStyle) -> WriteSummary:
    connection = result.connection
    expressions = [
        text_expr(f"#{i}", column.type) for i, column in enumerate(result.columns, start=1)
    ]
    select = result.select(expressions)
    names = [column.name for column in result.columns]
    right = [is_numeric(column.type) for column in result.columns]
    try:
        connection.execute(select, result.params or None)
        first = connection.fetchmany(min(limit, FIRST_BLOCK) if limit else FIRST_BLOCK)
    except duckdb.Error as exc:
        raise result.error(exc) from None
    layout = plan_table(names, right, first, style)
    _emit(out, render_header(names, layout) + render_rows(first, layout))
    written = len(first)
    while not limit or written < limit:
        try:
            rows = connection.fetchmany(min(limit - written, 2048) if limit else 2048)
        except duckdb.Error as exc:
            raise result.error(exc) from None
        if not rows:
            return WriteSummary(written, written)
        _emit(out, render_rows(rows, layout))
        written += len(rows)
    return WriteSummary(written, written + _count_rest(result))


def _emit(out: BinaryIO, text: str) -> None:
    out.write(text.encode("utf-8"))
    out.flush()  # a reader sees each block as soon as it is drawn


def _count_rest(result: QueryResult) -> int:
    # Counting through Arrow avoids building Python objects for rows nobody will see.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = result.connection.to_arrow_reader(64 * 1024)
            return sum(batch.num_rows for batch in reader)
        except duckdb.Error as exc:  # a row past the limit failed to compute
            raise result.error(exc) from None
        except Exception as exc:
            raise QueryError(str(exc).strip() or exc.__class__.__name__) from None
