"""Writing a query result as table, csv, json, jsonl or parquet, and delivering it safely.

`write_result` writes one format to a binary stream. `save_result` spools the output and
hands it over only once the whole result was read, so a query that fails half-way leaves
stdout empty and never leaves a half-written --output file.

csv: a header row, RFC 4180 quoting, NULL as an empty field and the empty string as "",
nested values (lists, structs) and JSON columns as compact JSON. json: one array of objects;
jsonl: one object per line (values typed as described in flowaudit.sqlshell.values).
Duplicate column names get a suffix (_2, _3 ...) so that every JSON object key is unique."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flowaudit.errors import QueryError, UsageError
from flowaudit.sqlshell.session import QueryResult
from flowaudit.sqlshell.table import TableStyle, render_table
from flowaudit.sqlshell.values import json_converter, json_of_value, text_converter

FORMATS = ("table", "csv", "json", "jsonl", "parquet")
DEFAULT_TABLE_LIMIT = 1000


@dataclass(frozen=True)
class WriteSummary:
    """How many rows the result had and how many were written."""

    rows_written: int
    rows_total: int

    @property
    def rows_left_out(self) -> int:
        return self.rows_total - self.rows_written


def save_result(
    result: QueryResult,
    fmt: str,
    *,
    output: Path | None,
    stdout: BinaryIO,
    limit: int = 0,
    style: TableStyle = TableStyle(),
) -> WriteSummary:
    """Write the result to `output` (replaced atomically) or, once complete, to `stdout`."""
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet needs --output FILE (parquet is a binary file)")
    if output is None:
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
            summary = write_result(result, fmt, spool, limit=limit, style=style)
            spool.seek(0)
            shutil.copyfileobj(spool, stdout)
            stdout.flush()
        return summary

    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write {output}: directory {directory} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            summary = write_result(result, fmt, out, limit=limit, style=style)
        os.replace(temporary, output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return summary


def write_result(
    result: QueryResult,
    fmt: str,
    out: BinaryIO,
    *,
    limit: int = 0,
    style: TableStyle = TableStyle(),
) -> WriteSummary:
    """Write the result in one of FORMATS; `limit` > 0 keeps only the first rows."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if not result.columns:
        return WriteSummary(0, 0)  # the last statement returns nothing (SET, ...)
    if fmt == "parquet":
        return _write_parquet(result, out, limit)
    rows = _LimitedRows(result, limit)
    if fmt == "table":
        _write_table(result, rows, out, style)
    elif fmt == "csv":
        _write_csv(result, rows, out)
    elif fmt == "json":
        _write_json(result, rows, out)
    else:
        _write_jsonl(result, rows, out)
    return WriteSummary(rows.written, rows.written + _count_rest(result))


class _LimitedRows:
    """The result's rows up to a limit, counting as they go."""

    def __init__(self, result: QueryResult, limit: int):
        self._result, self._limit, self.written = result, limit, 0

    def __iter__(self) -> Iterator[tuple]:
        for batch in self._result.fetch_rows(
            min(self._limit, 2048) if self._limit else 2048
        ):
            for row in batch:
                if self._limit and self.written >= self._limit:
                    return
                self.written += 1
                yield row
            if self._limit and self.written >= self._limit:
                return


def _count_rest(result: QueryResult) -> int:
    # Counting through Arrow avoids building Python objects for rows nobody will see.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = result.connection.to_arrow_reader(64 * 1024)
            return sum(batch.num_rows for batch in reader)
        except Exception as exc:  # a row past the limit failed to compute
            raise QueryError(_first_line(exc)) from None


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


def _write_table(result: QueryResult, rows: _LimitedRows, out: BinaryIO, style: TableStyle) -> None:
    converters = [text_converter(column.type) for column in result.columns]
    texts = [
        [None if value is None else convert(value) for value, convert in zip(row, converters, strict=True)]
        for row in rows
    ]
    names = [column.name for column in result.columns]
    type_ids = [column.type.id for column in result.columns]
    out.write(render_table(names, type_ids, texts, style).encode("utf-8"))


def _csv_field(text: str | None) -> str:
    if text is None:
        return ""
    if text == "" or any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_csv(result: QueryResult, rows: _LimitedRows, out: BinaryIO) -> None:
    converters = [text_converter(column.type) for column in result.columns]
    out.write((",".join(_csv_field(c.name) for c in result.columns) + "\n").encode("utf-8"))
    for row in rows:
        fields = (
            _csv_field(None if value is None else convert(value))
            for value, convert in zip(row, converters, strict=True)
        )
        out.write((",".join(fields) + "\n").encode("utf-8"))


def _json_objects(result: QueryResult, rows: _LimitedRows) -> Iterator[str]:
    keys = [json_of_value(name) for name in unique_names([c.name for c in result.columns])]
    converters = [json_converter(column.type) for column in result.columns]
    for row in rows:
        yield "{" + ",".join(
            f"{key}:{convert(value)}" for key, value, convert in zip(keys, row, converters, strict=True)
        ) + "}"


def _write_json(result: QueryResult, rows: _LimitedRows, out: BinaryIO) -> None:
    out.write(b"[")
    for position, obj in enumerate(_json_objects(result, rows)):
        out.write(((",\n" if position else "\n") + obj).encode("utf-8"))
    out.write(b"\n]\n")


def _write_jsonl(result: QueryResult, rows: _LimitedRows, out: BinaryIO) -> None:
    for obj in _json_objects(result, rows):
        out.write((obj + "\n").encode("utf-8"))


def _write_parquet(result: QueryResult, out: BinaryIO, limit: int) -> WriteSummary:
    import pyarrow.parquet as pq  # only this format needs it; keep `flowaudit sql` quick

    written = total = 0
    with warnings.catch_warnings():
        # DuckDB warns that Arrow output of an executed statement copies rows; that is fine.
        warnings.simplefilter("ignore")
        try:
            reader = result.connection.to_arrow_reader(64 * 1024)
        except Exception as exc:
            raise QueryError(_first_line(exc)) from None
        _refuse_unstorable_columns(reader.schema)
        try:
            with pq.ParquetWriter(out, reader.schema) as writer:
                for batch in reader:
                    total += batch.num_rows
                    room = batch.num_rows if not limit else max(limit - written, 0)
                    if room:
                        writer.write_batch(batch.slice(0, room))
                        written += min(room, batch.num_rows)
        except Exception as exc:
            raise QueryError(_first_line(exc)) from None
    return WriteSummary(written, total)


def _refuse_unstorable_columns(schema) -> None:
    import pyarrow.types as pat

    for field in schema:
        if pat.is_interval(field.type) or pat.is_union(field.type):
            raise QueryError(
                f"parquet cannot store column {field.name!r} ({field.type}); "
                f"cast it in the query, e.g. CAST({field.name} AS VARCHAR)"
            )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
