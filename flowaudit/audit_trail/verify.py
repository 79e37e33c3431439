"""`flowaudit verify`: recompute an account's hash chain from the store, read-only.

In order, for every link: it follows the previous link; its hash covers its fields; every
section it sealed (runs, audit windows, audit records, field changes, observations,
absences, history seals) still gives the same digest; every succeeded run is sealed by a
link. Then the history: every resource's stored history gives the digest its newest seal
holds, and deriving the history again from the stored records and observations gives the
same. The first thing that no longer matches is named with its run; nothing is written.

Observations re-hashed by a later load (volatile_fields changed) were legitimately
rewritten; the observation sections of the links before that load are not checked, and the
report says so."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flowaudit.audit_trail.chain import (
    GENESIS_PREVIOUS,
    HISTORY_TABLES,
    SECTIONS,
    Link,
    history_digest_sql,
    links,
    section_digests,
)
from flowaudit.load.db import fetch_sql_file, run_sql_file, statements
from flowaudit.load.versions import DerivedHistory, Hashers, derive_history, touch_every_resource

_SECTION_WORDS = {
    "runs": "the run rows",
    "audit_windows": "the audit windows it read",
    "audit_records": "the audit records it stored",
    "field_changes": "the field changes of those records",
    "observations": "the observations it stored (what it listed)",
    "absences": "the deletions it found",
    "history": "the history seals it wrote",
}


@dataclass(frozen=True)
class Problem:
    """Something stored that no longer matches what was sealed."""

    link: int  # the link whose seal it breaks (order of the report)
    message: str


@dataclass
class AccountReport:
    """What verifying one account found."""

    account: str
    chain: list[Link]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resources: int = 0
    head_found: bool | None = None  # --head: whether a link has that hash

    @property
    def intact(self) -> bool:
        return not self.problems and self.head_found is not False

    @property
    def head(self) -> Link | None:
        return self.chain[-1] if self.chain else None

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.link) if self.problems else None

    def lines(self) -> list[str]:
        """The report, for people (stdout)."""
        if not self.chain:
            return [f"account {self.account}: nothing sealed yet (the first run starts the chain)"]
        head = self.head
        state = "intact" if self.intact else "BROKEN"
        lines = [
            f"account {self.account}: hash chain {state}: {len(self.chain)} link(s), head {head.hash} "
            f"(link {head.link}, {head.runs}, sealed {head.sealed_at:%Y-%m-%d %H:%M} UTC)"
        ]
        first = self.chain[0]
        if first.kind == "migration":
            lines.append(
                f"  the chain starts at migration {first.migration} ({first.sealed_at:%Y-%m-%d %H:%M} UTC): "
                f"{first.runs}, loaded before it, sealed together by its first link"
            )
        else:
            lines.append(f"  the chain starts at {first.runs}, the account's first sealed run")
        lines += [f"  {note}" for note in self.notes]
        lines += [
            f"  problem: {problem.message}"
            for problem in sorted(self.problems, key=lambda p: p.link)
        ]
        return lines


def verify_account(
    con: duckdb.DuckDBPyConnection,
    account: str,
    *,
    head: str | None = None,
    rederive: bool = True,
) -> AccountReport:
    """Check the account's chain and history against the store (nothing is written)."""
    report = AccountReport(account, links(con, account))
    if head is not None:
        report.head_found = any(link.hash == head.strip().lower() for link in report.chain)
        if not report.head_found:
            report.notes.append(
                f"no link has the hash {head}: the chain was rewritten after that head was recorded"
            )
    if not report.chain:
        _unsealed_runs(con, report)
        return report
    _check_links(report)
    _check_sections(con, report)
    _unsealed_runs(con, report)
    _check_history(con, report, rederive=rederive)
    return report


def _check_links(report: AccountReport) -> None:
    previous = GENESIS_PREVIOUS
    for number, link in enumerate(report.chain, start=1):
        if link.link != number:
            report.problems.append(
                Problem(link.link, f"link {number} is missing (the next is {link.link})")
            )
            return
        if link.previous != previous:
            report.problems.append(
                Problem(link.link, f"{_who(link)}: its link does not follow the previous one")
            )
        if link.computed_hash() != link.hash:
            report.problems.append(
                Problem(link.link, f"{_who(link)}: its link was changed after it was sealed")
            )
        previous = link.hash


def _check_sections(con: duckdb.DuckDBPyConnection, report: AccountReport) -> None:
    chain = report.chain
    now = section_digests(
        con, report.account, [(link.link, link.first_run_id, link.last_run_id) for link in chain]
    )
    rehashed_at = max((link.link for link in chain if link.rehashed), default=0)
    if rehashed_at:
        report.notes.append(
            f"observations were hashed anew by link {rehashed_at} (volatile_fields changed): what "
            "the links before it listed is not checked"
        )
    for link in chain:
        for section in SECTIONS:
            if section == "observations" and link.link < rehashed_at:
                continue
            sealed, found = link.sections.get(section), now.get(link.link, {}).get(section)
            if sealed is None or found is None or sealed["sha256"] == found["sha256"]:
                continue
            counts = (
                f"{sealed['rows']:,} rows sealed, {found['rows']:,} now"
                if sealed["rows"] != found["rows"]
                else f"{sealed['rows']:,} rows, their content changed"
            )
            report.problems.append(
                Problem(
                    link.link,
                    f"{_who(link)}: {_SECTION_WORDS[section]} no longer match what it sealed ({counts})",
                )
            )


