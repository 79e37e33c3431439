"""One database of two simulated accounts after two nights, exported once into a lake
(shared by the session's tests, which copy it before changing anything: the first
export of its daily partitions takes seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flowaudit.accounts.file import AccountsPlan
from flowaudit.accounts.runner import extract_accounts
from flowaudit.lake.export import ExportResult, export_lake
from tests.accounts.conftest import TwoAccounts, make_plan, two_accounts


@dataclass
class Exported:
    folder: Path
    accounts: TwoAccounts
    plan: AccountsPlan
    lake: Path
    first: ExportResult

    @property
    def db(self) -> Path:
        return self.folder / "all.duckdb"

    def night(self, silent: int = 1) -> None:
        """A simulated day, then a run of both accounts."""
        self.accounts.advance(hours=24, silent=silent)
        outcomes = extract_accounts(
            self.plan, transports=self.accounts.transports(), wall_clock=self.accounts.clock
        )
        assert all(o.error is None for o in outcomes), [o.summary() for o in outcomes]


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    folder = tmp_path_factory.mktemp("lake")
    accounts = two_accounts()
    plan = make_plan(folder)
    state = Exported(folder, accounts, plan, folder / "lake", None)  # type: ignore[arg-type]
    outcomes = extract_accounts(plan, transports=accounts.transports(), wall_clock=accounts.clock)
    assert all(o.error is None for o in outcomes)
    state.night()
    state.first = export_lake(state.db, state.lake)
    return state
