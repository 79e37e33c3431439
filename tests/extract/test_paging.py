"""Paging: every Link variant is followed as an opaque URL, every documented body shape is
accepted, and every untrustworthy page or link stops the listing with a clear error."""

from __future__ import annotations

import httpx
import pytest

from flowaudit.errors import ApiContractError
from flowaudit.extract import follow_pages, parse_link_header
from tests.extract.fakes import BASE, TOKEN, FakeApi, json_response, records, run, with_client


def collect(api: FakeApi, path: str = "flows?limit=1000", **options):
    """Page from BASE/path; return (ids seen, PagedResult)."""
    seen: list[str] = []

    async def action(client):
        return await follow_pages(
            client, httpx.URL(f"{BASE}/{path}"),
            lambda page: seen.extend(r["_id"] for r in page), endpoint="/flows", **options,
        )  # fmt: skip

    result = run(with_client(api, action))
    return seen, result


def pages(by_query: dict[str, httpx.Response]) -> FakeApi:
    """A fake API answering by the request's query string."""
    return FakeApi(lambda request: by_query[request.url.query.decode()])


# -- the Link header --------------------------------------------------------------------


def test_link_header_with_quoted_rels_over_several_lines_gives_next_and_prev():
    header = (
        f'<{BASE}/integrations?skip=100&limit=1000>; rel="next",\n'
        f'      <{BASE}/integrations?skip=0&limit=1000>; rel="prev"'
    )
    assert parse_link_header(header) == {
        "next": f"{BASE}/integrations?skip=100&limit=1000",
        "prev": f"{BASE}/integrations?skip=0&limit=1000",
    }


def test_link_header_with_unquoted_rel_gives_next():
    assert parse_link_header("</api/connections?after=xxxx>; rel=next") == {
        "next": "/api/connections?after=xxxx"
    }


def test_link_header_with_several_rel_values_and_extra_params_gives_each_rel():
    header = '<a?x=1,2>; title="a, b; c" ; rel="prev next";foo=bar ,<b>;REL=Last'
    assert parse_link_header(header) == {"prev": "a?x=1,2", "next": "a?x=1,2", "last": "b"}


def test_link_header_without_next_or_empty_gives_nothing():
    assert parse_link_header(None) == {}
    assert parse_link_header("") == {}
    assert "next" not in parse_link_header(f'<{BASE}/flows?skip=0>; rel="prev"')


# -- following pages --------------------------------------------------------------------


def test_quoted_next_links_are_followed_to_the_last_page():
    api = pages({
        "limit=1000": json_response(records("a", "b"), link=f'<{BASE}/flows?after=b>; rel="next"'),
        "after=b": json_response(records("c"), link=f'<{BASE}/flows?after=c>; rel="next"'),
        "after=c": json_response(records("d")),
    })  # fmt: skip
    seen, result = collect(api)
    assert seen == ["a", "b", "c", "d"]
    assert (result.pages, result.records, result.complete) == (3, 4, True)


def test_the_next_page_is_asked_for_before_this_page_is_handed_over():
    """A listing's pages follow one another: staging a page must not hold up the next."""
    api = pages({
        "limit=1000": json_response(records("a"), link=f'<{BASE}/flows?after=a>; rel="next"'),
        "after=a": json_response(records("b"), link=f'<{BASE}/flows?after=b>; rel="next"'),
        "after=b": json_response(records("c")),
    })  # fmt: skip
    asked: list[int] = []  # requests sent when each page was handed over

    async def action(client):
        def on_page(page):
            asked.append(len(api.requests))

        return await follow_pages(client, httpx.URL(f"{BASE}/flows?limit=1000"), on_page, endpoint="/flows")

    result = run(with_client(api, action))
    assert result.complete and result.records == 3
    # The request for page n+1 was sent before page n was handed over; the last page is
    # handed over with nothing more asked for.
    assert asked == [2, 3, 3]


