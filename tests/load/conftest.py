"""A fresh, migrated store per test, and a helper that runs one load like pipeline.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowaudit.load.migrations import migrate
from flowaudit.load.runs import begin_run
from flowaudit.load.save import load_staging

from .staging import write_staging


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file, copied for each test (migrating takes ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "flowaudit.duckdb"
    connection = duckdb.connect(str(path))
    migrate(connection)
    connection.close()
    return path


@pytest.fixture
def con(tmp_path: Path, migrated_template: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "flowaudit.duckdb"
    shutil.copyfile(migrated_template, path)
    connection = duckdb.connect(str(path))
    yield connection
    connection.close()


class Loader:
    """Runs begin_run + load_staging for one staging area written from keyword arguments."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tmp_path: Path):
        self.con = con
        self.tmp_path = tmp_path
        self.loads = 0

    def __call__(self, *, account: str = "default", **staging: Any) -> dict[str, Any]:
        self.loads += 1
        directory = write_staging(self.tmp_path / f"staging{self.loads}", account=account, **staging)
        mode = "full" if staging.get("audit_from") is None else "incremental"
        run_id = begin_run(self.con, account, mode, "test")
        return load_staging(self.con, directory, run_id)

    def rows(self, query: str, params: dict | None = None) -> list[tuple]:
        return self.con.execute(query, params or {}).fetchall()


@pytest.fixture
def load(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Loader:
    return Loader(con, tmp_path)