def _unsealed_runs(con: duckdb.DuckDBPyConnection, report: AccountReport) -> None:
    covered = [
        (link.first_run_id, link.last_run_id)
        for link in report.chain
        if link.first_run_id is not None
    ]
    for (run_id,) in con.execute(
        "SELECT run_id FROM store.runs WHERE account = $account AND status = 'succeeded' ORDER BY run_id",
        {"account": report.account},
    ).fetchall():
        if not any(first <= run_id <= last for first, last in covered):
            after = [link.link for link in report.chain if (link.last_run_id or 0) < run_id]
            report.problems.append(
                Problem(
                    (max(after) + 1) if after else 1,
                    f"run {run_id} is recorded as succeeded but no link seals it (the chain was cut or "
                    "the run was written by hand)",
                )
            )


def _check_history(
    con: duckdb.DuckDBPyConnection, report: AccountReport, *, rederive: bool
) -> None:
    account, newest = report.account, report.chain[-1]
    work_dir = Path(tempfile.mkdtemp(prefix="flowaudit-verify-"))

    try:
        hashers = Hashers(newest.volatile_fields)
        basis = con.execute(
            "SELECT value FROM store.meta WHERE key = $key",
            {"key": f"content_hash_basis:{account}"},
        ).fetchall()
        can_derive = (
            rederive
            and hashers.basis == newest.hash_basis
            and bool(basis)
            and basis[0][0] == hashers.basis
        )
        if can_derive:
            touch_every_resource(con, account)
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE touched (resource_type VARCHAR, resource_id VARCHAR)"
            )
        run_sql_file(con, "audit_trail/resource_keys.sql", account=account)
        stored = _digests(con, account, history_digest_sql())
        report.resources = len(stored)
        seals = {(t, i): (versions, digest, link) for t, i, versions, digest, link in
                 fetch_sql_file(con, "audit_trail/newest_seals.sql", account=account)}  # fmt: skip
        by_link = {link.link: link for link in report.chain}
        for key in sorted(set(stored) | set(seals)):
            versions, digest = stored.get(key, (0, None))
            sealed = seals.get(key)
            if sealed is None:
                if versions:
                    report.problems.append(Problem(newest.link, f"{_resource(con, account, key)}: its history "
                                                   "was never sealed (written by hand?)"))  # fmt: skip
                continue
            if sealed[1] != digest:
                link = by_link.get(sealed[2])
                who = _who(link) if link else f"link {sealed[2]}"
                report.problems.append(Problem(sealed[2], f"{who}: the stored history of "
                                               f"{_resource(con, account, key)} is not the one it sealed "
                                               f"({sealed[0]} versions sealed, {versions} now)"))  # fmt: skip
        if not can_derive:
            report.notes.append(
                "the history was not derived again (it was derived with other volatile fields than "
                "the newest link records; the next run derives and seals it anew)"
                if rederive
                else "the history was not derived again (--no-rederive)"
            )
            return
        history = derive_history(con, work_dir, hashers, account=account)
        try:
            derived = _derived_digests(con, account, history)
        finally:
            history.remove()
        for key in sorted(set(stored) | set(derived)):
            if stored.get(key, (0, None))[1] != derived.get(key, (0, None))[1]:
                link = by_link.get(seals.get(key, (0, "", newest.link))[2], newest)
                report.problems.append(
                    Problem(
                        link.link,
                        f"{_who(link)}: the stored history of {_resource(con, account, key)} "
                        "is not what its audit records and observations give",
                    )
                )
                break  # one is enough to name; the rest follow from the same change
    finally:
        for table in ("touched", "seal_keys"):
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        shutil.rmtree(work_dir, ignore_errors=True)


def _digests(
    con: duckdb.DuckDBPyConnection, account: str, sql: str
) -> dict[tuple[str, str], tuple[int, str]]:
    rows = con.execute(sql, {"account": account}).fetchall()
    return {
        (t, i): (versions, digest)
        for t, i, versions, digest in rows
        if versions or digest != _EMPTY
    }


_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of nothing


def _derived_digests(
    con: duckdb.DuckDBPyConnection, account: str, history: DerivedHistory
) -> dict[tuple[str, str], tuple[int, str]]:
    names = {
        "rebuilt_versions": "versions",
        "rebuilt_changes": "changes",
        "rebuilt_unexplained": "unexplained",
    }
    for name, key in names.items():
        con.register(name, history.table(key))
    try:
        tables = tuple(f"({sql})" for sql in statements("audit_trail/rederived.sql"))
        return _digests(con, account, history_digest_sql(tables))  # type: ignore[arg-type]
    finally:
        for name in names:
            con.unregister(name)


def _who(link: Link) -> str:
    if link.kind == "migration":
        return f"link {link.link} (migration {link.migration}, {link.runs})"
    return f"{link.runs} (link {link.link})"


def _resource(con: duckdb.DuckDBPyConnection, account: str, key: tuple[str, str]) -> str:
    rows = con.execute(
        "SELECT name FROM store.resource_directory WHERE account = $account AND resource_type = $type "
        "AND resource_id = $id",
        {"account": account, "type": key[0], "id": key[1]},
    ).fetchall()
    name = f" “{rows[0][0]}”" if rows and rows[0][0] else ""
    return f"{key[0]} {key[1]}{name}"


__all__ = ["HISTORY_TABLES", "AccountReport", "Problem", "verify_account"]
