"""Tamper evidence: every run seals what it loaded in a hash chain, and `flowaudit verify`
recomputes it. An untouched database verifies; an UPDATE or DELETE made with plain duckdb
on a stored audit record, field change, observation, run or version is caught, and the
first run whose content no longer matches is named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from flowaudit.audit_trail.chain import GENESIS_PREVIOUS, SECTIONS, links, section_digests
from flowaudit.audit_trail.verify import verify_account
from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.errors import ExitCode
from flowaudit.load.db import connect, statements
from flowaudit.load.migrations import migrate
from tests.audit_trail.cli import run_cli
from tests.audit_trail.conftest import Nights
from tests.pipeline.helpers import extract, query


def _tamper(db: Path, *statements: str) -> None:
    """What someone with the file and any DuckDB client can do."""
    con = duckdb.connect(str(db))
    for statement in statements:
        con.execute(statement)
    con.close()


def _verify(db: Path, *, rederive: bool = True):
    con = connect(db, read_only=True)
    try:
        return verify_account(con, "default", rederive=rederive)
    finally:
        con.close()


def test_an_untouched_database_verifies_after_several_runs(db: Path, capsys):
    outcome = run_cli(capsys, "verify", "--db", str(db))
    assert outcome.code == ExitCode.OK, outcome.stderr
    assert "account default: hash chain intact: 3 link(s)" in outcome.stdout
    assert "the chain starts at run 1" in outcome.stdout


def test_each_run_is_one_link_chained_to_the_previous_one(db: Path):
    con = connect(db, read_only=True)
    chain = links(con, "default")
    con.close()
    assert [(link.link, link.kind, link.first_run_id, link.last_run_id) for link in chain] == [
        (1, "run", 1, 1), (2, "run", 2, 2), (3, "run", 3, 3),
    ]  # fmt: skip
    assert chain[0].previous == GENESIS_PREVIOUS
    assert [link.previous for link in chain[1:]] == [link.hash for link in chain[:-1]]
    assert all(link.computed_hash() == link.hash for link in chain)
    assert all(set(link.sections) == set(SECTIONS) for link in chain)
    # What each link seals is what its run stored.
    for link in chain:
        records = query(
            db,
            "SELECT count(*) FROM store.audit_records WHERE first_run_id = ?",
            [link.first_run_id],
        )
        assert link.sections["audit_records"]["rows"] == records[0][0]
        assert link.sections["runs"]["rows"] == 1


FIRST_FLOW = "(SELECT min(resource_id) FROM store.resource_versions WHERE resource_type = 'flow')"
NEWEST_RECORD = "(SELECT max(event_id) FROM store.audit_records WHERE first_run_id = 3)"
OLDEST_RECORD = "(SELECT min(event_id) FROM store.audit_records)"
A_CHANGE = "(SELECT min(event_id) FROM store.audit_field_changes)"

TAMPERING = {
    "update an audit record": (
        [f"UPDATE store.audit_records SET user_email = 'mallory@example.com' WHERE event_id = {NEWEST_RECORD}"],
        "run 3 (link 3): the audit records it stored",
    ),
    "delete an audit record": (
        [f"DELETE FROM store.audit_field_changes WHERE event_id = {OLDEST_RECORD}",
         f"DELETE FROM store.audit_records WHERE event_id = {OLDEST_RECORD}"],
        "run 1 (link 1): the audit records it stored",
    ),
    "update a field change": (
        [f"UPDATE store.audit_field_changes SET new_value = '\"x\"' WHERE event_id = {A_CHANGE} AND position = 0"],
        "the field changes of those records",
    ),
    "delete a field change": (
        [f"DELETE FROM store.audit_field_changes WHERE event_id = {A_CHANGE}"],
        "the field changes of those records",
    ),
    "update a version": (
        [f"UPDATE store.resource_versions SET doc = json_merge_patch(doc, '{{\"disabled\": true}}') "
         f"WHERE resource_id = {FIRST_FLOW} AND version = 1"],
        "the stored history of flow",
    ),
    "update a version's author": (
        [f"UPDATE store.resource_versions SET name = 'renamed' WHERE resource_id = {FIRST_FLOW}"],
        "the stored history of flow",
    ),
    "delete a version": (
        [f"DELETE FROM store.resource_versions WHERE resource_id = {FIRST_FLOW} AND version = 1"],
        "the stored history of flow",
    ),
    "delete a whole history": (
        [f"DELETE FROM store.resource_versions WHERE resource_id = {FIRST_FLOW}",
         f"DELETE FROM store.version_changes WHERE resource_id = {FIRST_FLOW}"],
        "the stored history of flow",
    ),
    "delete an unexplained change": (
        ["DELETE FROM store.unexplained_changes"],
        "(link 2): the stored history of",
    ),
    "update an observation": (
        ["UPDATE store.observations SET doc = json_merge_patch(doc, '{\"name\": \"x\"}') "
         "WHERE rowid = (SELECT min(rowid) FROM store.observations WHERE first_run_id = 1)"],
        "run 1 (link 1): the observations it stored",
    ),
    "mark a run's audit window complete": (
        ["UPDATE store.audit_windows SET records = records + 1 WHERE run_id = 2"],
        "run 2 (link 2): the audit windows it read",
    ),
    "rewrite a run record": (
        ["UPDATE store.runs SET requests = requests + 1 WHERE run_id = 3"],
        "run 3 (link 3): the run rows",
    ),
    "rewrite a link": (
        ["UPDATE store.hash_chain SET sections = json_merge_patch(sections, "
         "'{\"audit_records\": {\"rows\": 0}}') WHERE link = 2"],
        "run 2 (link 2): its link was changed after it was sealed",
    ),
    "cut the chain": (
        ["DELETE FROM store.hash_chain WHERE link = 3"],
        "run 3 is recorded as succeeded but no link seals it",
    ),
}  # fmt: skip


@pytest.mark.parametrize("statements, named", TAMPERING.values(), ids=list(TAMPERING))
def test_verify_catches_a_change_made_with_plain_duckdb(
    db: Path, statements: list[str], named: str
):
    _tamper(db, *statements)
    # The seals name these without deriving the history again (the slow half of verify,
    # tested on its own below).
    report = _verify(db, rederive=False)
    assert not report.intact
    messages = [problem.message for problem in report.problems]
    assert any(named in message for message in messages), messages


def test_verify_exits_with_its_code_and_one_line_naming_the_run_after_an_update(db: Path, capsys):
    _tamper(db, f"UPDATE store.audit_records SET raw = '{{}}' WHERE event_id = {NEWEST_RECORD}")
    outcome = run_cli(capsys, "verify", "--db", str(db))
    assert outcome.code == ExitCode.TAMPERED
    assert outcome.stderr.count("\n") == 1 and outcome.stderr.startswith(
        "flowaudit: error: account default: "
    )
    assert (
        "run 3 (link 3): the audit records it stored no longer match what it sealed"
        in outcome.stderr
    )
    assert "hash chain BROKEN" in outcome.stdout


def test_verify_exits_with_its_code_after_a_delete_of_a_version(db: Path, capsys):
    _tamper(
        db, f"DELETE FROM store.resource_versions WHERE resource_id = {FIRST_FLOW} AND version = 2"
    )
    outcome = run_cli(capsys, "verify", "--db", str(db))
    assert outcome.code == ExitCode.TAMPERED
    assert "the stored history of flow" in outcome.stderr and "Traceback" not in outcome.stderr


def test_a_history_changed_and_resealed_by_hand_is_caught_by_deriving_it_again(db: Path):
    # The seal of the newest link is rewritten to match the tampered version: only deriving
    # the history again from the records and observations shows it.
    _tamper(
        db, f"UPDATE store.resource_versions SET name = 'renamed' WHERE resource_id = {FIRST_FLOW}"
    )
    con = connect(db)
    from flowaudit.audit_trail.chain import history_digest_sql

    con.execute(
        f"CREATE TEMP TABLE seal_keys AS SELECT 'flow' AS resource_type, {FIRST_FLOW} AS resource_id"
    )
    (digest,) = con.execute(
        f"SELECT sha256 FROM ({history_digest_sql()})", {"account": "default"}
    ).fetchall()[0:1][0][0:1]
    con.execute(
        f"UPDATE store.history_seals SET sha256 = ? WHERE resource_id = {FIRST_FLOW} "
        f"AND link = (SELECT max(link) FROM store.history_seals WHERE resource_id = {FIRST_FLOW})",
        [digest],
    )
    con.close()
    report = _verify(db)
    assert any(
        "is not what its audit records and observations give" in p.message for p in report.problems
    )


def test_a_head_recorded_earlier_is_found_and_a_foreign_one_is_not(db: Path, capsys):
    first = query(db, "SELECT hash FROM hash_chain WHERE link = 1")[0][0]
    quick = run_cli(capsys, "verify", "--db", str(db), "--head", first, "--no-rederive")
    assert (
        quick.code == ExitCode.OK
        and "the history was not derived again (--no-rederive)" in quick.stdout
    )
    outcome = run_cli(capsys, "verify", "--db", str(db), "--head", "ab" * 32)
    assert outcome.code == ExitCode.TAMPERED
    assert "not in its chain" in outcome.stderr or "no link has the hash" in outcome.stdout


def test_later_runs_that_rebuild_old_versions_keep_the_chain_intact(db: Path, three_nights: Nights):
    # Two more nights: every load rebuilds the histories it touches, some sealed by earlier
    # runs (the chain seals the history as each load left it, not per version).
    account = three_nights.account
    for _ in range(2):
        account.advance(hours=24, silent_changes=1)
        extract(db, account)
    rebuilt = query(
        db,
        "SELECT count(*) FROM (SELECT resource_type, resource_id FROM store.history_seals "
        "GROUP BY ALL HAVING count(*) > 1)",
    )[0][0]
    assert rebuilt > 0, "some resource was sealed by several loads"
    report = _verify(db)
    assert report.intact, report.lines()
    assert len(report.chain) == 5


def test_each_version_is_stored_with_the_row_digest_its_seal_takes(db: Path, three_nights: Nights):
    """A load seals the versions it kept with the digests stored with them (not hashing
    their documents again); those are exactly the rows' digests, after nights that rebuilt
    old versions, and a document changed by hand is still caught: verify hashes the rows."""
    account = three_nights.account
    account.advance(hours=24, silent_changes=1)
    extract(db, account)
    differing = query(db, "SELECT count(*), count(*) FILTER (WHERE sealed_digest IS DISTINCT FROM "
                          "store.version_digest(version, valid_from, valid_to, origin, closed_by, event_id, "
                          "closed_event_id, changed_after, changed_before, name, content_hash, run_id, doc)) "
                          "FROM store.resource_versions")  # fmt: skip
    assert differing[0][0] > 0 and differing[0][1] == 0
    _tamper(db, "UPDATE store.resource_versions SET doc = '{\"name\": \"tampered\"}' "
                "WHERE rowid = (SELECT min(rowid) FROM store.resource_versions)")  # fmt: skip
    account.advance(hours=24, silent_changes=0)
    extract(db, account)  # a night after the change does not seal it as if it were true
    report = _verify(db, rederive=False)
    assert not report.intact


def test_a_new_volatile_fields_setting_rehashes_and_the_chain_still_verifies(
    db: Path, three_nights: Nights
):
    extract(db, three_nights.account, volatile_fields=[*DEFAULT_VOLATILE_FIELDS, "description"])
    report = _verify(db)
    assert report.intact, report.lines()
    assert report.chain[-1].rehashed
    assert (
        json.loads(
            query(
                db, "SELECT CAST(volatile_fields AS VARCHAR) FROM store.hash_chain WHERE link = 4"
            )[0][0]
        )[-1]
        == "description"
    )


def test_a_database_from_before_the_chain_gets_its_first_link_from_the_migration(
    db: Path, capsys, three_nights
):
    # Write back schema 0007: the chain and the rest of migration 0008 never existed.
    con = connect(db)
    for table in ("hash_chain", "history_seals", "rules", "approvals", "drift_items"):
        con.execute(f"DROP TABLE store.{table}")
    con.execute("DROP MACRO store.sealed")
    con.execute("ALTER TABLE store.runs DROP COLUMN api_url")
    con.execute("DELETE FROM store.schema_migrations WHERE name = '0008_evidence'")
    con.execute("DELETE FROM store.meta WHERE key = 'views_digest'")
    migrate(con)
    con.close()
    chain = query(db, "SELECT link, kind, migration, first_run_id, last_run_id FROM hash_chain")
    assert chain == [(1, "migration", "0008_evidence", 1, 3)]
    outcome = run_cli(capsys, "verify", "--db", str(db))
    assert outcome.code == ExitCode.OK, outcome.stdout
    assert "the chain starts at migration 0008_evidence" in outcome.stdout
    assert "runs 1–3, loaded before it, sealed together by its first link" in outcome.stdout
    # The next run continues the chain; tampering with what the migration sealed is named so.
    extract(db, three_nights.account)
    assert _verify(db).intact
    _tamper(db, f"UPDATE store.audit_records SET user_name = 'x' WHERE event_id = {OLDEST_RECORD}")
    messages = [p.message for p in _verify(db).problems]
    assert any(m.startswith("link 1 (migration 0008_evidence, runs 1–3)") for m in messages), (
        messages
    )


def test_verify_without_an_account_checks_every_account(db: Path, capsys, three_nights):
    from flowaudit.config import resolve_settings
    from flowaudit.pipeline import run_extract

    simulated = three_nights.account
    settings = resolve_settings(
        {"db": db, "api_url": simulated.base_url, "account": "sandbox"},
        environ={"FLOWAUDIT_TOKEN": simulated.token},
    )
    run_extract(settings, transport=simulated.async_transport(), wall_clock=lambda: simulated.now)
    outcome = run_cli(capsys, "verify", "--db", str(db))
    assert outcome.code == ExitCode.OK
    assert "account default: hash chain intact" in outcome.stdout
    assert "account sandbox: hash chain intact: 1 link(s)" in outcome.stdout
    only = run_cli(capsys, "verify", "--db", str(db), "--account", "sandbox")
    assert "account default" not in only.stdout


def test_section_digests_hashed_as_they_stream_are_the_ordered_aggregate_of_the_row_digests(db: Path):
    """The seal's digests stream from DuckDB and are hashed in order (the whole first load's
    row digests never sit in memory); they equal the SHA-256 of the row digests
    concatenated in the section's order, as one ordered aggregate writes it."""
    con = connect(db)
    try:
        ranges = [(link.link, link.first_run_id, link.last_run_id) for link in links(con, "default")]
        streamed = section_digests(con, "default", ranges)
        (statement,) = statements("audit_trail/sections.sql")
        aggregate = statement[: statement.rindex("SELECT link, section, h")] + (
            "SELECT link, section, count(*), sha256(string_agg(h, '' ORDER BY k1, k2, k3, h)) "
            "FROM by_link GROUP BY link, section"
        )
        con.execute("CREATE TEMP TABLE seal_ranges (link INTEGER, first_run_id BIGINT, last_run_id BIGINT)")
        con.executemany("INSERT INTO seal_ranges VALUES (?, ?, ?)", [list(r) for r in ranges])
        expected = {(link, section): (rows, digest)
                    for link, section, rows, digest in con.execute(aggregate, {"account": "default"}).fetchall()}  # fmt: skip
    finally:
        con.close()
    assert len(ranges) >= 3 and expected
    for link, *_runs in ranges:
        for section in SECTIONS:
            rows, digest = expected.get((link, section), (0, hashlib.sha256(b"").hexdigest()))
            assert streamed[link][section] == {"rows": rows, "sha256": digest}, (link, section)
