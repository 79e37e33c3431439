"""Masking of secret-looking values before they reach a report, and the limits of what a
report shows of one value.

A field whose key matches `Settings.secret_field_pattern` (password, token, secret, ...)
has its value replaced, wherever it sits in a document, and an audit field change whose
path names such a key has both its old and new value replaced.

Every walk here is iterative: a document nested hundreds of levels deep (the API serves
what it was given) must not exhaust Python's stack night after night. What a page shows is
bounded too: a string longer than MAX_STRING_CHARS is cut with "… N more characters", and
containers deeper than MAX_DEPTH are shown as one line saying how deep they go (the
database keeps every document whole)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

from flowaudit import jsonfast

MASK = "********"
MAX_STRING_CHARS = 2_000  # one string value on a page
MAX_NAME_CHARS = 200  # a name, wherever a page prints it (lists, titles, links)
MAX_DEPTH = 64  # levels of a document a page shows (real configurations are ~10 deep)


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=65536)  # documents repeat the same few hundred keys millions of times
def is_secret_key(key: str, pattern: str) -> bool:
    """Whether a field name looks like it holds a secret."""
    return bool(_compiled(pattern).search(key))


def cap_text(text: str, limit: int = MAX_STRING_CHARS) -> str:
    """text, cut at limit characters with what was left out said at the end."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… {len(text) - limit} more characters"


def _masked_leaf(value: Any) -> Any:
    if value is None or value == "" or isinstance(value, bool):
        return value  # "not set" / "on-off" are not secrets, and they help a reader
    return MASK


def _leaf(value: Any, hidden: bool, max_chars: int | None) -> Any:
    if hidden:
        return _masked_leaf(value)
    if max_chars is not None and isinstance(value, str):
        return cap_text(value, max_chars)
    return value


def _walk(
    value: Any,
    pattern: str | None,
    *,
    masked: bool,
    max_chars: int | None = None,
    max_depth: int | None = None,
    depth: int = 0,
) -> Any:
    """A copy of a JSON value: masked below secret-named keys (all of it when masked),
    strings capped at max_chars, containers below max_depth summarised (depth: the value's
    own depth in its document). Scalars are set where they are met; only containers wait
    on the stack (most of a configuration is scalars)."""
    if not isinstance(value, dict | list):
        return _leaf(value, masked, max_chars)
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, bool, int]] = [(value, holder, 0, masked, depth)]
    while stack:
        item, parent, key, hidden, level = stack.pop()
        if max_depth is not None and level >= max_depth:
            parent[key] = too_deep(item)
        elif isinstance(item, dict):
            out: Any = {}
            parent[key] = out
            for k, child in item.items():
                secret = hidden or (pattern is not None and is_secret_key(str(k), pattern))
                if isinstance(child, dict | list):
                    out[k] = None  # its place in the key order; filled when it is walked
                    stack.append((child, out, k, secret, level + 1))
                else:
                    out[k] = _leaf(child, secret, max_chars)
        else:
            out = [None] * len(item)
            parent[key] = out
            for i, child in enumerate(item):
                if isinstance(child, dict | list):
                    stack.append((child, out, i, hidden, level + 1))
                else:
                    out[i] = _leaf(child, hidden, max_chars)
    return holder[0]


def mask_value(value: Any) -> Any:
    """The masked form of a secret value: every scalar hidden, the shape kept."""
    return _walk(value, None, masked=True)


def mask_document(value: Any, pattern: str) -> Any:
    """A copy of a JSON value with every secret-named field masked, at any depth."""
    return _walk(value, pattern, masked=False)


def display_document(value: Any, pattern: str) -> Any:
    """What a page shows of a JSON value: masked, long strings cut, deep nesting summarised."""
    return _walk(value, pattern, masked=False, max_chars=MAX_STRING_CHARS, max_depth=MAX_DEPTH)


@lru_cache(maxsize=65536)  # a page asks again for the same paths of version after version
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


def display_field_value(path: str, value: Any, pattern: str) -> Any:
    """What a page shows of an audit old/new value (or a diff value)."""
    return display_value(value, pattern, masked=is_secret_path(path, pattern))


def display_value(value: Any, pattern: str, *, masked: bool, depth: int = 0) -> Any:
    """What a page shows of a value: all of it masked (it sits under a secret-named field),
    or masked below secret-named keys; long strings cut, nesting summarised below MAX_DEPTH
    levels of its document (depth: how deep in its document the value sits)."""
    return _walk(value, pattern, masked=masked, max_chars=MAX_STRING_CHARS, max_depth=MAX_DEPTH, depth=depth)


# -- deep documents ---------------------------------------------------------------------


def too_deep(value: dict | list) -> str:
    """The one line a page shows for a container nested below MAX_DEPTH: how much deeper it
    goes, and a fingerprint of its content (so that a change inside still shows as one)."""
    depth, fingerprint = _depth_and_fingerprint(value)
    kind = "object" if isinstance(value, dict) else "array"
    return f"({kind} nested {depth} more level(s) deep, not shown; fingerprint {fingerprint})"


def _depth_and_fingerprint(value: Any) -> tuple[int, str]:
    digest = hashlib.sha256()
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            digest.update(b"{%d" % len(item))
            for key in sorted(item, key=str, reverse=True):
                stack.append((item[key], depth + 1))
                stack.append((str(key), depth))
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            digest.update(b"[%d" % len(item))
            stack.extend((child, depth + 1) for child in reversed(item))
        else:
            digest.update(repr(item).encode("utf-8", "replace") + b"\0")
    return deepest, digest.hexdigest()[:12]


def load_shown_json(text: str | bytes) -> Any:
    """Parse a stored JSON text for a page: nesting below MAX_DEPTH is summarised (see
    too_deep), so nothing that walks the value later can run out of stack."""
    value = jsonfast.loads(text)
    if _may_be_deeper(text, MAX_DEPTH):
        value = _walk(value, None, masked=False, max_depth=MAX_DEPTH)
    return value


def shallow_json_text(text: str) -> str:
    """A stored JSON text, re-written summarised below MAX_DEPTH when it nests deeper."""
    if not _may_be_deeper(text, MAX_DEPTH):
        return text
    return jsonfast.dumps(load_shown_json(text)).decode("utf-8")


def _may_be_deeper(text: str | bytes, depth: int) -> bool:
    # Cheap and exact enough: nesting N deep needs N opening brackets somewhere.
    if isinstance(text, bytes):
        return text.count(b"{") + text.count(b"[") > depth
    return text.count("{") + text.count("[") > depth
