"""Masking of secret-looking values before they reach a report.

A field whose key matches `Settings.secret_field_pattern` (password, token, secret, ...)
has its value replaced, wherever it sits in a document, and an audit field change whose
path names such a key has both its old and new value replaced."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MASK = "********"


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=65536)  # documents repeat the same few hundred keys millions of times
def is_secret_key(key: str, pattern: str) -> bool:
    """Whether a field name looks like it holds a secret."""
    return bool(_compiled(pattern).search(key))


def mask_value(value: Any) -> Any:
    """The masked form of a secret value: every scalar hidden, the shape kept."""
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if value is None or value == "" or isinstance(value, bool):
        return value  # "not set" / "on-off" are not secrets, and they help a reader
    return MASK


def mask_document(value: Any, pattern: str) -> Any:
    """A copy of a JSON value with every secret-named field masked, at any depth."""
    if isinstance(value, dict):
        return {
            k: mask_value(v) if is_secret_key(str(k), pattern) else mask_document(v, pattern)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_document(v, pattern) for v in value]
    return value


def is_secret_path(path: str, pattern: str) -> bool:
    """Whether any key of a dotted/selector path looks like a secret."""
    # Selector values (`[_importId=abc]`) are ids, not keys.
    keys = re.sub(r"\[[^\]]*\]", ".", path or "").split(".")
    return any(key and is_secret_key(key, pattern) for key in keys)


def mask_field_value(path: str, value: Any, pattern: str) -> Any:
    """An audit old/new value (or a diff value) masked for its path."""
    if is_secret_path(path, pattern):
        return mask_value(value)
    return mask_document(value, pattern)
