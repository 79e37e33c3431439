"""Change requests from a ticket system: `flowaudit approvals import FILE.csv`.

The CSV (UTF-8, comma-separated, a header row) has the columns ticket, approver,
approved_at, window_from, window_to and one of resource_id, flow_id, integration_id per
row (other columns are ignored). A row links the ticket to the changes of that resource,
or of everything in that flow or integration, made in [window_from, window_to). Times are
ISO-8601 (a date alone is midnight; no offset means UTC).

Every row is checked before anything is stored; one bad row and nothing is imported
(`ApprovalsFileError`, each bad row named by its line). A ticket in the file replaces
every row stored for it earlier, so a corrected export can be imported again. The
`change_approvals` view links changes to tickets."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flowaudit.errors import InputFileError, UsageError

REQUIRED = ("ticket", "approver", "approved_at", "window_from", "window_to")
TARGETS = ("resource_id", "flow_id", "integration_id")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TEXT = 500
MAX_SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class Approval:
    """One row of the file: a ticket, who approved it when, what and when it covers."""

    line: int
    ticket: str
    approver: str
    approved_at: datetime
    resource_id: str | None
    flow_id: str | None
    integration_id: str | None
    window_from: datetime
    window_to: datetime


class ApprovalsFileError(InputFileError):
    """The file has bad rows; `problems` names each by its line."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


def read_approvals(path: Path) -> list[Approval]:
    """Every row of the file, checked; ApprovalsFileError listing every bad row."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ApprovalsFileError(f"{path}: the file is empty (it needs a header row)", []) from None
    except csv.Error as exc:
        raise ApprovalsFileError(f"{path} line 1: {exc}", []) from None
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing or not any(name in columns for name in TARGETS):
        needed = ", ".join(
            missing
            + (
                []
                if any(t in columns for t in TARGETS)
                else ["resource_id, flow_id or integration_id"]
            )
        )
        raise ApprovalsFileError(f"{path} line 1: the header lacks {needed}", [])
    approvals, problems = [], []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(field.strip() for field in fields):
                continue
            row = {
                name: (fields[i].strip() if i < len(fields) else "")
                for i, name in enumerate(columns)
            }
            try:
                approvals.append(_approval(line, row))
            except ValueError as exc:
                problems.append(f"{path} line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"{path} line {reader.line_num}: {exc}")
    if problems:
        raise ApprovalsFileError(
            f"{path}: {len(problems)} bad row(s) (the first: line {problems[0].split(' line ', 1)[1]}); "
            "nothing was imported",
            problems,
        )
    if not approvals:
        raise ApprovalsFileError(f"{path}: no rows to import", [])
    return approvals


def _approval(line: int, row: dict[str, str]) -> Approval:
    for name in REQUIRED:
        if not row.get(name):
            raise ValueError(f"{name} is empty")
    for name, value in row.items():
        if len(value) > MAX_TEXT or not value.isprintable():
            raise ValueError(f"{name} holds more than {MAX_TEXT} characters or a control character")
    targets = [name for name in TARGETS if row.get(name)]
    if len(targets) != 1:
        raise ValueError("give exactly one of resource_id, flow_id, integration_id")
    window_from, window_to = _time(row, "window_from"), _time(row, "window_to")
    if window_to <= window_from:
        raise ValueError(
            "window_to must be after window_from (the window is [window_from, window_to))"
        )
    return Approval(
        line, row["ticket"], row["approver"], _time(row, "approved_at"),
        row.get("resource_id") or None, row.get("flow_id") or None, row.get("integration_id") or None,
        window_from, window_to,
    )  # fmt: skip


def _time(row: dict[str, str], name: str) -> datetime:
    text = row[name]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{name} {text!r} is not a date or time (e.g. 2026-03-01T14:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ApprovalsFileError(
                f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", []
            )
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApprovalsFileError(f"{path} is not UTF-8 text", []) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc.__class__.__name__}") from None


def import_approvals(
    con: duckdb.DuckDBPyConnection,
    account: str,
    approvals: list[Approval],
    *,
    file_name: str,
    imported_by: str,
    now: datetime | None = None,
) -> dict[str, int]:
    """Store the rows in one transaction; a ticket's earlier rows are replaced. Counts."""
    tickets = sorted({a.ticket for a in approvals})
    con.execute("BEGIN TRANSACTION")
    try:
        replaced = con.execute(
            "SELECT count(DISTINCT ticket) FROM store.approvals WHERE account = $account "
            "AND list_contains($tickets, ticket)",
            {"account": account, "tickets": tickets},
        ).fetchall()[0][0]
        con.execute(
            "DELETE FROM store.approvals WHERE account = $account AND list_contains($tickets, ticket)",
            {"account": account, "tickets": tickets},
        )
        stamp = now or datetime.now(UTC)
        con.executemany(
            "INSERT INTO store.approvals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [account, a.ticket, a.approver, a.approved_at, a.resource_id, a.flow_id,
                 a.integration_id, a.window_from, a.window_to, stamp, imported_by, file_name, a.line]
                for a in approvals
            ],
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"rows": len(approvals), "tickets": len(tickets), "replaced": int(replaced)}
