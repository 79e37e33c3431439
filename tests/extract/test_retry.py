"""The retry policy: what is retried, how long it waits, when it gives up, and that no
message it produces holds the token."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from flowaudit.errors import ApiContractError, ApiUnavailableError, AuthError, ConfigError
from flowaudit.extract import ApiClient, NotFoundError
from flowaudit.extract.retry import RetryPolicy, parse_retry_after
from flowaudit.secrets import Secret
from tests.extract.fakes import (
    BASE,
    TOKEN,
    FakeApi,
    FakeTime,
    json_response,
    records,
    run,
    with_client,
)

FLOWS = httpx.URL(f"{BASE}/flows?limit=1000")


def get(api: FakeApi, time: FakeTime | None = None, **options):
    async def action(client):
        answer = await client.get(FLOWS)
        return answer, client.counters()

    return run(with_client(api, action, time, **options))


def sequence(*answers):
    """A fake API giving these answers in turn (an exception instance is raised)."""
    remaining = iter(answers)

    def handler(request):
        answer = next(remaining)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return FakeApi(handler)


def test_a_429_waits_the_retry_after_seconds_then_succeeds():
    time = FakeTime()
    api = sequence(
        json_response({"errors": [{"code": "rate_limited"}]}, status=429, **{"Retry-After": "2"}),
        json_response(records("a")),
    )
    answer, counters = get(api, time)
    assert [r["_id"] for r in answer.body] == ["a"]
    # The Retry-After (plus at most 250 ms of jitter), then one token's worth of the rate.
    assert 2.0 <= time.waits[0] <= 2.25 and sum(time.waits) <= 2.25 + 1 / 1000
    assert counters["retries"] == 1 and counters["by_status"] == {"200": 1, "429": 1}


def test_a_retry_after_given_as_an_http_date_is_honoured():
    server_now = datetime(2026, 11, 28, 2, 0, 0, tzinfo=UTC)
    time = FakeTime()
    api = sequence(
        json_response(
            [], status=429,
            **{"Retry-After": format_datetime(server_now + timedelta(seconds=7), usegmt=True),
               "Date": format_datetime(server_now, usegmt=True)},
        ),
        json_response([]),
    )  # fmt: skip
    get(api, time)
    assert 7.0 <= sum(time.waits) <= 7.25


def test_retry_after_parsing_accepts_seconds_and_dates_and_ignores_garbage():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("3", now=now) == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_with_backoff(status):
    time = FakeTime()
    api = sequence(
        json_response({}, status=status), json_response({}, status=status), json_response([])
    )
    _, counters = get(api, time)
    assert counters["requests"] == 3 and counters["retries"] == 2
    assert len(time.waits) == 2


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.WriteError("broken pipe"),
    ],
)
def test_transport_errors_are_retried(error):
    _, counters = get(sequence(error, json_response(records("a"))))
    assert counters["requests"] == 2 and counters["retries"] == 1


def test_attempts_are_bounded_and_the_error_names_the_request_not_the_token():
    api = FakeApi(lambda request: json_response({}, status=503))
    with pytest.raises(ApiUnavailableError) as info:
        get(api, max_attempts=4)
    message = str(info.value)
    assert len(api.requests) == 4
    assert (
        message == "giving up on GET /v1/flows?limit=1000 after 4 attempts; last failure: HTTP 503"
    )
    assert TOKEN not in message


def test_a_transport_error_that_names_the_token_is_scrubbed_from_the_message():
    api = FakeApi(
        lambda request: (_ for _ in ()).throw(httpx.ConnectError(f"bad auth Bearer {TOKEN}"))
    )
    with pytest.raises(ApiUnavailableError) as info:
        get(api, max_attempts=2)
    assert TOKEN not in str(info.value)
    assert "ConnectError" in str(info.value)


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_fails_at_once_without_retrying(status):
    api = FakeApi(
        lambda request: json_response({"errors": [{"code": "unauthorized"}]}, status=status)
    )
    with pytest.raises(AuthError) as info:
        get(api)
    assert len(api.requests) == 1
    assert (
        str(info.value)
        == f"the API rejected the token (HTTP {status}) for GET /v1/flows?limit=1000"
    )


def test_a_404_is_a_distinct_not_found_error():
    api = FakeApi(lambda request: json_response({"errors": [{"code": "not_found"}]}, status=404))
    with pytest.raises(NotFoundError, match="404 Not Found for GET /v1/flows"):
        get(api)
    assert len(api.requests) == 1


def test_another_4xx_quotes_the_envelope_on_one_scrubbed_line():
    body = {
        "errors": [
            {"code": "invalid_query_params", "message": f"bad\ninclude {TOKEN}", "field": "x"}
        ]
    }
    api = FakeApi(lambda request: json_response(body, status=400))
    with pytest.raises(ApiContractError) as info:
        get(api)
    message = str(info.value)
    assert message.startswith(
        "the API answered HTTP 400 for GET /v1/flows?limit=1000: invalid_query_params: bad include"
    )
    assert "\n" not in message and TOKEN not in message
    assert len(api.requests) == 1


def test_the_token_travels_only_in_the_authorization_header():
    api = sequence(json_response([]))
    get(api)
    request = api.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"].startswith("flowaudit/")
    assert TOKEN not in str(request.url)
    assert [k for k, v in request.headers.items() if TOKEN in v] == ["authorization"]


def test_the_client_refuses_to_send_the_token_to_another_host():
    api = sequence(json_response([]))

    async def action(client):
        await client.get(httpx.URL("https://elsewhere.example.com/v1/flows"))

    with pytest.raises(ApiContractError, match="refusing to send the token"):
        run(with_client(api, action))
    assert api.requests == []


def test_backoff_is_full_jitter_under_an_exponential_cap():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=random.Random(3))
    for failed, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = [policy.backoff(failed) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # the whole range is used, not a fixed delay


def test_a_503_with_retry_after_waits_at_least_that_long():
    time = FakeTime()
    api = sequence(json_response({}, status=503, **{"Retry-After": "4"}), json_response([]))
    get(api, time)
    assert time.waits and time.waits[0] >= 4.0


def test_an_api_url_that_is_not_http_is_a_configuration_error():
    with pytest.raises(ConfigError, match="must be an http"):
        ApiClient("ftp://api.integrator.io/v1", Secret(TOKEN))
