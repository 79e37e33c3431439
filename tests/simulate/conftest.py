"""Simulator fixtures: a shared read-only small account, and fresh ones for tests that write."""

from __future__ import annotations

import httpx
import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions

# Read-only tests share one account; a huge bucket keeps the rate limit out of their way.
ROOMY = SimulatorOptions(burst=1_000_000, refill_per_second=1_000_000.0)


@pytest.fixture(scope="session")
def shared_account() -> SimulatedAccount:
    return SimulatedAccount.generate(size="small", seed=1, token="demo", options=ROOMY)


@pytest.fixture
def account() -> SimulatedAccount:
    return SimulatedAccount.generate(size="small", seed=3, token="demo", options=ROOMY)


def client_for(account: SimulatedAccount, token: str | None = "demo") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.Client(transport=account.transport(), base_url=account.base_url, headers=headers)


@pytest.fixture
def client(shared_account: SimulatedAccount):
    with client_for(shared_account) as c:
        yield c


def next_link(response: httpx.Response) -> str | None:
    links = response.links
    return links.get("next", {}).get("url")


def page_all(c: httpx.Client, path: str, params: dict | None = None) -> tuple[list[dict], int]:
    """Every item of a listing, following Link rel=next as an opaque URL; and the page count."""
    items: list[dict] = []
    response = c.get(path, params=params)
    pages = 1
    while True:
        assert response.status_code == 200, response.text
        items.extend(response.json())
        url = next_link(response)
        if url is None:
            return items, pages
        response = c.get(url)
        pages += 1
