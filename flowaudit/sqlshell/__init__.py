"""`flowaudit sql`: read-only ad hoc SQL over the database, written in one of several formats.

    with open_readonly(db, wait_seconds=5) as connection:
        result = run_query(connection, "SELECT * FROM flows WHERE name = $name", {"name": "x"})
        save_result(result, "csv", output=None, stdout=sys.stdout.buffer)
"""

from flowaudit.sqlshell.formats import (
    DEFAULT_TABLE_LIMIT,
    FORMATS,
    WriteSummary,
    save_result,
    write_result,
)
from flowaudit.sqlshell.session import (
    NO_FILES_MESSAGE,
    READ_ONLY_MESSAGE,
    Column,
    QueryResult,
    declared_parameters,
    open_readonly,
    run_query,
)
from flowaudit.sqlshell.table import TableStyle

__all__ = [
    "DEFAULT_TABLE_LIMIT",
    "FORMATS",
    "NO_FILES_MESSAGE",
    "READ_ONLY_MESSAGE",
    "Column",
    "QueryResult",
    "TableStyle",
    "WriteSummary",
    "declared_parameters",
    "open_readonly",
    "run_query",
    "save_result",
    "write_result",
]
