"""Keep the API token out of everything flowaudit writes.

The token is held in a `Secret`, whose str/repr never show it, and `scrub` removes it
from any text (log lines, error messages) before that text leaves the process."""

from __future__ import annotations

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
    """Remember a secret so that `scrub` removes it from any later text."""
    if value and len(value) >= 4:
        _known_secrets.add(value)


def scrub(text: str) -> str:
    """Remove every registered secret and any bearer credential from text."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, "********")
    return _BEARER.sub(r"\1********", text)
