"""Fast JSON for the hot paths (a page of 1,000 audit records is parsed, validated and staged
by the extractor, and served by the simulator, hundreds of times a run).

orjson parses and encodes several times faster than the standard library. It refuses what
JSON refuses (NaN, Infinity) but also integers beyond 64 bits, which are valid JSON: for
those rare documents we fall back to the standard library, so nothing valid is rejected.

Invalid text has one rule (`loads_answer`, for everything the API sends): bytes that are not
UTF-8 and lone UTF-16 surrogates (`"\\ud800"`, valid JSON but not Unicode) become U+FFFD,
counted, so no later encoder, DuckDB included, ever meets them."""

from __future__ import annotations

import json
from typing import Any

import orjson

REPLACEMENT = "\ufffd"
# orjson's own parsing limit; the standard library would hit Python's recursion limit first.
MAX_DEPTH = 1024


class TooDeepError(ValueError):
    """The JSON nests deeper than MAX_DEPTH levels."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads(content: bytes | str) -> Any:
    """Parse JSON; ValueError (json.JSONDecodeError) when it is not valid JSON."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        # Valid JSON orjson cannot hold (huge integers) parses here; invalid JSON fails again.
        return _stdlib_loads(content)


def loads_answer(content: bytes) -> tuple[Any, int]:
    """Parse an API answer: (value, number of invalid characters replaced by U+FFFD)."""
    try:
        return orjson.loads(content), 0
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            raise TooDeepError(str(exc)) from None
    text = content.decode("utf-8", errors="replace")
    replaced = text.count(REPLACEMENT) - content.count(REPLACEMENT.encode())
    value = _stdlib_loads(text)
    value, surrogates = replace_lone_surrogates(value)
    return value, replaced + surrogates


def _stdlib_loads(content: bytes | str) -> Any:
    try:
        return json.loads(content, parse_constant=_reject_constant)
    except RecursionError:
        raise TooDeepError(
            f"nested deeper than Python can parse ({MAX_DEPTH} levels at most)"
        ) from None


def replace_lone_surrogates(value: Any) -> tuple[Any, int]:
    """value with every lone surrogate in its strings and keys replaced by U+FFFD, and how
    many were replaced. Iterative: a deeply nested value must not exhaust the stack."""
    count = 0

    def clean(text: str) -> str:
        nonlocal count
        if _is_unicode(text):
            return text
        count += sum(1 for ch in text if "\ud800" <= ch <= "\udfff")
        return _one_per_surrogate(text)

    if isinstance(value, str):
        return clean(value), count
    root = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = clean(item)
        elif isinstance(item, list):
            stack.extend((item, index) for index in range(len(item)))
        elif isinstance(item, dict):
            if any(isinstance(k, str) and not _is_unicode(k) for k in item):
                container[key] = item = {clean(k): v for k, v in item.items()}
            stack.extend((item, k) for k in item)
    return root[0], count


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _one_per_surrogate(text: str) -> str:
    return "".join(REPLACEMENT if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, kept exactly
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        # Never fail here: a string that is not Unicode was to be cleaned when parsed.
        return text.encode("utf-8", errors="replace")
