"""Captured production payloads: what people keep in exports and imports while they build
a flow (`sampleData`, `mockResponse` with its `_headers`, `mockOutput`, `rawData`), and in
file definitions (`sampleData`). On a real account these held customer records and a live
`set-cookie` session header, so the simulator's hold personal data too, and every string of
it that must never reach flowaudit's database or reports is remembered
(`CapturedPayloads.sensitive`)."""

from __future__ import annotations

import random
from typing import Any

from flowaudit.simulate.catalog import FIRST_NAMES, LAST_NAMES

STREETS = ("Hauptstraße", "Rue de Rivoli", "Baker Street", "Calle Mayor", "Elm Street", "Sveavägen")
CITIES = ("Berlin", "Paris", "London", "Madrid", "Springfield", "Stockholm")


class CapturedPayloads:
    """Makes captured payloads and remembers their sensitive strings."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sensitive: set[str] = set()

    def _remember(self, *values: str) -> None:
        self.sensitive.update(values)

    def customer(self) -> dict[str, Any]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        number = rng.randrange(10_000, 99_999)
        email = f"{first.lower()}.{number}@customer-mail.example"
        phone = f"+49 30 {rng.randrange(1_000_000, 9_999_999)}"
        street = f"{rng.choice(STREETS)} {rng.randrange(1, 200)}"
        self._remember(email, phone, street)
        return {
            "id": number,
            "email": email,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "shipping_address": {
                "address1": street,
                "city": rng.choice(CITIES),
                "zip": f"{number}",
            },
            "total_price": f"{rng.randrange(10, 900)}.{rng.randrange(0, 99):02d}",
        }

    def session_cookie(self) -> str:
        value = "".join(self.rng.choice("0123456789abcdefABCDEF") for _ in range(40))
        self._remember(value)
        return f"_shopify_s={value}; path=/; secure; HttpOnly"

    def sample_data(self) -> list[dict[str, Any]]:
        return [self.customer() for _ in range(self.rng.randint(1, 3))]

    def mock_response(self) -> list[dict[str, Any]]:
        return [{
            "_headers": {"content-type": "application/json", "set-cookie": self.session_cookie(),
                         "x-request-id": f"{self.rng.getrandbits(64):016x}"},
            "id": str(self.rng.randrange(100_000, 999_999)),
            "statusCode": 200,
            "body": self.customer(),
        }]  # fmt: skip

    def mock_output(self) -> dict[str, Any]:
        return {"page_of_records": [{"record": self.customer()}]}

    def raw_data(self) -> str:
        customer = self.customer()
        line = f"{customer['id']};{customer['email']};{customer['phone']};{customer['shipping_address']['address1']}"
        return "id;email;phone;street\n" + line + "\n"

    def payload(self, field: str) -> Any:
        """A new captured value for the field (sampleData, mockResponse, ...)."""
        return {"sampleData": self.sample_data, "mockResponse": self.mock_response,
                "mockOutput": self.mock_output, "rawData": self.raw_data}[field]()  # fmt: skip


# Which captured fields each kind of step keeps.
EXPORT_FIELDS = ("sampleData", "mockOutput", "rawData")
IMPORT_FIELDS = ("sampleData", "mockResponse")
