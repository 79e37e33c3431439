"""One `flowaudit sql` call, start to end: destination, read-only session, statements, writer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from flowaudit.errors import UsageError
from flowaudit.sqlshell.destination import open_destination
from flowaudit.sqlshell.formats import FORMATS, WriteSummary, write_result
from flowaudit.sqlshell.session import open_readonly, run_query
from flowaudit.sqlshell.table import TableStyle


def answer_query(
    db: Path,
    sql: str,
    params: Mapping[str, str] | None = None,
    *,
    fmt: str = "table",
    output: Path | None = None,
    stdout: BinaryIO,
    limit: int = 0,
    style: TableStyle = TableStyle(),
    wait_seconds: float = 0.0,
) -> WriteSummary:
    """Run `sql` read-only on `db` and write the last statement's answer to `output` or `stdout`.

    stdout and devices get rows as they come; a regular --output file appears only whole.
    Raises BrokenPipeError when the reader of the output goes away."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet needs --output FILE (parquet is a binary file)")
    with open_destination(output, stdout, database=db) as destination:
        with open_readonly(
            db, wait_seconds=wait_seconds, writes_to=destination.duckdb_path
        ) as connection:
            result = run_query(connection, sql, params)
            summary = write_result(result, fmt, destination, limit=limit, style=style)
        # After the session is closed: DuckDB has let go of the file or pipe it wrote.
        destination.finish()
    return summary
