"""Keep the API token out of everything flowaudit writes.

The token is held in a `Secret`, whose str/repr never show it, and `scrub` removes it
from any text (log lines, error messages) before that text leaves the process."""

from __future__ import annotations

import json
import re


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


_known_secrets: set[str] = set()
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")


def register_secret(value: str) -> None:
    """Remember a secret so that `scrub` removes it from any later text: the whole value,
    each of its words (a value with a newline or a space is quoted in pieces), and the
    escaped forms a repr() or a JSON string would show of it."""
    forms = {value, *value.split()}
    forms |= {repr(value)[1:-1], json.dumps(value)[1:-1]}
    for form in forms:
        if form and len(form) >= 4:
            _known_secrets.add(form)


def scrub(text: str) -> str:
    """Remove every registered secret and any bearer credential from text."""
    # Longest first: a secret's words must not break up the whole before it is replaced.
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "********")
    return _BEARER.sub(r"\1********", text)