def test_a_page_asked_for_from_headers_the_retried_page_does_not_keep_is_dropped():
    """Page 1's first answer names page `after=x` in its headers, then its body is
    malformed; the retried answer names `after=y`: x was asked for ahead, but only y's
    records are handed over."""
    first_answers = iter([
        httpx.Response(200, content=b'[{"_id": "a"', headers={"Link": f'<{BASE}/flows?after=x>; rel="next"'}),
        json_response(records("a"), link=f'<{BASE}/flows?after=y>; rel="next"'),
    ])  # fmt: skip
    answers = {"after=x": json_response(records("x")), "after=y": json_response(records("y"))}
    api = FakeApi(lambda request: next(first_answers) if request.url.query == b"limit=1000"
                  else answers[request.url.query.decode()])  # fmt: skip
    seen, result = collect(api)
    assert seen == ["a", "y"] and result.complete and result.pages == 2


def test_a_failure_while_handing_a_page_over_abandons_the_page_asked_for_ahead():
    api = pages({
        "limit=1000": json_response(records("a"), link=f'<{BASE}/flows?after=a>; rel="next"'),
        "after=a": json_response(records("b")),
    })  # fmt: skip

    def on_page(page):
        raise OSError("disk full")

    async def action(client):
        return await follow_pages(client, httpx.URL(f"{BASE}/flows?limit=1000"), on_page, endpoint="/flows")

    with pytest.raises(OSError, match="disk full"):
        run(with_client(api, action))


def test_unquoted_next_link_is_followed_as_an_opaque_url():
    api = pages({
        "limit=1000": json_response(records("a"), link=f"<{BASE}/flows?cursor=Zm9v%3D%3D>; rel=next"),
        "cursor=Zm9v%3D%3D": json_response(records("b")),
    })  # fmt: skip
    seen, _ = collect(api)
    assert seen == ["a", "b"]
    assert str(api.requests[1].url) == f"{BASE}/flows?cursor=Zm9v%3D%3D"


def test_relative_next_link_resolves_against_the_current_page():
    api = pages({
        "limit=1000": json_response(records("a"), link='<flows?after=a>; rel="next"'),
        "after=a": json_response(records("b"), link='</v1/flows?after=b>; rel="next"'),
        "after=b": json_response(records("c")),
    })  # fmt: skip
    seen, _ = collect(api)
    assert seen == ["a", "b", "c"]
    assert {str(r.url.copy_with(query=None)) for r in api.requests} == {f"{BASE}/flows"}


def test_prev_and_next_in_one_header_follows_next_only():
    api = pages({
        "limit=1000": json_response(
            records("a"),
            link=f'<{BASE}/flows?skip=0>; rel="prev", <{BASE}/flows?skip=1>; rel="next"',
        ),
        "skip=1": json_response(records("b"), link=f'<{BASE}/flows?skip=0>; rel="prev"'),
    })  # fmt: skip
    seen, result = collect(api)
    assert seen == ["a", "b"] and result.complete


def test_a_204_with_no_body_is_an_empty_complete_listing():
    api = pages({"limit=1000": httpx.Response(204)})
    seen, result = collect(api)
    assert seen == [] and result.complete and result.pages == 1


def test_an_empty_array_is_an_empty_complete_listing():
    seen, result = collect(pages({"limit=1000": json_response([])}))
    assert seen == [] and result.complete


def test_the_older_wrapped_audit_body_is_accepted_empty_or_not():
    api = pages({
        "limit=1000": json_response({"audit": records("a")}, link=f"<{BASE}/flows?p=2>; rel=next"),
        "p=2": json_response({"audit": []}),
    })  # fmt: skip
    seen, result = collect(api)
    assert seen == ["a"] and result.complete


def test_an_unknown_wrapper_key_is_refused_naming_the_endpoint_and_page():
    api = pages({
        "limit=1000": json_response(records("a"), link=f"<{BASE}/flows?p=2>; rel=next"),
        "p=2": json_response({"data": records("b")}),
    })  # fmt: skip
    with pytest.raises(
        ApiContractError, match=r"^/flows page 2: expected a JSON array.*keys: data"
    ):
        collect(api)


