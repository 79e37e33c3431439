"""What flowaudit never keeps: captured production payloads and values that look like
secrets. Applied to every document and audit record before anything is staged or stored
(and by migration 0010 to what earlier versions stored).

- A captured field (`sampleData`, `mockResponse`, `mockOutput`, `rawData`, sample
  `_headers`; the `captured_fields` setting), at any depth, is replaced by a marker string
  holding the SHA-256 and size of its canonical JSON, so a change is still seen as one;
  `store_captured_data = true` keeps them.
- A value under a key that names a secret (`password`, `set-cookie`, `authorization`,
  `apiKey`, ...) is masked whole; inside any other string, what looks like a secret
  (a bearer token, a JWT, a private key, a password in a URL or a query string, an
  assignment `password = "..."` in a script) is masked in place.
- A field the registry says is never stored (an API token's own value) is dropped.

An audit field change is treated as the value at its path would be in the document, so
replaying the stored records over the stored documents stays exact. Scrubbing is
idempotent: markers and masks are left as they are."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from flowaudit import jsonfast
from flowaudit.documents.canonical import canonical_json, sha256_text
from flowaudit.documents.paths import split_path
from flowaudit.registry import BY_NAME

DEFAULT_CAPTURED_FIELDS = ("sampleData", "mockResponse", "mockOutput", "rawData", "_headers")
MASK = "[masked by flowaudit]"
MARKER_PREFIX = "[captured data removed by flowaudit: sha256 "
_MARKER = re.compile(r"^\[captured data removed by flowaudit: sha256 [0-9a-f]{64}, \d+ bytes\]$")

# Keys whose value is a secret, compared without case, `-` or `_` (`Set-Cookie`,
# `client_secret`, `apiKey`). Not `token` alone as a substring: `tokenType` and `authType`
# are settings, not secrets.
SECRET_KEYS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "clientsecret", "consumersecret",
    "tokensecret", "signingsecret", "webhooksecret", "secretkey", "secretaccesskey",
    "apikey", "xapikey", "privatekey", "accesstoken", "refreshtoken", "idtoken", "authtoken",
    "sessiontoken", "bearertoken", "token", "sessionid", "cookie", "setcookie",
    "authorization", "proxyauthorization",
})  # fmt: skip
# One of these (in lower case) is in every string a value pattern below can match: a
# string without any is not searched further (most strings of a document).
_TRIGGER_WORDS = (
    r"bearer|eyj|private|xox|k_live|k_test|gh[pousr]_|://|pass|pwd|secret|api.?key|token|"
    r"sig=|signature|cookie"
)
_TEXT_TRIGGER = re.compile(_TRIGGER_WORDS)  # searched in lower case
_UPPER_TRIGGER = re.compile(r"AKIA|ASIA")  # AWS key ids: upper case only (not Asia/Tokyo)
_UPPER_BYTES = re.compile(_UPPER_TRIGGER.pattern.encode())

_MANY_FROM = 16  # fewer texts than this are searched one by one (Arrow's call costs more)
_SHORTEST_SECRET_TEXT = 6  # no value pattern matches a shorter string
_LOOKED_MAX = 4096
_ALREADY_MASKED = re.compile(r"^(?:[*•●·xX#]{3,}|\[masked by flowaudit\])$")


def _masked(match: re.Match[str], group: int) -> str | None:
    """The match with its secret group masked (None: already masked)."""
    secret = match.group(group)
    if secret.startswith("[masked"):
        return None
    start, end = match.span(group)
    base = match.start()
    text = match.group(0)
    return text[: start - base] + MASK + text[end - base :]


# (pattern, the group that is the secret): applied to every string that is not masked whole.
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (
        re.compile(
            r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)"
        ),
        0,
    ),
    (re.compile(r"(?i)\bbearer\s+((?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}=*)"), 1),
    (re.compile(r"\b(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"), 1),
    (re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"), 1),
    (re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})"), 1),
    (re.compile(r"\b([rs]k_(?:live|test)_[A-Za-z0-9]{10,})"), 1),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,})"), 1),
    (re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']+:([^@\s/\"']+)@"), 1),
    (
        re.compile(
            r"(?i)[?&;](?:password|passwd|pwd|api_?key|apikey|access_?token|auth_?token|token|"
            r"secret|client_?secret|sig|signature)=([^&#\s\"']+)"
        ),
        1,
    ),
    (re.compile(r"(?i)\b(?:set-cookie|cookie)\s*:\s*([^\r\n\"]+)"), 1),
    (
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|api_?key|apikey|client_?secret|access_?token|"
            r"auth_?token)[\"']?\s*[:=]\s*[\"']([^\"'\r\n]{3,})[\"']"
        ),
        1,
    ),
)


def is_marker(value: Any) -> bool:
    """Whether value is a captured-data marker (left alone when scrubbed again)."""
    return isinstance(value, str) and value.startswith(MARKER_PREFIX) and bool(_MARKER.match(value))


def captured_marker(value: Any) -> str:
    """The marker that replaces a captured value: its SHA-256 and size, nothing else."""
    if is_marker(value):
        return value
    text = canonical_json(value)
    return f"{MARKER_PREFIX}{sha256_text(text)}, {len(text.encode('utf-8'))} bytes]"


@lru_cache(maxsize=65536)  # documents repeat the same few hundred keys
def is_secret_key(key: str) -> bool:
    """Whether a field named key holds a secret (compared without case, `-` and `_`)."""
    return key.lower().replace("-", "").replace("_", "") in SECRET_KEYS


@dataclass(frozen=True)
class ScrubPolicy:
    """Which captured fields are removed (none when keep_captured)."""

    captured_fields: tuple[str, ...] = DEFAULT_CAPTURED_FIELDS
    keep_captured: bool = False

    @property
    def basis(self) -> str:
        """What a store scrubbed under this policy depends on (store.meta `scrub_policy`)."""
        kept = "kept" if self.keep_captured else "removed"
        return f"scrub v1; captured {kept}: {','.join(sorted(set(self.captured_fields)))}"


@dataclass
class ScrubCounts:
    captured: int = 0  # captured values replaced by a marker
    secrets: int = 0  # secret-looking values masked
    dropped: int = 0  # never-stored fields dropped

    def as_dict(self) -> dict[str, int]:
        return {"captured_fields": self.captured, "secrets_masked": self.secrets,
                "never_stored_dropped": self.dropped}  # fmt: skip


@dataclass
class Scrubber:
    """Scrubs documents and audit records under one policy, counting what it changed."""

    policy: ScrubPolicy = field(default_factory=ScrubPolicy)
    counts: ScrubCounts = field(default_factory=ScrubCounts)

    def __post_init__(self) -> None:
        self.captured = (
            frozenset() if self.policy.keep_captured else frozenset(self.policy.captured_fields)
        )
        never = {name for entry in BY_NAME.values() for name in entry.never_stored}
        names = "|".join(re.escape(name.lower()) for name in sorted(self.captured | never))
        # Every secret key holds one of these words too (a test keeps it so).
        self._path_trigger = re.compile(_TRIGGER_WORDS + "|auth|session|" + names)
        self._bytes_trigger = re.compile(self._path_trigger.pattern.encode())
        # An audit record's old value is often the previous record's new value: what a look
        # at a container's text found is kept (bounded).
        self._looked: dict[bytes, bool] = {}
        self._paths: dict[str, bool] = {}

    def trigger_patterns(self) -> tuple[str, str]:
        """(searched in lower case, searched as is): a text matching neither holds nothing
        to scrub (the store's scrub picks its rows with them, in SQL)."""
        return self._path_trigger.pattern, _UPPER_TRIGGER.pattern

    @staticmethod
    def never_stored_types() -> list[str]:
        """The resource types that have fields never stored."""
        return [entry.name for entry in BY_NAME.values() if entry.never_stored]

    def may_hold(self, text: bytes) -> bool:
        """False when a record's JSON text holds nothing to scrub (most records): no walk."""
        return bool(self._bytes_trigger.search(text.lower()) or _UPPER_BYTES.search(text))

    def may_hold_many(self, texts: list[bytes]) -> list[bool]:
        """may_hold of each JSON text (UTF-8, as orjson writes it), searched in one pass:
        Arrow's RE2 runs the same patterns over a page of records about five times faster
        than a search per record. Its `ignore_case` folds more than ASCII lower case and its
        `.` takes a whole character: it may say yes more often, never less."""
        if len(texts) < _MANY_FROM:
            return [self.may_hold(text) for text in texts]
        array = pa.array(texts, pa.binary()).cast(pa.string())
        found = pc.or_(
            pc.match_substring_regex(array, self._path_trigger.pattern, ignore_case=True),
            pc.match_substring_regex(array, _UPPER_TRIGGER.pattern),
        )
        return found.to_pylist()

    # -- documents ------------------------------------------------------------------------

    def document(self, doc: Any, resource_type: str | None = None) -> Any:
        """A scrubbed copy of an API document (doc itself when nothing changed)."""
        if not isinstance(doc, dict):
            return doc
        entry = BY_NAME.get(resource_type or "")
        if entry is not None and entry.never_stored and any(k in doc for k in entry.never_stored):
            self.counts.dropped += sum(1 for k in entry.never_stored if k in doc)
            doc = {k: v for k, v in doc.items() if k not in entry.never_stored}
        return self._value(doc, "", False)

    def value(self, value: Any, key: str = "") -> Any:
        """A scrubbed copy of any JSON value found under key."""
        return self._value(value, key, is_secret_key(key) if key else False)

    # -- audit records --------------------------------------------------------------------

    def audit_record(self, record: Any) -> Any:
        """A scrubbed copy of an audit record: each field change's values as they would be
        at its path in the document; changes of never-stored fields dropped."""
        if not isinstance(record, dict) or not isinstance(record.get("fieldChanges"), list):
            return record
        entry = BY_NAME.get(str(record.get("resourceType") or ""))
        never = entry.never_stored if entry is not None else ()
        changes = []
        changed = False
        for change in record["fieldChanges"]:
            if not isinstance(change, dict) or not isinstance(change.get("fieldPath"), str):
                changes.append(change)
                continue
            if not self._may_change(change):
                changes.append(change)
                continue
            parts = split_path(change["fieldPath"])
            if parts and parts[0] in never:
                self.counts.dropped += 1
                changed = True
                continue
            scrubbed = self.field_change_values(parts, change)
            changed = changed or scrubbed is not change
            changes.append(scrubbed)
        if not changed:
            return record
        return {**record, "fieldChanges": changes}

    def _may_change(self, change: dict[str, Any]) -> bool:
        """False for the common field change with nothing to scrub: scalar values (short or
        without a trigger) at a path that names no captured, secret or never-stored key.
        Hot: every audit record of a full run passes here."""
        path = change["fieldPath"]
        named = self._paths.get(path)
        if named is None:  # an account's records name the same few hundred paths
            if len(self._paths) >= _LOOKED_MAX:
                self._paths.clear()
            named = self._paths[path] = bool(self._path_trigger.search(path.lower()))
        if named:
            return True
        for value in (change.get("oldValue"), change.get("newValue")):
            kind = type(value)
            if kind is str:
                if self._mask_in_text_needed(value):
                    return True
            elif kind is dict or kind is list:
                text = jsonfast.dumps(value)
                found = self._looked.get(text)
                if found is None:
                    if len(self._looked) >= _LOOKED_MAX:
                        self._looked.clear()
                    found = self._looked[text] = self.may_hold(text)
                if found:
                    return True
        return False

    def field_change_values(self, parts: list[str], change: dict[str, Any]) -> dict[str, Any]:
        """A field change (oldValue/newValue) scrubbed for its path (itself if unchanged)."""
        convert = self.at_path(parts)
        result = change
        for name in ("oldValue", "newValue"):
            if name in change:
                new = convert(change[name])
                if new is not change[name]:
                    result = {**result, name: new}
        return result

    def at_path(self, parts: list[str]) -> Callable[[Any], Any]:
        """How a value found at the field path `parts` is scrubbed."""
        if any(part in self.captured for part in parts):
            return self._captured
        keys = [part for part in parts if not part.isdigit() and part != "*"]
        key = keys[-1] if keys else ""
        secret = is_secret_key(key) if key else False
        return lambda value: self._value(value, key, secret)

    # -- the walk ---------------------------------------------------------------------------

    def _captured(self, value: Any) -> Any:
        if is_marker(value):
            return value
        self.counts.captured += 1
        return captured_marker(value)

    def _value(self, value: Any, key: str, secret: bool) -> Any:
        """value scrubbed as found under key (secret: the key names a secret). An object
        under a secret key is walked like any other (`auth.token` holds settings too); a
        scalar or a list of scalars there is masked. Iterative, and containers are copied
        only along the way to what changed."""
        if not isinstance(value, dict | list):
            return self._leaf(value, secret)
        replaced: dict[int, Any] = {}
        # (container, whether the scalars of this list are secret)
        stack: list[tuple[Any, bool]] = [(value, secret)]
        while stack:
            node, hidden = stack.pop()
            if isinstance(node, dict):
                copy: dict | None = None
                for child_key, child in node.items():
                    name = str(child_key)
                    if name in self.captured:
                        new = self._captured(child)
                    elif isinstance(child, dict):
                        stack.append((child, False))
                        continue
                    elif isinstance(child, list):
                        stack.append((child, is_secret_key(name)))
                        continue
                    else:
                        new = self._leaf(child, is_secret_key(name))
                    if new is not child:
                        if copy is None:
                            copy = dict(node)
                        copy[child_key] = new
                if copy is not None:
                    replaced[id(node)] = copy
            else:
                copy_list: list | None = None
                for index, child in enumerate(node):
                    if isinstance(child, dict | list):
                        stack.append((child, hidden and isinstance(child, list)))
                        continue
                    new = self._leaf(child, hidden)
                    if new is not child:
                        if copy_list is None:
                            copy_list = list(node)
                        copy_list[index] = new
                if copy_list is not None:
                    replaced[id(node)] = copy_list
        return _rebuilt(value, replaced) if replaced else value

    def _leaf(self, value: Any, secret: bool) -> Any:
        if isinstance(value, str):
            if not value or _ALREADY_MASKED.match(value):
                return value
            if secret:
                self.counts.secrets += 1
                return MASK
            return self._mask_in_text(value)
        if secret and isinstance(value, int | float) and not isinstance(value, bool):
            self.counts.secrets += 1
            return MASK
        return value

    @staticmethod
    def _mask_in_text_needed(text: str) -> bool:
        return len(text) >= _SHORTEST_SECRET_TEXT and bool(
            _TEXT_TRIGGER.search(text.lower()) or _UPPER_TRIGGER.search(text)
        )

    def _mask_in_text(self, text: str) -> str:
        if not self._mask_in_text_needed(text):
            return text
        for pattern, group in _VALUE_PATTERNS:
            if pattern.search(text) is None:
                continue

            def replace(match: re.Match[str], group: int = group) -> str:
                masked = _masked(match, group)
                if masked is None:
                    return match.group(0)
                self.counts.secrets += 1
                return masked

            text = pattern.sub(replace, text)
        return text


def _rebuilt(root: Any, replacements: dict[int, Any]) -> Any:
    """root with every container whose id is in replacements replaced, and every container
    above one copied (iterative, post-order)."""
    result: dict[int, Any] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        if key in result:
            continue
        if not children_done:
            stack.append((node, True))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, False) for child in children if isinstance(child, dict | list))
            continue
        base = replacements.get(key, node)
        if isinstance(base, dict):
            changed = {k: result[id(v)] for k, v in base.items()
                       if isinstance(v, dict | list) and result.get(id(v), v) is not v}  # fmt: skip
            result[key] = {**base, **changed} if changed else base
        else:
            changed_items = {i: result[id(v)] for i, v in enumerate(base)
                             if isinstance(v, dict | list) and result.get(id(v), v) is not v}  # fmt: skip
            if changed_items:
                base = list(base)
                for index, value in changed_items.items():
                    base[index] = value
            result[key] = base
    return result.get(id(root), root)
