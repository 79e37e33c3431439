"""Two simulated accounts (different seeds and tokens) and an accounts file naming them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from flowaudit.accounts.file import AccountsPlan, plan_accounts
from flowaudit.config import resolve_settings
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.notify.conftest import mailbox  # noqa: F401 (a real SMTP server, for the digests)

TOKENS = {"prod": "prod-tok-1111aaaa2222", "sandbox": "sandbox-tok-3333cccc4444"}
ENV = {"PROD_TOKEN": TOKENS["prod"], "SANDBOX_TOKEN": TOKENS["sandbox"]}
ACCOUNTS_TOML = """
[accounts.prod]
token_env = "PROD_TOKEN"
concurrency = 4

[accounts.sandbox]
token_env = "SANDBOX_TOKEN"
concurrency = 4
"""


class InFlightLog:
    """Requests in flight per account, as the transports saw them."""

    def __init__(self) -> None:
        self.now: dict[str, int] = {}
        self.max_total = 0
        self.both_at_once = False

    def enter(self, label: str) -> None:
        self.now[label] = self.now.get(label, 0) + 1
        self.max_total = max(self.max_total, sum(self.now.values()))
        self.both_at_once |= sum(1 for n in self.now.values() if n) > 1

    def leave(self, label: str) -> None:
        self.now[label] -= 1


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, label: str, log: InFlightLog):
        self.inner, self.label, self.log = inner, label, log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.enter(self.label)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.log.leave(self.label)


@dataclass
class TwoAccounts:
    prod: SimulatedAccount
    sandbox: SimulatedAccount
    log: InFlightLog = field(default_factory=InFlightLog)

    def transports(self) -> dict[str, httpx.AsyncBaseTransport]:
        return {
            "prod": Recording(self.prod.async_transport(), "prod", self.log),
            "sandbox": Recording(self.sandbox.async_transport(), "sandbox", self.log),
        }

    def clock(self):
        return self.prod.now

    def advance(self, hours: float = 24, silent: int = 0) -> None:
        self.prod.advance(hours=hours, silent_changes=silent)
        self.sandbox.advance(hours=hours, silent_changes=silent)


def two_accounts(latency_ms: float = 0, history_days: int = 45) -> TwoAccounts:
    """Two small accounts; a short history keeps reports and daily lake partitions few."""
    options = SimulatorOptions(latency_ms=latency_ms, history_days=history_days)
    return TwoAccounts(
        SimulatedAccount.generate("small", seed=1, token=TOKENS["prod"], options=options),
        SimulatedAccount.generate("small", seed=2, token=TOKENS["sandbox"], options=options),
    )


def make_plan(
    folder: Path,
    *,
    env: dict[str, str] | None = None,
    db_per_account: Path | None = None,
    text: str = ACCOUNTS_TOML,
    settings: dict | None = None,
) -> AccountsPlan:
    path = folder / "accounts.toml"
    path.write_text(text)
    base = resolve_settings(
        {"db": folder / "all.duckdb", "out": folder / "reports", **(settings or {})}, environ={}
    )
    return plan_accounts(path, base, environ=env or ENV, db_per_account=db_per_account)


@pytest.fixture
def accounts() -> TwoAccounts:
    return two_accounts()
