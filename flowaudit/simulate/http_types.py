"""The simulator's own request/response values, independent of httpx and http.server, so one
request handler serves both the in-process transports and the loopback server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    query: str  # raw query string, without "?"
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    origin: str = "https://api.integrator.io"  # scheme://host the client used: Link URLs use it


@dataclass
class SimResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: str | None = None  # "protocol" or "read": close the connection without an answer
    delay: float = 0.0  # seconds to wait before answering (on top of the configured latency)


class ApiError(Exception):
    """An answer in the documented error envelope."""

    def __init__(self, status: int, code: str, message: str, field_name: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_name = field_name

    def envelope(self) -> bytes:
        error = {"code": self.code, "message": self.message}
        if self.field_name:
            error["field"] = self.field_name
        return json.dumps({"errors": [error]}, ensure_ascii=False).encode()