@pytest.mark.parametrize("body", [{"_id": "a"}, "flows", 42, True])
def test_a_page_that_is_not_an_array_is_refused(body):
    with pytest.raises(ApiContractError, match=r"^/flows page 1: expected a JSON array"):
        collect(pages({"limit=1000": json_response(body)}))


def test_a_record_without_a_string_id_is_refused():
    body = [{"_id": "a"}, {"name": "no id"}]
    with pytest.raises(ApiContractError, match=r"^/flows page 1: record 2 has no string _id"):
        collect(pages({"limit=1000": json_response(body)}))
    with pytest.raises(ApiContractError, match="record 1 has no string _id"):
        collect(pages({"limit=1000": json_response([{"_id": 7}])}))


def test_a_record_that_is_not_an_object_is_refused():
    with pytest.raises(ApiContractError, match=r"record 2 is a string, not an object"):
        collect(pages({"limit=1000": json_response([{"_id": "a"}, "b"])}))


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example.com/v1/flows?after=a",
        "http://api.integrator.io/v1/flows?after=a",
        "https://api.integrator.io:8443/v1/flows?after=a",
        "//evil.example.com/v1/flows?after=a",
    ],
)
def test_a_next_link_to_another_origin_is_refused_and_nothing_is_sent_there(foreign):
    api = pages({"limit=1000": json_response(records("a"), link=f'<{foreign}>; rel="next"')})
    with pytest.raises(
        ApiContractError, match=r"^/flows page 1: refusing the next link to"
    ) as info:
        collect(api)
    assert len(api.requests) == 1
    assert TOKEN not in str(info.value)


def test_a_next_link_already_followed_is_a_page_loop():
    api = pages({
        "limit=1000": json_response(records("a"), link=f"<{BASE}/flows?p=2>; rel=next"),
        "p=2": json_response(records("b"), link=f"<{BASE}/flows?p=3>; rel=next"),
        "p=3": json_response(records("c"), link=f"<{BASE}/flows?p=2>; rel=next"),
    })  # fmt: skip
    with pytest.raises(ApiContractError, match=r"^/flows page 3: .*page loop"):
        collect(api)
    assert len(api.requests) == 3


def test_a_next_link_back_to_the_first_page_is_a_page_loop():
    api = pages(
        {"limit=1000": json_response(records("a"), link=f"<{BASE}/flows?limit=1000>; rel=next")}
    )
    with pytest.raises(ApiContractError, match="page loop"):
        collect(api)


def test_malformed_json_is_retried_then_refused_naming_endpoint_and_page():
    api = pages({
        "limit=1000": json_response(records("a"), link=f"<{BASE}/flows?p=2>; rel=next"),
        "p=2": httpx.Response(200, content=b'[{"_id": "b", "na'),
    })  # fmt: skip
    with pytest.raises(ApiContractError, match=r"^/flows page 2: the API answered malformed JSON"):
        collect(api)
    assert len(api.requests) == 1 + 6  # the first page, then every attempt at page 2


def test_a_truncated_body_that_comes_whole_on_retry_is_read():
    answers = iter([httpx.Response(200, content=b'[{"_id": "a"'), json_response(records("a"))])
    seen, result = collect(FakeApi(lambda request: next(answers)))
    assert seen == ["a"] and result.complete


def test_nan_is_not_json_and_is_refused():
    api = pages({"limit=1000": httpx.Response(200, content=b'[{"_id": "a", "x": NaN}]')})
    with pytest.raises(ApiContractError, match="malformed JSON"):
        collect(api)


def test_the_page_cap_stops_a_runaway_listing_and_reports_it_incomplete():
    counter = iter(range(10_000))
    api = FakeApi(
        lambda r: json_response(
            records(str(n := next(counter))), link=f"<{BASE}/flows?p={n}>; rel=next"
        )
    )
    seen, result = collect(api, max_pages=5)
    assert (result.pages, result.complete, len(seen)) == (5, False, 5)
    assert len(api.requests) == 5
