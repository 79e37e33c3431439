"""The hash chain: every succeeded run seals what it loaded, chained to the account's
previous link, inside the load's own transaction (`seal_run`).

What a link covers (queries/audit_trail/sections.sql): the run's row and audit windows, the
audit records and field changes it first stored, the observations it first listed and the
resources it found gone; and the digest of the derived history of every resource its load
rebuilt (store.history_seals, queries/audit_trail/history_digests.sql). Versions are
derived: a later load may legitimately rebuild a resource's history, so the chain does not
seal versions per run but the history as each load left it; `verify` checks the newest seal
of every resource against what is stored, and against what the stored records and
observations give when derived again.

A database that held data before migration 0008 gets one `migration` link per account that
seals everything loaded until then as one block (`seal_after_migration`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from flowaudit.documents.canonical import canonical_json, sha256_text
from flowaudit.load.db import statements
from flowaudit.logs import get_logger

log = get_logger(__name__)

GENESIS_PREVIOUS = "0" * 64
SECTIONS = (
    "runs",
    "audit_windows",
    "audit_records",
    "field_changes",
    "observations",
    "absences",
    "history",
)
# Migrations that seal: 0008 starts the chain of every account that already holds data.
SEALING_MIGRATION = "0008_evidence"


@dataclass(frozen=True)
class Link:
    """One link of an account's chain, as stored in store.hash_chain."""

    account: str
    link: int
    kind: str  # run | migration
    migration: str | None
    first_run_id: int | None
    last_run_id: int | None
    sealed_at: datetime
    hash_basis: str
    volatile_fields: tuple[str, ...]
    rehashed: bool
    sections: dict[str, dict[str, Any]]
    previous: str
    hash: str

    def computed_hash(self) -> str:
        """The link's hash from its own fields (what `hash` must be)."""
        return link_hash(
            self.account, self.link, self.kind, self.migration, self.first_run_id,
            self.last_run_id, self.sealed_at, self.hash_basis, self.volatile_fields,
            self.rehashed, self.sections, self.previous,
        )  # fmt: skip

    @property
    def runs(self) -> str:
        """Which runs it seals, in words."""
        if self.first_run_id is None:
            return "no run"
        if self.first_run_id == self.last_run_id:
            return f"run {self.first_run_id}"
        return f"runs {self.first_run_id}–{self.last_run_id}"


def link_hash(
    account: str,
    link: int,
    kind: str,
    migration: str | None,
    first_run_id: int | None,
    last_run_id: int | None,
    sealed_at: datetime,
    hash_basis: str,
    volatile_fields: Iterable[str],
    rehashed: bool,
    sections: dict[str, dict[str, Any]],
    previous: str,
) -> str:
    """SHA-256 of a link's canonical JSON: every field but the hash itself."""
    return sha256_text(
        canonical_json(
            {
                "account": account,
                "link": link,
                "kind": kind,
                "migration": migration,
                "first_run_id": first_run_id,
                "last_run_id": last_run_id,
                "sealed_at_us": _epoch_us(sealed_at),
                "hash_basis": hash_basis,
                "volatile_fields": list(volatile_fields),
                "rehashed": rehashed,
                "sections": sections,
                "previous": previous,
            }
        )
    )


def links(con: duckdb.DuckDBPyConnection, account: str) -> list[Link]:
    """The account's chain, oldest link first."""
    rows = con.execute(
        "SELECT account, link, kind, migration, first_run_id, last_run_id, sealed_at, hash_basis, "
        "CAST(volatile_fields AS VARCHAR), rehashed, CAST(sections AS VARCHAR), previous, hash "
        "FROM store.hash_chain WHERE account = $account ORDER BY link",
        {"account": account},
    ).fetchall()
    return [
        Link(a, n, kind, migration, first, last, sealed, basis, tuple(json.loads(volatile)),
             bool(rehashed), json.loads(sections), previous, digest)
        for a, n, kind, migration, first, last, sealed, basis, volatile, rehashed, sections, previous, digest
        in rows
    ]  # fmt: skip


