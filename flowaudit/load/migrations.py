"""Named schema migrations, applied in order in one transaction and recorded in
`store.schema_migrations`; then what a migration asks to be rebuilt is rebuilt (the
history, the derived tables) and the public views and macros are (re)installed.

A database that records a migration this code does not know was written by a newer
flowaudit: it is refused, never "migrated" backwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flowaudit import __version__
from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.documents.scrub import Scrubber, ScrubPolicy
from flowaudit.errors import DatabaseError
from flowaudit.load.db import current_path, describe_duckdb_error, is_damage, run_sql_file
from flowaudit.load.public_schema import install_public_schema
from flowaudit.load.scrub_store import recorded_policy, scrub_store
from flowaudit.load.versions import Hashers, rebuild_all, refresh_derived
from flowaudit.logs import get_logger

log = get_logger(__name__)

# Append only; never rename or reorder: the names are recorded in every database.
MIGRATIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_report_baselines",
    "0003_documents_zstd",
    "0004_audit_windows",
    "0005_derived_tables",
    "0006_exact_history",
    "0007_clock",
    "0008_evidence",
    "0009_speed",
    "0010_whole_account",
    "0011_jobs",
    "0012_notifications",
    "0013_version_digests",
)
# Migrations after which every account's history is rebuilt from observations and audit
# records (the rebuild is Python: it cannot be a SQL file).
_REBUILD_HISTORY_AFTER = frozenset({"0006_exact_history", "0009_speed", "0010_whole_account"})

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(
    con: duckdb.DuckDBPyConnection,
    *,
    volatile_fields: Iterable[str] = DEFAULT_VOLATILE_FIELDS,
    scrub_policy: ScrubPolicy | None = None,
    announce: bool = True,
    documented: bool = True,
) -> list[str]:
    """Bring the database to this flowaudit's schema; return the migrations applied now
    (logged unless announce is false: a scratch database is nobody's news; documented false:
    the views without their comments, for a scratch database read for its definitions).

    volatile_fields: how a history rebuilt by a migration hashes documents (the setting).
    scrub_policy: what the store may keep of captured data (the settings); a store scrubbed
    under another policy is scrubbed again and its history rebuilt. None: the store is
    scrubbed (under the default policy) only if it never was (a database of a flowaudit
    before migration 0010)."""
    _refuse_catalog_named_store(con)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            applied = _apply_pending(con)
            scrubbed = _scrub_if_needed(con, scrub_policy)
            rebuilt = bool(scrubbed or _REBUILD_HISTORY_AFTER.intersection(applied))
            if rebuilt:
                rebuild_every_history(con, Hashers(volatile_fields))
            if applied:
                # A migration may add derived columns or tables: fill them before anyone reads.
                refresh_every_account(con)
                _seal_evidence(con, applied, volatile_fields, rebuilt)
            install_public_schema(con, documented=documented)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        if is_damage(exc):
            raise DatabaseError(describe_duckdb_error(current_path(con), exc)) from None
        raise DatabaseError(f"cannot migrate the database: {_first_line(exc)}") from None
    if applied and announce:
        log.info("database schema migrated: %s", ", ".join(applied))
    return applied


def _scrub_if_needed(con: duckdb.DuckDBPyConnection, policy: ScrubPolicy | None) -> bool:
    """Scrub what the store holds when it was never scrubbed, or under another policy than
    the one given; whether it did (then every history is rebuilt from the scrubbed data)."""
    recorded = recorded_policy(con)
    if recorded is not None and (policy is None or recorded == policy.basis):
        return False
    scrub_store(con, Scrubber(policy or ScrubPolicy()))
    return True


def check_schema(con: duckdb.DuckDBPyConnection) -> None:
    """For readers: refuse a database that is newer than this flowaudit, or not migrated."""
    recorded = _recorded_migrations(con)
    _refuse_newer(con, recorded)
    if not recorded:
        raise DatabaseError("the database holds no flowaudit data (run `flowaudit extract` first)")
    missing = [name for name in MIGRATIONS if name not in recorded]
    if missing:
        raise DatabaseError(
            "the database was written by an older flowaudit; run `flowaudit extract` once to upgrade it"
        )


def accounts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every account the store holds anything of."""
    return [
        row[0]
        for row in con.execute(
            "SELECT account FROM store.audit_records UNION SELECT account FROM store.latest_documents "
            "UNION SELECT account FROM store.observations UNION SELECT account FROM store.flow_steps "
            "UNION SELECT account FROM store.runs ORDER BY 1"
        ).fetchall()
    ]


