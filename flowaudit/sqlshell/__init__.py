"""`flowaudit sql`: read-only ad hoc SQL over the database, written in one of several formats.

    summary = answer_query(db, "SELECT * FROM flows WHERE name = $name", {"name": "x"},
                           fmt="csv", output=None, stdout=sys.stdout.buffer)

or step by step: open_destination, open_readonly(writes_to=...), run_query, write_result.
"""

from flowaudit.sqlshell.answer import answer_query
from flowaudit.sqlshell.destination import Destination, open_destination
from flowaudit.sqlshell.formats import (
    DEFAULT_TABLE_LIMIT,
    FORMATS,
    WriteSummary,
    write_result,
)
from flowaudit.sqlshell.parameters import declared_parameters, in_utc
from flowaudit.sqlshell.session import (
    NO_FILES_MESSAGE,
    READ_ONLY_MESSAGE,
    Column,
    QueryResult,
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
    "Destination",
    "QueryResult",
    "TableStyle",
    "WriteSummary",
    "answer_query",
    "declared_parameters",
    "in_utc",
    "open_destination",
    "open_readonly",
    "run_query",
    "write_result",
]
