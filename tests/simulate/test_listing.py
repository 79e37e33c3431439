"""Contract of the list endpoints, get by id, tokenInfo and authentication."""

from __future__ import annotations

import base64

import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.simulate.conftest import ROOMY, client_for, next_link, page_all

KINDS = ["integrations", "flows", "exports", "imports", "connections"]


@pytest.mark.parametrize("kind", KINDS)
def test_paging_to_the_end_returns_every_resource_once(shared_account, client, kind):
    items, pages = page_all(client, f"/{kind}", {"limit": 7})
    ids = [item["_id"] for item in items]
    assert len(ids) == len(set(ids))
    assert ids == [doc["_id"] for doc in shared_account.resources(kind)]
    assert pages == -(-len(ids) // 7)


def test_a_list_is_a_bare_array_with_an_absolute_link_to_an_opaque_cursor(client):
    response = client.get("/flows", params={"limit": 5})
    assert response.headers["content-type"].startswith("application/json")
    assert isinstance(response.json(), list) and len(response.json()) == 5
    link = response.headers["link"]
    assert link.startswith("<https://api.integrator.io/v1/flows?") and link.endswith('>; rel="next"')
    url = next_link(response)
    assert "skip=" not in url and "after=" in url


def test_the_link_rel_can_be_unquoted():
    account = SimulatedAccount.generate("small", options=SimulatorOptions(link_rel_quoted=False))
    with client_for(account) as c:
        assert c.get("/flows", params={"limit": 5}).headers["link"].endswith(">; rel=next")


def test_limit_defaults_to_100_and_is_capped_at_1000(client, shared_account):
    assert len(client.get("/imports").json()) == min(100, len(shared_account.resources("imports")))
    assert client.get("/imports", params={"limit": 5000}).status_code == 200
    for bad in ("0", "-3", "ten"):
        response = client.get("/flows", params={"limit": bad})
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "invalid_query_params"


def test_a_forged_cursor_is_refused(client):
    forged = base64.urlsafe_b64encode(b"exports:abc").decode()
    response = client.get("/flows", params={"after": forged})
    assert response.status_code == 400


def test_an_account_without_flows_answers_204_with_no_body():
    account = SimulatedAccount.generate("small", options=ROOMY)
    with client_for(account) as c:
        for flow in account.resources("flows"):
            assert c.delete(f"/flows/{flow['_id']}").status_code == 204
        response = c.get("/flows")
    assert response.status_code == 204 and response.content == b""


def test_get_by_id_returns_the_listed_document(client, shared_account):
    flow = shared_account.resources("flows")[3]
    response = client.get(f"/flows/{flow['_id']}")
    assert response.status_code == 200 and response.json() == flow


@pytest.mark.parametrize("rid", ["0123456789abcdef01234567", "not-an-id"])
def test_an_unknown_id_is_404_in_the_error_envelope(client, rid):
    response = client.get(f"/exports/{rid}")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "not_found", "message": "Export not found."}]}


def test_token_info_names_the_token_user(client, shared_account):
    body = client.get("/tokenInfo").json()
    assert body == {"_userId": shared_account.users[0]["_id"], "scope": "*"}


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_missing_or_wrong_token_is_401(shared_account, token):
    with client_for(shared_account, token) as c:
        response = c.get("/flows")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == "unauthorized" and "demo" not in response.text


def test_forbidden_tokens_and_kinds_get_403_with_the_configured_code():
    options = SimulatorOptions(forbidden_tokens=("readonly",), forbidden_kinds=("connections",),
                               forbidden_code="access_restricted")  # fmt: skip
    account = SimulatedAccount.generate("small", options=options)
    with client_for(account, "readonly") as c:
        assert c.get("/flows").status_code == 403
    with client_for(account) as c:
        response = c.get("/connections")
        assert c.get("/flows").status_code == 200
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "access_restricted"


def test_connections_come_back_with_secrets_masked(shared_account):
    secrets = 0
    for connection in shared_account.resources("connections"):
        for block in ("http", "rest", "netsuite", "salesforce", "ftp"):
            settings = connection.get(block, {})
            for key in ("bearerToken", "tokenId", "tokenSecret", "refreshToken", "password"):
                if key in settings:
                    assert settings[key] == "******"
                    secrets += 1
            if "auth" in settings:
                assert settings["auth"]["token"]["token"] == "******"
                secrets += 1
    assert secrets >= len(shared_account.resources("connections"))


def test_every_answer_carries_the_simulated_date(client):
    assert client.get("/flows").headers["date"] == "Sun, 01 Nov 2026 02:00:00 GMT"
    assert client.get("/nothing-here").headers["date"] == "Sun, 01 Nov 2026 02:00:00 GMT"
