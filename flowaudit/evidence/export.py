"""Writing one evidence folder (see flowaudit.evidence).

Every data file is the output of one SQL file of `queries/evidence/`, run exactly as
`flowaudit sql -f` runs it (a read-only session, the same writer): the folder's `queries/`
holds that SQL with the period and account declared as its parameters, so
`flowaudit sql --db DB -f queries/events.sql --format csv` gives events.csv again, byte for
byte, as long as the database holds the same data. The folder is written beside its final
place and renamed into it when whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flowaudit import __version__
from flowaudit.assets import read_query
from flowaudit.audit_trail.chain import Link, head
from flowaudit.errors import ReportOutputError, UsageError
from flowaudit.evidence.page import EvidencePage, Table, render_page
from flowaudit.evidence.period import Period, iso_z
from flowaudit.load.db import connect
from flowaudit.load.migrations import check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.sqlshell import QueryResult, run_query, write_result
from flowaudit.sqlshell.destination import FileDestination
from flowaudit.sqlshell.encoding import text_expr

FORMATS = ("csv", "parquet")
MANIFEST = "MANIFEST.sha256"
PAGE_ROWS = 2000  # rows of one table that index.html shows (the file holds them all)


@dataclass(frozen=True)
class DataFile:
    """One data file of the folder and the query that writes it."""

    name: str
    about: str
    shown: tuple[str, ...] = ()  # columns index.html shows (none: only counted)
    counted_by: str | None = None  # the column index.html counts rows by


DATA_FILES: tuple[DataFile, ...] = (
    DataFile("events", "one row per audit record of the period, creates and deletes included: when (UTC), "
             "what (resource type, id, its name then and now), where (integration, flows), who (user id, "
             "name, e-mail; source ui/api/...), the change request linked to it and the rules it broke",
             ("time", "event", "source", "resource_type", "resource_name", "user_email", "approval",
              "rule_violations"), "source"),
    DataFile("field_changes", "one row per field change of those records: the field, its old and new "
             "value as JSON text", (), "resource_type"),
    DataFile("reconciliation", "every configuration difference that took effect in the period, labelled "
             "explained (with the explaining audit records), system or unexplained",
             (), "label"),
    DataFile("unexplained", "the differences no audit record explains, with the interval they happened "
             "in and their drift register item",
             ("changed_at", "resource_type", "resource_name", "field_path", "change", "old_value",
              "new_value", "changed_after", "changed_before", "drift_item", "drift_status"), "resource_type"),
    DataFile("drift_register", "the drift register items of the period (found in it, or still open at its "
             "end) with their status and age",
             ("item", "status", "resource_type", "resource_name", "field_path", "changed_before",
              "open_at_period_end", "age_days", "accepted_by", "note"), "status"),
    DataFile("rule_violations", "every way a change broke the change-process rules in force (rules.json)",
             ("time", "local_time", "resource_type", "resource_name", "user_email", "source", "rule",
              "detail"), "rule"),
    DataFile("change_approvals", "every change made by a person, with the change request that covers it: "
             "approved, approved after the change, self-approved or no ticket",
             ("time", "resource_type", "resource_name", "user_email", "state", "ticket", "approver",
              "approved_at", "overdue"), "state"),
)  # fmt: skip
JSON_FILES = {
    "coverage": "whether the audit log of the period is complete, its gaps, the runs that read it "
    "(ids, times, request counts), the API they read and the hash chain's head",
    "rules": "the change-process rules in force, by which rule_violations judged every change",
}


@dataclass
class EvidenceResult:
    """What was written, and whether the period is fully covered."""

    folder: Path
    complete: bool
    statement: str  # the first line of README.txt and index.html
    rows: dict[str, int] = field(default_factory=dict)  # data file -> rows
    head: Link | None = None
    coverage: dict[str, Any] = field(default_factory=dict)


def write_evidence(
    db: Path,
    *,
    account: str,
    period: Period,
    out: Path,
    fmt: str = "csv",
    wait_seconds: float = 0.0,
    now: datetime | None = None,
) -> EvidenceResult:
    """Write the evidence folder `out` for account and period; return what it holds."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    staging = _staging_folder(out)
    try:
        # The session `flowaudit sql` gets (read-only, file access off), but that it may write
        # in the private staging folder: every file of the folder comes from one snapshot.
        con = connect(db, read_only=True, wait_seconds=wait_seconds, file_access=[staging])
        try:
            con.execute("SET enable_progress_bar = false")
            check_schema(con)
            check_public_schema(con)
            result = _write(con, staging, db=db, account=account, period=period, fmt=fmt,
                            now=now or datetime.now(UTC))  # fmt: skip
        finally:
            con.close()
        _manifest(staging, result)
        _move_into_place(staging, out)
    except OSError as exc:
        raise ReportOutputError(
            f"cannot write the evidence folder {out}: {exc.strerror or exc}"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.folder = out
    return result


def _write(
    con: duckdb.DuckDBPyConnection, folder: Path, *, db: Path, account: str, period: Period, fmt: str,
    now: datetime,
) -> EvidenceResult:  # fmt: skip
    (folder / "queries").mkdir()
    params = {"from": iso_z(period.start), "to": iso_z(period.end), "account": account}
    coverage = _single_row(con, "coverage", params, folder)
    link = head(con, account)
    coverage["hash_chain_head"] = _head_text(link)
    rules = _single_row(con, "rules", params, folder)
    _write_json(folder / "coverage.json", coverage)
    _write_json(folder / "rules.json", rules)
    statement = coverage_statement(coverage, account, period)
    result = EvidenceResult(
        folder, bool(coverage["complete"]), statement, head=link, coverage=coverage
    )
    tables, counts = [], {}
    for data in DATA_FILES:
        sql = _query_text(data.name, params, fmt=fmt)
        (folder / "queries" / f"{data.name}.sql").write_text(sql, encoding="utf-8")
        summary = _write_file(con, sql, fmt, folder / f"{data.name}.{fmt}")
        result.rows[f"{data.name}.{fmt}"] = summary.rows_total
        table, counted = _page_table(con, sql, data, fmt)
        counts[data.name] = (data.counted_by or "", counted)
        if data.shown:
            tables.append(table)
    page = EvidencePage(
        statement=statement, complete=result.complete, account=account, period=period.label,
        generated_at=now, coverage=coverage, rules=rules, head=link, files=_file_list(result, fmt),
        counts=counts, tables=tuple(tables), flowaudit_version=__version__,
    )  # fmt: skip
    (folder / "index.html").write_text(render_page(page), encoding="utf-8")
    (folder / "README.txt").write_text(
        _readme(result, db, account, period, fmt, now), encoding="utf-8"
    )
    return result


def coverage_statement(coverage: dict[str, Any], account: str, period: Period) -> str:
    """The folder's first line: whether flowaudit holds every audit record of the period."""
    if coverage["complete"]:
        return (
            f"COMPLETE: flowaudit holds every audit record of account {account} for {period.label}: "
            "complete audit windows of succeeded runs cover the whole period."
        )
    gaps = "; ".join(f"{gap['gap_from']} to {gap['gap_to']}" for gap in coverage["gaps"])
    return (
        f"INCOMPLETE: the audit log of account {account} is not fully covered for {period.label}: "
        f"no complete audit window covers {gaps}. Changes made then may be missing from these files."
    )


def _query_text(name: str, params: dict[str, str], *, fmt: str) -> str:
    """The SQL of queries/evidence/<name>.sql with the folder's parameters declared."""
    output = f"{name}.json" if name in JSON_FILES else f"{name}.{fmt}"
    how = "--format json" if name in JSON_FILES else f"--format {fmt}"
    declared = "\n".join(
        f"-- @param {key} = '{value.replace(chr(39), chr(39) * 2)}'"
        for key, value in params.items()
    )
    return (
        f"-- flowaudit evidence: the query that wrote {output}.\n"
        f"-- Run it again: flowaudit sql --db DB -f queries/{name}.sql {how} --output {output}\n"
        f"{declared}\n--\n{read_query(f'evidence/{name}.sql')}"
    )


def _single_row(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, str], folder: Path
) -> dict[str, Any]:
    """The one row of a JSON file's query, as a JSON object (values as `--format json`)."""
    sql = _query_text(name, params, fmt="json")
    (folder / "queries" / f"{name}.sql").write_text(sql, encoding="utf-8")
    path = folder / f"{name}.json"
    _write_file(con, sql, "json", path)  # written as `flowaudit sql --format json` writes it
    rows = json.loads(path.read_text(encoding="utf-8") or "[]")
    path.unlink()  # rewritten with the chain's head by the caller
    return rows[0] if rows else {}


