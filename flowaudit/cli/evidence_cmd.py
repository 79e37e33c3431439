"""`flowaudit evidence`, `verify`, `approvals import` and `drift list|accept`: what an auditor
runs. Thin commands over flowaudit.evidence and flowaudit.audit_trail."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.config import Settings
from flowaudit.errors import DatabaseError, EvidenceIncompleteError, TamperedError, UsageError
from flowaudit.load.db import connect

approvals_app = typer.Typer(
    help="Change requests from a ticket system, linked to the changes they approve.",
    no_args_is_help=True,
)
drift_app = typer.Typer(
    help="The drift register: every unexplained difference, open until accepted or reverted.",
    no_args_is_help=True,
)
app.add_typer(approvals_app, name="approvals")
app.add_typer(drift_app, name="drift")

WAIT = typer.Option(0.0, "--wait", help="Seconds to wait for a run that holds the database.")


@app.command("evidence")
def evidence_command(
    start: str = typer.Option(
        ...,
        "--from",
        help="Start of the period, included (2026-01-01, or a time; UTC unless it has an offset).",
    ),
    end: str = typer.Option(
        ..., "--to", help="End of the period, excluded (e.g. 2026-04-01 for the first quarter)."
    ),
    out: Path = typer.Option(..., "--out", help="The folder to write (new, or empty)."),
    fmt: str = typer.Option("csv", "--format", help="Format of the data files: csv or parquet."),
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    quiet: bool = options.QUIET,
    wait: float = WAIT,
) -> None:
    """Write one folder of evidence for a period [--from, --to): every change, reconciled, with
    its coverage, rules, approvals and drift register, the SQL that wrote each file, a
    readable index.html, README.txt and MANIFEST.sha256. Prints the folder's path.

    When flowaudit.toml or the environment sets [rules], they are stored first and judge the
    changes; else the rules in force (stored by the nightly run) do.
    Exit codes: 12 the folder was written but the audit log does not cover the whole period
    (the first line of README.txt says where), 7 database problem, 11 the folder cannot be
    written."""
    from flowaudit.evidence import Period, parse_bound, write_evidence

    settings = options.load_settings(config, db=db, account=account, quiet=quiet)
    period = Period(parse_bound(start, "--from"), parse_bound(end, "--to"))
    _writable(settings, wait, rules_given=_rules_given(config)).close()
    result = write_evidence(
        settings.db, account=settings.account, period=period, out=out, fmt=fmt, wait_seconds=wait
    )
    sys.stdout.write(f"{result.folder}\n")
    if not result.complete:
        raise EvidenceIncompleteError(
            f"evidence written to {result.folder}, but {_gaps(result.coverage)}"
        )


def _gaps(coverage: dict) -> str:
    gaps = coverage.get("gaps") or []
    shown = "; ".join(f"{g['gap_from']} to {g['gap_to']}" for g in gaps[:3])
    more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
    return f"the audit log does not cover the whole period: no complete audit window covers {shown}{more}"


@app.command("verify")
def verify_command(
    account: str | None = options.ACCOUNT,
    head: str | None = typer.Option(
        None,
        "--head",
        help="A chain head recorded earlier (an evidence folder's MANIFEST): check it is still in the chain.",
    ),
    no_rederive: bool = typer.Option(
        False,
        "--no-rederive",
        help="Skip deriving the history again from the records (quicker; seals are still checked).",
    ),
    db: Path | None = options.DB,
    config: Path | None = options.CONFIG,
    wait: float = WAIT,
) -> None:
    """Recompute the hash chain from the database (read-only) and say whether everything the
    runs sealed is still as they loaded it: audit records, field changes, observations, run
    records and the derived history. Every account of the database unless an account is
    set (--account, FLOWAUDIT_ACCOUNT or flowaudit.toml).

    Exit codes: 0 intact, 13 something no longer matches (the first run it concerns is named),
    7 database problem."""
    from flowaudit.audit_trail.verify import verify_account
    from flowaudit.config import resolve_settings_with_origins
    from flowaudit.load.migrations import accounts, check_schema
    from flowaudit.load.public_schema import check_public_schema

    settings, origins = resolve_settings_with_origins(
        {"db": db, "account": account}, config_file=config
    )
    con = connect(settings.db, read_only=True, wait_seconds=wait)
    try:
        check_schema(con)
        check_public_schema(con)  # the digests run store macros: they must be this flowaudit's
        names = accounts(con) if origins["account"] == "default" else [settings.account]
        broken = []
        for name in names:
            report = verify_account(con, name, head=head, rederive=not no_rederive)
            for line in report.lines():
                sys.stdout.write(f"{line}\n")
            if not report.intact:
                broken.append(report)
    finally:
        con.close()
    if not names:
        sys.stdout.write("no account holds data yet: nothing to verify\n")
    if broken:
        report = broken[0]
        problem = report.first_problem
        reason = problem.message if problem else f"the head {head} is not in its chain"
        raise TamperedError(f"account {report.account}: {reason}")


@approvals_app.command("import")
def approvals_import(
    file: Path = typer.Argument(
        ...,
        help="CSV with ticket, approver, approved_at, window_from, window_to and one of resource_id, flow_id, integration_id.",
    ),
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    wait: float = WAIT,
) -> None:
    """Import change requests: each row links a ticket (approved by whom, when) to the
    changes of a resource, flow or integration in [window_from, window_to). A ticket in the
    file replaces its earlier rows. Every row is checked first: one bad row and nothing is
    imported (exit 14, every bad row named by its line on stderr). See the view change_approvals."""
    from flowaudit.audit_trail.approvals import ApprovalsFileError, import_approvals, read_approvals

    settings = options.load_settings(config, db=db, account=account)
    try:
        rows = read_approvals(file)
    except ApprovalsFileError as exc:
        for problem in exc.problems[:20]:
            sys.stderr.write(f"flowaudit: {problem}\n")
        if len(exc.problems) > 20:
            sys.stderr.write(f"flowaudit: ... and {len(exc.problems) - 20} more bad rows\n")
        raise
    con = _writable(settings, wait, rules_given=_rules_given(config))
    try:
        counts = import_approvals(
            con, settings.account, rows, file_name=file.name, imported_by=_os_user()
        )
    finally:
        con.close()
    sys.stdout.write(
        f"imported {counts['rows']} row(s) of {counts['tickets']} ticket(s) into account "
        f"{settings.account} ({counts['replaced']} ticket(s) replaced their earlier rows)\n"
    )


@drift_app.command("list")
def drift_list(
    open_only: bool = typer.Option(False, "--open", help="Only the open items."),
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    wait: float = WAIT,
) -> None:
    """List the drift register, oldest item first (tab-separated, with a header): item,
    status, age in days, resource, field, when it was found, and who accepted it and why."""
    from flowaudit.audit_trail.drift_register import register_rows
    from flowaudit.load.migrations import check_schema

    settings = options.load_settings(config, db=db, account=account)
    con = connect(settings.db, read_only=True, wait_seconds=wait)
    try:
        check_schema(con)
        rows = register_rows(con, settings.account, open_only=open_only)
    finally:
        con.close()
    sys.stdout.write(
        "item\tstatus\tage_days\tresource_type\tresource_name\tfield_path\tfound_at\taccepted_by\tnote\n"
    )
    for row in rows:
        fields = (row["item"], row["status"], row["age_days"], row["resource_type"], row["resource_name"],
                  row["field_path"] or "(whole resource)", f"{row['changed_before']:%Y-%m-%d %H:%M}",
                  row["accepted_by"] or "", row["note"] or "")  # fmt: skip
        sys.stdout.write(
            "\t".join("" if v is None else " ".join(str(v).split()) for v in fields) + "\n"
        )


@drift_app.command("accept")
def drift_accept(
    item: int = typer.Argument(..., help="The item's number (flowaudit drift list)."),
    note: str = typer.Option(
        ..., "--note", help="Why the difference is accepted (e.g. the ticket that approved it)."
    ),
    by: str | None = typer.Option(
        None, "--by", help="Who accepts it. [default: the operating-system user]"
    ),
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    wait: float = WAIT,
) -> None:
    """Accept an open drift register item: it is closed, with who accepted it, when and why."""
    from flowaudit.audit_trail.drift_register import accept_item

    settings = options.load_settings(config, db=db, account=account)
    who = " ".join((by or _os_user()).split())
    if not who:
        raise UsageError("--by must name who accepts the item")
    con = _writable(settings, wait, rules_given=_rules_given(config))
    try:
        row = accept_item(con, settings.account, item, note=note, by=who)
    finally:
        con.close()
    sys.stdout.write(f"item {row['item']} accepted by {row['accepted_by']}: {row['note']}\n")


def _writable(settings: Settings, wait: float, *, rules_given: bool):
    """The database open for writing and migrated; the settings' rules stored when they
    name any (else the rules in force stay: an auditor's shell need not hold the nightly
    job's flowaudit.toml)."""
    from flowaudit.audit_trail.rules import RuleSet, store_rules
    from flowaudit.load.migrations import migrate

    if not settings.db.exists():
        raise DatabaseError(
            f"database not found: {settings.db} (run `flowaudit extract` or `flowaudit demo` first)"
        )
    con = connect(settings.db, wait_seconds=wait)
    try:
        migrate(con, volatile_fields=settings.volatile_fields)
        if rules_given:
            store_rules(con, settings.account, RuleSet.from_settings(settings))
    except BaseException:
        con.close()
        raise
    return con


def _rules_given(config: Path | None) -> bool:
    """Whether flowaudit.toml or the environment sets any [rules] setting."""
    from flowaudit.config import resolve_settings_with_origins
    from flowaudit.rule_settings import RULE_KEYS

    _settings, origins = resolve_settings_with_origins({}, config_file=config)
    return any(origins[key] != "default" for key in RULE_KEYS)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
