"""Shared test fixtures. Tests are hermetic: no FLOWAUDIT_* variable and no config file
from the developer's machine leaks into them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowaudit.load.db import connect
from flowaudit.load.loader import load_staging
from flowaudit.load.migrations import migrate
from flowaudit.load.runs import begin_run
from tests.load.staging import write_staging


@pytest.fixture(autouse=True)
def _hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
):
    for name in list(os.environ):
        if name.startswith("FLOWAUDIT_"):
            monkeypatch.delenv(name, raising=False)
    # Config discovery reads ./flowaudit.toml: run every test from an empty directory.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


# A fresh, migrated store per test, and a helper that runs one load like pipeline.py.


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file, copied for each test (migrating takes ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "flowaudit.duckdb"
    connection = connect(path)
    migrate(connection)
    connection.close()
    return path


@pytest.fixture
def con(tmp_path: Path, migrated_template: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "flowaudit.duckdb"
    shutil.copyfile(migrated_template, path)
    connection = connect(path, file_access=[tmp_path])  # the loader reads its staging areas there
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
        directory = write_staging(
            self.tmp_path / f"staging{self.loads}", account=account, **staging
        )
        mode = "full" if staging.get("audit_from") is None else "incremental"
        run_id = begin_run(self.con, account, mode, "test")
        return load_staging(self.con, directory, run_id)

    def rows(self, query: str, params: dict | None = None) -> list[tuple]:
        return self.con.execute(query, params or {}).fetchall()


@pytest.fixture
def load(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Loader:
    return Loader(con, tmp_path)
