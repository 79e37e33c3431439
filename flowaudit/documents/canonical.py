"""Canonical JSON: the one serialisation content hashes are taken over (sorted keys,
compact separators, UTF-8, non-ASCII kept), and the hash itself."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# One encoder instance: json.dumps with options builds a new encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The text hashes are taken over."""
    return _CANONICAL.encode(value)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of value (a document already without volatile fields)."""
    return sha256_text(canonical_json(value))
