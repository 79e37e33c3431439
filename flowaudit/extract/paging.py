"""Paging a listing: follow `Link: <…>; rel="next"` as an opaque URL until it is gone.

Every page body is checked before it is trusted: a bare JSON array, `[]`, an empty 204 or
the older wrapped `{"audit": [...]}`, whose records are objects with a string `_id`. A next
link to another origin is refused before anything is sent (the token goes nowhere else), a
next link already followed is a loop, and so is a page that starts with the record another
page of the same listing started with (fresh next links over the same records); both, and
any bad page, raise ApiContractError naming the endpoint and page number. A page cap, set
by what a listing can plausibly hold, bounds a runaway listing (reported incomplete); the
run's deadline bounds the rest."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from flowaudit.errors import ApiContractError
from flowaudit.extract.client import ApiClient
from flowaudit.extract.retry import NotFoundError, one_line
from flowaudit.logs import get_logger

log = get_logger(__name__)

# What one listing can plausibly hold, at 1,000 records a page: a million resources of one
# kind, or ten million audit records in one time window, is far beyond any real account.
MAX_LISTING_PAGES = 1_000
MAX_AUDIT_PAGES = 10_000
DEFAULT_MAX_PAGES = MAX_AUDIT_PAGES
# Only wrappers the vendor documented: anything else is a shape we do not understand.
KNOWN_WRAPPER_KEYS = frozenset({"audit"})

_LINK_TARGET = re.compile(r"<([^>]*)>")
_LINK_PARAM = re.compile(
    r';\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?'
)


@dataclass
class PagedResult:
    """What a paged listing produced: pages read, records seen, whether the end was reached."""

    pages: int = 0
    records: int = 0
    complete: bool = False


def parse_link_header(value: str | None) -> dict[str, str]:
    """Map each rel of an RFC 8288 `Link` header to its target (first one wins)."""
    links: dict[str, str] = {}
    if not value:
        return links
    targets = list(_LINK_TARGET.finditer(value))
    for index, match in enumerate(targets):
        # A link's parameters run from its `>` to the next link's `<`.
        end = targets[index + 1].start() if index + 1 < len(targets) else len(value)
        for rel in _rels(value[match.end() : end]):
            links.setdefault(rel, match.group(1).strip())
    return links


def _rels(params: str) -> list[str]:
    rels: list[str] = []
    for name, raw in _LINK_PARAM.findall(params):
        if name.lower() != "rel" or not raw:
            continue
        text = raw[1:-1] if raw.startswith('"') else raw
        rels.extend(part.lower() for part in text.split())
    return rels


def next_url(answer_url: httpx.URL, link_header: str | None) -> httpx.URL | None:
    """The absolute next-page URL (relative links resolve against the current page)."""
    target = parse_link_header(link_header).get("next")
    if target is None or not target.strip():
        return None
    return answer_url.join(target.strip())


def record_id(record: dict[str, Any]) -> Any:
    """A record's id: its `_id`."""
    return record.get("_id")


def recycle_bin_entry_id(entry: dict[str, Any]) -> Any:
    """A recycle bin entry's id: `{"model": "flows", "doc": {"_id": ...}}` -> model/_id."""
    doc = entry.get("doc")
    model = entry.get("model")
    if not isinstance(doc, dict) or not isinstance(model, str) or not model:
        return None
    identifier = doc.get("_id")
    return f"{model}/{identifier}" if isinstance(identifier, str) and identifier else None


def page_records(
    body: Any, *, where: str, identify: Callable[[dict[str, Any]], Any] = record_id
) -> list[dict[str, Any]]:
    """The records of one page body, or ApiContractError if its shape is not trustworthy."""
    records = _unwrap(body, where=where)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ApiContractError(
                f"{where}: record {index + 1} is a {_json_type(record)}, not an object"
            )
        identifier = identify(record)
        if not isinstance(identifier, str) or not identifier:
            what = "no string _id" if identify is record_id else "no model and doc with a string _id"
            raise ApiContractError(f"{where}: record {index + 1} has {what}")
    return records


def _unwrap(body: Any, *, where: str) -> list[Any]:
    if body is None:
        return []
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and len(body) == 1:
        ((key, value),) = body.items()
        if key in KNOWN_WRAPPER_KEYS and isinstance(value, list):
            return value
    raise ApiContractError(f"{where}: expected a JSON array of records, got {_describe(body)}")


def _describe(body: Any) -> str:
    if isinstance(body, dict):
        keys = ", ".join(sorted(str(k) for k in body)[:5])
        return f"an object (keys: {keys})" if keys else "an empty object"
    return f"a {_json_type(body)}"


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