def head(con: duckdb.DuckDBPyConnection, account: str) -> Link | None:
    """The account's newest link, or None when nothing is sealed yet."""
    chain = links(con, account)
    return chain[-1] if chain else None


def seal_run(
    con: duckdb.DuckDBPyConnection,
    *,
    account: str,
    run_id: int,
    hash_basis: str,
    volatile_fields: Iterable[str],
    api_url: str | None = None,
    now: datetime | None = None,
) -> Link:
    """Seal what run_id loaded (inside the load's transaction, after the run row is marked
    succeeded): the resources in the load's temp table `touched` had their history rebuilt."""
    if api_url is not None:
        con.execute(
            "UPDATE store.runs SET api_url = $url WHERE run_id = $run_id",
            {"url": api_url, "run_id": run_id},
        )
    previous = head(con, account)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE seal_keys AS SELECT DISTINCT resource_type, resource_id FROM touched"
    )
    return _append(
        con, account, previous, kind="run", migration=None, runs=(run_id, run_id),
        hash_basis=hash_basis, volatile_fields=volatile_fields,
        rehashed=previous is not None and previous.hash_basis != hash_basis, now=now,
        stored_digests=True,  # the load wrote each version's digest with it
    )  # fmt: skip


def seal_after_migration(
    con: duckdb.DuckDBPyConnection,
    migration: str,
    *,
    hash_basis_of: Any,
    volatile_fields: Iterable[str],
    history_rebuilt: bool,
    now: datetime | None = None,
) -> list[Link]:
    """Inside the migration's transaction: start the chain of every account that holds data
    and has none (everything loaded so far, sealed as one block), and, when the migration
    rebuilt the history, seal the rebuilt history of the accounts that have one.

    hash_basis_of(account): how that account's observation hashes are taken now."""
    from flowaudit.load.migrations import accounts

    sealed = []
    for account in accounts(con):
        previous = head(con, account)
        if previous is not None and not history_rebuilt:
            continue
        runs = con.execute(
            "SELECT min(run_id), max(run_id) FROM store.runs "
            "WHERE account = $account AND status = 'succeeded'",
            {"account": account},
        ).fetchall()[0]
        if previous is None and runs[0] is None:
            continue  # nothing loaded yet: the first run starts the chain
        con.execute(
            "CREATE OR REPLACE TEMP TABLE seal_keys AS "
            "SELECT resource_type, resource_id FROM store.resource_versions WHERE account = $account "
            "UNION SELECT resource_type, resource_id FROM store.version_changes WHERE account = $account "
            "UNION SELECT resource_type, resource_id FROM store.unexplained_changes WHERE account = $account",
            {"account": account},
        )
        block = (runs[0], runs[1]) if previous is None else (None, None)
        link = _append(
            con, account, previous, kind="migration", migration=migration, runs=block,
            hash_basis=hash_basis_of(account), volatile_fields=volatile_fields, rehashed=False, now=now,
        )  # fmt: skip
        log.info(
            "hash chain of account %s: %s sealed by migration %s", account, link.runs, migration
        )
        sealed.append(link)
    return sealed


def _append(
    con: duckdb.DuckDBPyConnection,
    account: str,
    previous: Link | None,
    *,
    kind: str,
    migration: str | None,
    runs: tuple[int | None, int | None],
    hash_basis: str,
    volatile_fields: Iterable[str],
    rehashed: bool,
    now: datetime | None,
    stored_digests: bool = False,
) -> Link:
    number = previous.link + 1 if previous else 1
    try:
        con.execute(
            "INSERT INTO store.history_seals SELECT $account, $link, resource_type, resource_id, "
            f"versions, sha256 FROM ({history_digest_sql(stored_digests=stored_digests)})",
            {"account": account, "link": number},
        )
        sections = section_digests(con, account, [(number, *runs)])[number]
    finally:
        con.execute("DROP TABLE IF EXISTS temp.seal_keys")
    sealed_at = now or datetime.now(UTC)
    volatile = tuple(volatile_fields)
    prior = previous.hash if previous else GENESIS_PREVIOUS
    digest = link_hash(account, number, kind, migration, runs[0], runs[1], sealed_at, hash_basis,
                       volatile, rehashed, sections, prior)  # fmt: skip
    con.execute(
        "INSERT INTO store.hash_chain VALUES ($account, $link, $kind, $migration, $first, $last, "
        "$sealed_at, $basis, CAST($volatile AS JSON), $rehashed, CAST($sections AS JSON), $previous, $hash)",
        {"account": account, "link": number, "kind": kind, "migration": migration, "first": runs[0],
         "last": runs[1], "sealed_at": sealed_at, "basis": hash_basis, "volatile": json.dumps(list(volatile)),
         "rehashed": rehashed, "sections": canonical_json(sections), "previous": prior, "hash": digest},
    )  # fmt: skip
    return Link(account, number, kind, migration, runs[0], runs[1], sealed_at, hash_basis, volatile,
                rehashed, sections, prior, digest)  # fmt: skip


