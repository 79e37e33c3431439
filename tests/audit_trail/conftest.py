"""A simulated account over three nights (one change made with no audit record), extracted
once per session; each test works on its own copy of the database."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import extract


@dataclass
class Nights:
    db: Path
    account: SimulatedAccount


@pytest.fixture(scope="session")
def three_nights(tmp_path_factory: pytest.TempPathFactory) -> Nights:
    db = tmp_path_factory.mktemp("three-nights") / "a.duckdb"
    account = SimulatedAccount.generate("small", seed=5)
    extract(db, account)
    account.advance(hours=24, silent_changes=1)
    extract(db, account)
    account.advance(hours=24)
    extract(db, account)
    return Nights(db, account)


@pytest.fixture
def db(three_nights: Nights, tmp_path: Path) -> Path:
    """A copy of the three nights' database for one test."""
    copy = tmp_path / "a.duckdb"
    shutil.copyfile(three_nights.db, copy)
    return copy
