"""Who may change a simulated account: its users (`/v1/ashares`, one share per person the
account is shared with) and its API tokens (`/v1/accesstokens`), and the changes made to
them. Every account has what an access review must find: a token with full access that
never expires, a personal token that expires within days, a token no one ever used, and
an administrator the account does not require multi-factor sign-in of.

A token's own value is a secret the simulator keeps (`TokenValues`); the API shows only
a masked form of it, which a client must not store either."""

from __future__ import annotations

import random
from typing import Any

from flowaudit.simulate.clock import DAY_MS, iso

ACCESS_LEVELS = ("administrator", "manage", "monitor")
MASKED_TOKEN_PREFIX = "*" * 28  # the API shows `****…` and the last four characters


class TokenValues:
    """The secret value of every simulated API token (never served in clear)."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}

    def new(self, rng: random.Random, token_id: str) -> str:
        # 32 hex characters, at least one a digit (as the API's are).
        value = str(rng.randrange(10)) + "".join(rng.choice("0123456789abcdef") for _ in range(31))
        self.by_id[token_id] = value
        return value

    @staticmethod
    def masked(value: str) -> str:
        return MASKED_TOKEN_PREFIX + value[-4:]


def share_doc(sid: str, ms: int, person: dict[str, str], *, access: Any, mfa: bool,
              sso: bool = False, accepted: bool = True) -> dict[str, Any]:  # fmt: skip
    """A share: access is a level for account-wide access, or [(integration id, level)]."""
    doc: dict[str, Any] = {
        "_id": sid,
        "lastModified": iso(ms),
        "sharedWithUser": {"_id": person["_id"], "email": person["email"], "name": person["name"]},
    }
    if isinstance(access, str):
        doc["accessLevel"] = access
    else:
        doc["integrationAccessLevel"] = [
            {"_integrationId": integration, "accessLevel": level} for integration, level in access
        ]
    doc.update(accepted=accepted, disabled=False, accountMFARequired=mfa, accountSSORequired=sso)
    doc["createdAt"] = iso(ms)
    return doc


def token_doc(tid: str, ms: int, name: str, value: str, *, full_access: bool,
              scope: dict[str, list[str]] | None = None, personal: bool = False,
              purge_at_ms: int | None = None, description: str = "") -> dict[str, Any]:  # fmt: skip
    doc: dict[str, Any] = {"_id": tid, "lastModified": iso(ms), "name": name}
    if description:
        doc["description"] = description
    doc["fullAccess"] = full_access
    if not full_access:
        for key in ("_connectionIds", "_exportIds", "_importIds", "_apiIds"):
            doc[key] = list((scope or {}).get(key, []))
    if personal:
        doc["tokenType"] = "ashare"
    doc["revoked"] = False
    if purge_at_ms is not None:
        doc["autoPurgeAt"] = iso(purge_at_ms)
    doc["token"] = TokenValues.masked(value)
    doc["createdAt"] = iso(ms)
    return doc


def access_change(rng: random.Random, share: dict[str, Any]) -> list[tuple[str, Any]]:
    """One plausible change of a share: access level, MFA or SSO requirement, disabled."""
    choice = rng.randrange(4)
    if choice == 0 and "accessLevel" in share:
        levels = [level for level in ACCESS_LEVELS if level != share["accessLevel"]]
        return [("accessLevel", rng.choice(levels))]
    if choice == 1:
        return [("accountMFARequired", not share.get("accountMFARequired", False))]
    if choice == 2:
        return [("accountSSORequired", not share.get("accountSSORequired", False))]
    return [("disabled", not share.get("disabled", False))]


def token_change(rng: random.Random, token: dict[str, Any], ms: int) -> list[tuple[str, Any]]:
    """One plausible change of a token: renamed, described, revoked, or its expiry moved."""
    choice = rng.randrange(3)
    if choice == 0:
        base = token["name"].removesuffix(" (rotated)")
        return [("name", base if base != token["name"] else base + " (rotated)")]
    if choice == 1 and "autoPurgeAt" in token:
        return [("autoPurgeAt", iso(ms + rng.choice((30, 90)) * DAY_MS))]
    return [("description", rng.choice(("Used by the nightly ERP sync", "Owner: finance IT",
                                        "Do not delete: monitoring")))]  # fmt: skip
