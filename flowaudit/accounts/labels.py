"""Which account labels can name a folder, a database file and a lake partition.

A label of an accounts file becomes `OUT/<label>/` (its reports), `<label>.duckdb` (with
--db-per-account) and `account=<label>` in the Parquet lake, so it must be the same text in
every one of them on every file system and object store: letters, digits, `-` and `_`."""

from __future__ import annotations

import re

from flowaudit.report.output import LATEST, folder_date

MAX_LABEL_CHARS = 64
_LABEL = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_LABEL_CHARS - 1}}}$")


def label_problem(label: str) -> str | None:
    """Why `label` cannot name an account's folder and partition; None when it can."""
    if not _LABEL.match(label):
        return (
            f"an account label must be 1 to {MAX_LABEL_CHARS} letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    if label == LATEST or folder_date(label) is not None:
        return "an account label cannot be 'latest' or a date (those name report folders)"
    return None