def _write_file(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, path: Path):
    """The answer of sql written to path by `flowaudit sql`'s writer (a file put in place whole)."""
    destination = FileDestination(path, name=path.name)
    with destination:
        summary = write_result(run_query(con, sql), fmt, destination)
        destination.finish()
    return summary


def _page_table(
    con: duckdb.DuckDBPyConnection, sql: str, data: DataFile, fmt: str
) -> tuple[Table, dict[str, int]]:
    """The first PAGE_ROWS rows of a data file's shown columns, and its rows counted."""
    result = run_query(con, sql)
    names = [column.name for column in result.columns]
    shown = [names.index(name) for name in data.shown]
    rows: list[tuple[str, ...]] = []
    if shown:
        rows = [
            tuple("" if value is None else value for value in row)
            for row in _read(result, [_as_text(result, i) for i in shown], limit=PAGE_ROWS)
        ]
    total = _read(result, ["count(*)"])[0][0]
    counts: dict[str, int] = {}
    if data.counted_by:
        by = _as_text(result, names.index(data.counted_by))
        counts = {
            "" if value is None else value: int(n)
            for value, n in _read(result, [f"{by} AS value", "count(*)"], group=True)
        }
    return Table(data.name, f"{data.name}.{fmt}", data.shown, tuple(rows), int(total)), dict(
        sorted(counts.items())
    )