async def follow_pages(
    client: ApiClient,
    first_url: httpx.URL,
    on_page: Callable[[list[dict[str, Any]]], None],
    *,
    endpoint: str,
    max_pages: int = DEFAULT_MAX_PAGES,
    identify: Callable[[dict[str, Any]], Any] = record_id,
) -> PagedResult:
    """Read every page from first_url on, handing each page's records to on_page
    (identify: a record's id, for the checks: `_id` unless the listing says otherwise).

    A listing's pages must follow one another, so the next page is asked for as soon as
    this one's `Link` header has arrived, before its body is read, parsed and staged (at
    most AHEAD pages ahead); the checks run on each page as before, and a page asked for
    ahead that the checked link does not name is cancelled."""
    result = PagedResult()
    seen = {str(first_url)}
    first_ids: dict[str, int] = {}  # the _id each page started with -> its page number
    ahead = _PagesAhead(client, endpoint, max_pages, seen)
    try:
        where = f"{endpoint} page 1"
        answer = await _get_page(client, first_url, where, ahead.hook(1))
        while True:
            records = page_records(answer.body, where=where, identify=identify)
            if records:
                first = identify(records[0])
                earlier = first_ids.setdefault(first, result.pages + 1)
                if earlier != result.pages + 1:
                    raise ApiContractError(
                        f"{where}: the page starts with the record page {earlier} started with "
                        f"(_id {one_line(first, 40)}): page loop"
                    )
            result.pages += 1
            result.records += len(records)
            url = _checked_next(client, answer.url, answer.headers.get("Link"), seen, where)
            where = f"{endpoint} page {result.pages + 1}"
            following = None
            if url is not None and result.pages < max_pages:
                following = await ahead.take(result.pages + 1, url, where)
            try:
                on_page(records)
            except BaseException:
                await _abandon(following)
                raise
            if url is None:
                result.complete = True
                return result
            if following is None:
                log.warning(
                    "%s: stopped after %d pages (page cap); listing incomplete", endpoint, max_pages
                )
                return result
            answer = await following
    finally:
        await ahead.abandon_all()


AHEAD = 2  # pages of one listing asked for before the page naming them is read


class _PagesAhead:
    """The pages of one listing asked for from a page's headers, by page number."""

    def __init__(self, client: ApiClient, endpoint: str, max_pages: int, seen: set[str]):
        self.client = client
        self.endpoint = endpoint
        self.max_pages = max_pages
        self.seen = seen
        self.asked: dict[int, tuple[str, asyncio.Future]] = {}

    def hook(self, number: int) -> Callable[[httpx.URL, httpx.Headers], None]:
        """What page `number`'s answer calls with its headers: ask for the page it links to."""

        def on_headers(page_url: httpx.URL, headers: httpx.Headers) -> None:
            if number + 1 in self.asked or number >= self.max_pages or len(self.asked) >= AHEAD:
                return
            try:
                url = next_url(page_url, headers.get("Link"))
            except (ValueError, httpx.InvalidURL):
                return  # the checks on the whole page will say what is wrong
            if url is None or not self.client.is_own_origin(url) or str(url) in self.seen:
                return
            where = f"{self.endpoint} page {number + 1}"
            request = asyncio.ensure_future(_get_page(self.client, url, where, self.hook(number + 1)))
            self.asked[number + 1] = (str(url), request)

        return on_headers

    async def take(self, number: int, url: httpx.URL, where: str) -> asyncio.Future:
        """The request for page `number` at url: the one asked for ahead if it was for url;
        else (none, or another url) a new one, the others dropped."""
        found = self.asked.pop(number, None)
        if found is not None and found[0] == str(url):
            request = found[1]
        else:
            if found is not None:
                await _abandon(found[1])
                await self.abandon_all()  # they followed a link the page did not keep
            request = asyncio.ensure_future(_get_page(self.client, url, where, self.hook(number)))
        await asyncio.sleep(0)  # let it be on its way before on_page holds the loop
        return request

    async def abandon_all(self) -> None:
        asked, self.asked = self.asked, {}
        for _url, request in asked.values():
            await _abandon(request)


async def _abandon(request: asyncio.Future | None) -> None:
    """Cancel a page asked for ahead that is no longer wanted, and wait for it to end."""
    if request is None:
        return
    request.cancel()
    await asyncio.wait([request])  # its own failure is not this one's news
    if not request.cancelled():
        request.exception()  # retrieved: no "exception was never retrieved" warning


async def _get_page(
    client: ApiClient,
    url: httpx.URL,
    where: str,
    on_headers: Callable[[httpx.URL, httpx.Headers], None] | None = None,
):
    try:
        return await client.get(url, on_headers=on_headers)
    except NotFoundError:
        raise
    except ApiContractError as exc:
        raise ApiContractError(f"{where}: {exc.message}") from None


def _checked_next(
    client: ApiClient, current: httpx.URL, link: str | None, seen: set[str], where: str
) -> httpx.URL | None:
    url = next_url(current, link)
    if url is None:
        return None
    if not client.is_own_origin(url):
        raise ApiContractError(
            f"{where}: refusing the next link to {url.scheme}://{url.host}"
            f"{'' if url.port is None else f':{url.port}'}: it is not the configured API host "
            f"{client.base_url.host} (the token is only ever sent there)"
        )
    if str(url) in seen:
        raise ApiContractError(
            f"{where}: the next link points back to a page already read "
            f"({client.request_name(url)}): page loop"
        )
    seen.add(str(url))
    return url