def refresh_every_account(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the derived tables of every account."""
    for account in accounts(con):
        refresh_derived(con, account)


def rebuild_every_history(con: duckdb.DuckDBPyConnection, hashers: Hashers) -> None:
    """Rebuild every account's history (the rebuild's files go to a private temporary folder)."""
    work_dir = Path(tempfile.mkdtemp(prefix="flowaudit-rebuild-"))
    try:
        for account in accounts(con):
            counts = rebuild_all(con, work_dir, hashers, account=account)
            log.info("rebuilt the history of account %s: %s versions of %s resources",
                     account, counts["versions"], counts["rebuilt_resources"])  # fmt: skip
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _seal_evidence(
    con: duckdb.DuckDBPyConnection, applied: list[str], volatile_fields: Iterable[str], rebuilt: bool
) -> None:
    """Once the chain exists (0008): start it for accounts that hold data, seal a history
    a migration rebuilt, and open drift register items for the unexplained changes."""
    if not _has_chain(con):
        return
    from flowaudit.audit_trail.chain import SEALING_MIGRATION, seal_after_migration
    from flowaudit.audit_trail.drift_register import sync_register

    hashers = Hashers(volatile_fields)

    def basis_of(account: str) -> str:
        rows = con.execute(
            "SELECT value FROM store.meta WHERE key = $key", {"key": f"content_hash_basis:{account}"}
        ).fetchall()
        return rows[0][0] if rows else hashers.basis

    name = SEALING_MIGRATION if SEALING_MIGRATION in applied else applied[-1]
    seal_after_migration(
        con, name, hash_basis_of=basis_of, volatile_fields=hashers.setting,
        history_rebuilt=rebuilt,
    )  # fmt: skip
    for account in accounts(con):
        sync_register(con, account)


def _has_chain(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'store' AND table_name = 'hash_chain'"
        ).fetchall()[0][0]
    )


def _refuse_catalog_named_store(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB names the catalog after the file: `store.duckdb` would make every `store.x`
    # reference ambiguous between that catalog and flowaudit's `store` schema.
    if con.execute("SELECT current_database()").fetchall()[0][0] == "store":
        raise DatabaseError(
            "a database file named store.* cannot hold flowaudit data (its name clashes "
            "with flowaudit's internal schema `store`); choose another file name"
        )


def _apply_pending(con: duckdb.DuckDBPyConnection) -> list[str]:
    con.execute("CREATE SCHEMA IF NOT EXISTS store")
    con.execute(
        "CREATE TABLE IF NOT EXISTS store.schema_migrations "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    recorded = _recorded_migrations(con)
    _refuse_newer(con, recorded)
    applied = []
    for name in MIGRATIONS:
        if name in recorded:
            continue
        run_sql_file(con, f"migrations/{name}.sql")
        con.execute(
            "INSERT INTO store.schema_migrations VALUES ($name, $now)",
            {"name": name, "now": _utc_now()},
        )
        applied.append(name)
    for key, value in (("schema_version", str(SCHEMA_VERSION)), ("flowaudit_version", __version__)):
        con.execute(
            "INSERT OR REPLACE INTO store.meta VALUES ($key, $value)", {"key": key, "value": value}
        )
    return applied


def _recorded_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'store' AND table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return []
    return [row[0] for row in con.execute("SELECT name FROM store.schema_migrations").fetchall()]


def _refuse_newer(con: duckdb.DuckDBPyConnection, recorded: list[str]) -> None:
    unknown = sorted(set(recorded) - set(MIGRATIONS))
    if not unknown:
        return
    rows = (
        con.execute("SELECT value FROM store.meta WHERE key = 'flowaudit_version'").fetchall()
        if _has_meta(con)
        else []
    )
    writer = f"flowaudit {rows[0][0]}, " if rows else ""
    raise DatabaseError(
        f"the database was written by a newer flowaudit ({writer}migration {unknown[-1]}); "
        f"upgrade flowaudit (this is {__version__})"
    )


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'store' AND table_name = 'meta'"
        ).fetchall()[0][0]
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else exc.__class__.__name__
