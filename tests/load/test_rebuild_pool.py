"""A history rebuilt by worker processes is the history rebuilt in the loading process, row
for row; a worker that cannot write fails the rebuild with one line and leaves no process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flowaudit.config import DEFAULT_VOLATILE_FIELDS
from flowaudit.errors import DatabaseError
from flowaudit.load import versions
from flowaudit.load.db import connect
from flowaudit.load.rebuild_pool import RebuildPool
from flowaudit.load.versions import Hashers, rebuild_all
from flowaudit.simulate import SimulatedAccount
from tests.load.test_incremental_equals_rebuild import _kept
from tests.pipeline.helpers import extract


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small account over three nights (renames, deletions, silent changes)."""
    db = tmp_path_factory.mktemp("pool") / "a.duckdb"
    account = SimulatedAccount.generate("small", seed=5)
    extract(db, account)
    for night in range(2):
        account.advance(hours=24, silent_changes=night + 1)
        extract(db, account)
    return db


def _rebuilt(source: Path, work: Path, monkeypatch: pytest.MonkeyPatch, *, workers: bool) -> dict:
    work.mkdir()
    db = work / "copy.duckdb"
    shutil.copyfile(source, db)
    monkeypatch.setattr(versions, "MIN_ROWS_FOR_WORKERS", 0 if workers else 10**12)
    con = connect(db)
    try:
        rebuild_all(con, work, Hashers(DEFAULT_VOLATILE_FIELDS), account="default")
        return _kept(con)
    finally:
        con.close()


def test_workers_rebuild_the_same_history_as_one_process(loaded: Path, tmp_path: Path, monkeypatch):
    alone = _rebuilt(loaded, tmp_path / "alone", monkeypatch, workers=False)
    shared = _rebuilt(loaded, tmp_path / "shared", monkeypatch, workers=True)
    assert alone["versions"] and alone["unexplained_changes"] and alone["flow_steps"]
    assert shared == alone
    assert not list((tmp_path / "shared").glob(".rebuilt-*"))  # the workers' files are gone


def test_a_worker_that_cannot_write_fails_the_rebuild_with_one_line(loaded: Path, tmp_path: Path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    con = connect(loaded)
    try:
        con.execute("BEGIN")
        con.execute(
            "CREATE TEMP TABLE touched AS SELECT DISTINCT resource_type, resource_id FROM store.observations"
        )
        pool = RebuildPool(not_a_folder, tuple(DEFAULT_VOLATILE_FIELDS), processes=2)
        started = list(pool.processes)
        with (
            pytest.raises(DatabaseError, match=r"cannot rebuild the history: .*file") as failure,
            pool,
        ):
            versions.rebuild(
                con, tmp_path, Hashers(DEFAULT_VOLATILE_FIELDS), account="default", pool=pool
            )
        assert "\n" not in str(failure.value)
        assert all(process.poll() is not None for process in started)  # no worker left behind
    finally:
        con.execute("ROLLBACK")
        con.close()