def _as_text(result: QueryResult, index: int) -> str:
    """Column index as the text `flowaudit sql` shows for it (timestamps in UTC with Z)."""
    return text_expr(f"#{index + 1}", result.columns[index].type)


def _read(
    result: QueryResult, expressions: list[str], *, limit: int = 0, group: bool = False
) -> list[tuple]:
    sql = result.select(expressions, limit=limit) + (" GROUP BY ALL" if group else "")
    try:
        return result.connection.execute(sql, result.params or None).fetchall()
    except duckdb.Error as exc:
        raise result.error(exc) from None


def _file_list(result: EvidenceResult, fmt: str) -> tuple[tuple[str, int | None, str], ...]:
    files = [(f"{d.name}.{fmt}", result.rows[f"{d.name}.{fmt}"], d.about) for d in DATA_FILES]
    files += [(f"{name}.json", None, about) for name, about in JSON_FILES.items()]
    return tuple(files)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _head_text(link: Link | None) -> dict[str, Any] | None:
    if link is None:
        return None
    return {
        "hash": link.hash,
        "link": link.link,
        "runs": link.runs,
        "sealed_at": iso_z(link.sealed_at),
    }


def _readme(
    result: EvidenceResult, db: Path, account: str, period: Period, fmt: str, now: datetime
) -> str:
    link = result.head
    chain = (
        f"Hash chain head: {link.hash}\n(link {link.link}, {link.runs}, sealed {iso_z(link.sealed_at)}).\n"
        "`flowaudit verify --head` with it checks that nothing the database sealed up to that\n"
        "head has changed since this folder was written."
        if link
        else "Hash chain head: none (no run of this account is sealed yet)."
    )
    lead = max(len(name) for name, _rows, _about in _file_list(result, fmt)) + 2
    files = [
        _wrapped(
            f"  {name:<{lead}}" + (f"{rows:>9,} rows  " if rows is not None else " " * 16), about
        )
        for name, rows, about in _file_list(result, fmt)
    ]
    files += [
        _wrapped(f"  {name:<{lead + 16}}", about)
        for name, about in (
            (
                "queries/",
                "the exact SQL that wrote each file, with the period and account declared",
            ),
            ("index.html", "the same, readable in a browser (self-contained: no network needed)"),
            (MANIFEST, "the SHA-256 of every file above, and the hash chain's head"),
        )
    ]
    covering = ", ".join(str(run["run_id"]) for run in result.coverage.get("runs", [])) or "none"
    api = ", ".join(result.coverage.get("api_urls", [])) or "unknown"
    head_option = f" --head {link.hash}" if link else ""
    newline = "\n"
    return f"""{result.statement}

flowaudit evidence for account "{account}", period {period.label}.
Periods are half-open: the start is included, the end excluded; every time is UTC (Z).
Written {iso_z(now)} by flowaudit {__version__} from {db}.
Runs whose audit windows cover the period: {covering}; API: {api}.
{chain}

What each file is (rows are data rows, the header line not counted):
{newline.join(files)}

What "complete" means: every moment of the period lies in an audit window that a run which
succeeded read to its last page, from the account's whole audit log (/audit), and no more
than a year before that run (integrator.io keeps audit records for at least a year and may
forget older ones before anyone reads them). A period reaching further back, past the last
run, or over a run that could not finish its reading is incomplete: the first line above
says so and names the stretches that are not covered.

How to check this folder:
  sha256sum -c {MANIFEST}
      every file is as it was written
  flowaudit verify --db DB --account {_arg(account)}{head_option}
      the database still holds what its runs loaded and sealed
  flowaudit sql --db DB -f queries/events.sql --format {fmt} --output events.{fmt}
      writes a file again (any file of queries/ likewise)
"""


def _wrapped(lead: str, text: str, width: int = 100) -> str:
    """lead, then text wrapped to width, its continuation lines under its start."""
    return textwrap.fill(
        text, width, initial_indent=lead, subsequent_indent=" " * len(lead), break_on_hyphens=False
    )


def _arg(text: str) -> str:
    return (
        text
        if text.replace("-", "").replace("_", "").isalnum()
        else "'" + text.replace("'", "'\\''") + "'"
    )


def _manifest(folder: Path, result: EvidenceResult) -> None:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    link = result.head
    lines = [
        f"# flowaudit evidence: account {result.coverage.get('account')}, period "
        f"[{result.coverage.get('period_from')}, {result.coverage.get('period_to')})",
        f"# hash chain head: {link.hash} (link {link.link}, {link.runs}, sealed {iso_z(link.sealed_at)})"
        if link
        else "# hash chain head: none (nothing sealed yet)",
        f"# check: sha256sum -c {MANIFEST}",
    ]
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _staging_folder(out: Path) -> Path:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder: choose a new --out folder")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as exc:
        raise ReportOutputError(
            f"cannot write the evidence folder {out}: {exc.strerror or exc}"
        ) from None


def _move_into_place(staging: Path, out: Path) -> None:
    staging.chmod(0o755)  # mkdtemp makes it private; the folder is for others to read
    if out.exists():
        out.rmdir()  # empty (checked before)
    os.replace(staging, out)
