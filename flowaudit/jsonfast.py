"""Fast JSON for the hot paths (a page of 1,000 audit records is parsed, validated and staged
by the extractor, and served by the simulator, hundreds of times a run).

orjson parses and encodes several times faster than the standard library. It refuses what
JSON refuses (NaN, Infinity) but also integers beyond 64 bits, which are valid JSON: for
those rare documents we fall back to the standard library, so nothing valid is rejected."""

from __future__ import annotations

import json
from typing import Any

import orjson


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads(content: bytes | str) -> Any:
    """Parse JSON; ValueError (json.JSONDecodeError) when it is not valid JSON."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        # Valid JSON orjson cannot hold (huge integers) parses here; invalid JSON fails again.
        return json.loads(content, parse_constant=_reject_constant)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, kept exactly
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
