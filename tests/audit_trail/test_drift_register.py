"""The drift register: a change made with no audit record opens an item; it stays open
until someone accepts it (who, when, why) or the field returns to its earlier value, which
the next run finds by itself."""

from __future__ import annotations

import getpass
from datetime import timedelta
from pathlib import Path

import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.documents.paths import MISSING
from flowaudit.errors import ExitCode
from flowaudit.load.db import connect
from flowaudit.load.versions import Hashers, rebuild_all
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.store import KIND_OF_TYPE
from tests.audit_trail.cli import run_cli
from tests.pipeline.helpers import extract, query


def _register(db: Path) -> list[tuple]:
    return query(
        db,
        "SELECT item, status, resource_id, field_path, reverted_event_id, reverted_by FROM drift_register ORDER BY item",
    )


def _revert(account: SimulatedAccount, silent: dict) -> None:
    """Someone puts the field back through the UI (an audited change), just before the next run."""
    kind = KIND_OF_TYPE[silent["resourceType"]]
    changes = [(c["fieldPath"], c.get("oldValue", MISSING)) for c in silent["fieldChanges"]]
    with account.lock:
        account.store.update(kind, silent["_resourceId"], changes, account.now_ms - 30_000, 1, "ui")
        account.store.audit.flush()


def test_a_silent_change_opens_an_item_that_a_revert_closes(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=8)
    db = tmp_path / "a.duckdb"
    extract(db, account)
    account.advance(hours=24, silent_changes=1)
    extract(db, account)
    (silent,) = account.silent_change_log
    (item,) = _register(db)
    assert item[1:4] == ("open", silent["_resourceId"], silent["fieldChanges"][0]["fieldPath"])
    age = query(db, "SELECT age_days, changed_before FROM drift_register")[0]
    assert age[0] == 0.0  # found by the newest run: open for no time yet

    account.advance(hours=2)
    _revert(account, silent)
    extract(db, account)
    (item,) = _register(db)
    assert item[1] == "reverted"
    revert = query(
        db, "SELECT event_id, user_email FROM audit_events WHERE resource_id = ? ORDER BY time DESC LIMIT 1",
        [silent["_resourceId"]],
    )[0]  # fmt: skip
    assert item[4:] == revert
    # The revert is not a new difference: the register holds one item, closed.
    assert query(db, "SELECT count(*) FROM drift_register WHERE status = 'open'") == [(0,)]


@pytest.fixture
def open_item(db: Path) -> int:
    (item, status, *_rest) = _register(db)[0]
    assert status == "open"
    return item


def test_accepting_an_item_records_who_when_and_why(db: Path, open_item: int, capsys):
    outcome = run_cli(capsys, "drift", "accept", str(open_item), "--note", "CHG-77: hotfix, approved afterwards",
                      "--by", "Alice Auditor", "--db", str(db))  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    assert (
        outcome.stdout
        == f"item {open_item} accepted by Alice Auditor: CHG-77: hotfix, approved afterwards\n"
    )
    status, by, note, accepted_at = query(
        db,
        "SELECT status, accepted_by, note, accepted_at FROM drift_register WHERE item = ?",
        [open_item],
    )[0]
    assert (status, by, note) == (
        "accepted",
        "Alice Auditor",
        "CHG-77: hotfix, approved afterwards",
    )
    assert accepted_at is not None
    listed = run_cli(capsys, "drift", "list", "--open", "--db", str(db))
    assert listed.stdout.splitlines()[0].startswith("item\tstatus\tage_days")
    assert len(listed.stdout.splitlines()) == 1, "no open item is left"
    every = run_cli(capsys, "drift", "list", "--db", str(db)).stdout.splitlines()
    assert every[1].split("\t")[:2] == [str(open_item), "accepted"] and every[1].endswith(
        "CHG-77: hotfix, approved afterwards"
    )


def test_the_operating_system_user_accepts_when_no_one_is_named(db: Path, open_item: int, capsys):
    run_cli(capsys, "drift", "accept", str(open_item), "--note", "known", "--db", str(db))
    assert query(db, "SELECT accepted_by FROM drift_register WHERE item = ?", [open_item]) == [
        (getpass.getuser(),)
    ]


def test_an_unknown_or_closed_item_cannot_be_accepted(db: Path, open_item: int, capsys):
    run_cli(capsys, "drift", "accept", str(open_item), "--note", "known", "--db", str(db))
    again = run_cli(capsys, "drift", "accept", str(open_item), "--note", "again", "--db", str(db))
    assert (
        again.code == ExitCode.USAGE and f"item {open_item} is accepted, not open" in again.stderr
    )
    unknown = run_cli(capsys, "drift", "accept", "999", "--note", "x", "--db", str(db))
    assert unknown.code == ExitCode.USAGE and "no drift register item 999" in unknown.stderr
    blank = run_cli(capsys, "drift", "accept", str(open_item), "--note", "  ", "--db", str(db))
    assert blank.code == ExitCode.USAGE and "--note must say why" in blank.stderr


def test_items_keep_their_numbers_when_the_whole_history_is_rebuilt(db: Path, open_item: int):
    before = query(
        db, "SELECT item, status, resource_id, field_path, changed_before FROM drift_register"
    )
    con = connect(db)
    from flowaudit.audit_trail.drift_register import sync_register

    rebuild_all(con, db.parent, Hashers(DEFAULT_VOLATILE_FIELDS), account="default")
    counts = sync_register(con, "default")
    con.close()
    assert counts["new_items"] == 0
    assert (
        query(
            db, "SELECT item, status, resource_id, field_path, changed_before FROM drift_register"
        )
        == before
    )


def test_open_items_grow_older_with_every_run(db: Path, open_item: int, three_nights):
    found = query(db, "SELECT changed_before FROM drift_register WHERE item = ?", [open_item])[0][0]
    newest = query(db, "SELECT max(observed_at) FROM runs WHERE status = 'succeeded'")[0][0]
    age = query(db, "SELECT age_days FROM drift_register WHERE item = ?", [open_item])[0][0]
    assert age == round((newest - found) / timedelta(days=1), 1) and age > 0
