"""Pinned baselines: `flowaudit baseline set NAME` records the time of the current
configuration (the last successful run) as approved; drift can then be read against it.
Versions are kept forever, so a time is all a pin needs to store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from flowaudit.errors import DatabaseError, UsageError
from flowaudit.report.queries import report_frame


@dataclass(frozen=True)
class PinnedBaseline:
    name: str
    as_of: datetime
    run_id: int | None
    pinned_at: datetime
    note: str | None = None  # the approval it stands for (a change ticket)
    pinned_by: str | None = None


def _require_table(con: duckdb.DuckDBPyConnection) -> None:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'store' AND table_name = 'baselines'"
    ).fetchall()[0][0]
    if not exists:
        raise DatabaseError(
            "this database has no baselines table yet; run `flowaudit extract` once to upgrade it"
        )


def list_baselines(con: duckdb.DuckDBPyConnection, account: str) -> list[PinnedBaseline]:
    """Every pinned baseline of the account, newest first."""
    _require_table(con)
    return [PinnedBaseline(**row) for row in report_frame(con, "baselines", account=account).iter_rows(named=True)]


def find_baseline(con: duckdb.DuckDBPyConnection, account: str, name: str) -> PinnedBaseline:
    """The pinned baseline called name, or a UsageError listing the known ones."""
    pins = list_baselines(con, account)
    for pin in pins:
        if pin.name == name:
            return pin
    known = ", ".join(p.name for p in pins) or "none pinned yet"
    raise UsageError(f"no baseline named {name!r} (known: {known})")


def pin_baseline(
    con: duckdb.DuckDBPyConnection, account: str, name: str, *, note: str | None = None, by: str | None = None
) -> PinnedBaseline:
    """Pin the configuration of the last successful run under name (replacing a pin of that
    name), recording who pinned it (by, else the operating-system user) and the approval."""
    clean = name.strip()
    if not clean or len(clean) > 100 or any(ord(c) < 32 for c in clean):
        raise UsageError("a baseline name must be 1 to 100 printable characters")
    note = _text(note, "--note", 500)
    by = _text(by, "--by", 200) or _os_user()
    _require_table(con)
    rows = con.execute(
        "SELECT run_id, observed_at FROM store.runs WHERE account = $account AND status = 'succeeded' "
        "AND observed_at IS NOT NULL ORDER BY run_id DESC LIMIT 1",
        {"account": account},
    ).fetchall()
    if not rows:
        raise UsageError("nothing to pin: no successful run yet (run `flowaudit extract` first)")
    run_id, observed_at = rows[0]
    pinned_at = datetime.now(UTC)
    con.execute(
        "INSERT OR REPLACE INTO store.baselines (account, name, as_of, run_id, pinned_at, note, pinned_by) "
        "VALUES ($account, $name, $as_of, $run_id, $pinned_at, $note, $by)",
        {"account": account, "name": clean, "as_of": observed_at, "run_id": run_id,
         "pinned_at": pinned_at, "note": note, "by": by},
    )  # fmt: skip
    return PinnedBaseline(clean, observed_at, run_id, pinned_at, note, by)


def _text(value: str | None, flag: str, limit: int) -> str | None:
    if value is None:
        return None
    clean = value.strip()
    if not clean or len(clean) > limit or not clean.isprintable():
        raise UsageError(f"{flag} must be 1 to {limit} printable characters")
    return clean


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in the password database (a container)
        return "unknown"