# The three tables a history digest reads, and what `verify` reads instead when it derives
# the history again (temp views over the rebuilt rows, same columns).
HISTORY_TABLES = ("store.resource_versions", "store.version_changes", "store.unexplained_changes")


# How history_digests.sql takes a version's row digest, and the column holding it as stored
# with the version (migration 0013).
_VERSION_DIGEST = """store.version_digest(
            version, valid_from, valid_to, origin, closed_by, event_id, closed_event_id,
            changed_after, changed_before, name, content_hash, run_id, doc
        )"""


def history_digest_sql(
    tables: tuple[str, str, str] = HISTORY_TABLES, *, stored_digests: bool = False
) -> str:
    """The statement of queries/audit_trail/history_digests.sql, reading `tables`.

    stored_digests: take each version's row digest from the column written with it (sealing
    a load, inside its transaction) instead of hashing the row; `verify` always hashes."""
    (sql,) = statements("audit_trail/history_digests.sql")
    if stored_digests:
        if _VERSION_DIGEST not in sql:
            raise RuntimeError("history_digests.sql: the versions' row digest was not found")
        sql = sql.replace(_VERSION_DIGEST, "sealed_digest")
    for stored, other in zip(HISTORY_TABLES, tables, strict=True):
        sql = sql.replace(stored, other)
    return sql


_DIGEST_BATCH_ROWS = 100_000


def section_digests(
    con: duckdb.DuckDBPyConnection, account: str, ranges: list[tuple[int, int | None, int | None]]
) -> dict[int, dict[str, dict[str, Any]]]:
    """{link: {section: {"rows": n, "sha256": hex}}} for (link, first run, last run) ranges,
    computed from what the store holds now: the row digests stream from DuckDB in order and
    are hashed here, never held whole."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE seal_ranges "
        "(link INTEGER, first_run_id BIGINT, last_run_id BIGINT)"
    )
    try:
        con.executemany("INSERT INTO seal_ranges VALUES (?, ?, ?)", [list(r) for r in ranges])
        hashers: dict[tuple[int, str], tuple[Any, list[int]]] = {}
        (statement,) = statements("audit_trail/sections.sql")
        reader = con.sql(statement, params={"account": account}).to_arrow_reader(_DIGEST_BATCH_ROWS)
        try:
            for batch in reader:
                links, sections, digests = (batch.column(i).to_pylist() for i in range(3))
                for link, section, digest in zip(links, sections, digests, strict=True):
                    found = hashers.get((link, section))
                    if found is None:
                        found = hashers[(link, section)] = (hashlib.sha256(), [0])
                    found[0].update(digest.encode("ascii"))
                    found[1][0] += 1
        finally:
            reader.close()
        result: dict[int, dict[str, dict[str, Any]]] = {}
        for link, *_runs in ranges:
            for section in SECTIONS:
                hasher, count = hashers.get((link, section), (hashlib.sha256(), [0]))
                result.setdefault(link, {})[section] = {"rows": count[0], "sha256": hasher.hexdigest()}
        return result
    finally:
        con.execute("DROP TABLE IF EXISTS temp.seal_ranges")


def _epoch_us(moment: datetime) -> int:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
