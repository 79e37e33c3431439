"""Serving a SimulatedAccount on loopback with the standard library's threaded HTTP/1.1
server: the same answers as the in-process transports, the Date header from the simulated
clock, dropped connections as real closed sockets, and admin routes for loopback clients."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flowaudit.errors import UsageError
from flowaudit.simulate.http_types import ApiError, SimRequest, SimResponse

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount

_LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


@dataclass
class ServerHandle:
    """A running server: `.url` is the API base URL (ending in /v1)."""

    url: str
    origin: str
    server: ThreadingHTTPServer
    thread: threading.Thread
    account: SimulatedAccount

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.account.served_url = None

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def serve(account: SimulatedAccount, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Start serving the account in a background thread (port 0 picks a free port)."""
    with account.lock:
        # Encode the audit log up front: served pages are then joins of ready bytes, and
        # a benchmark measures the client, not the simulator's JSON encoding.
        account.store.audit.warm()
    handler = _handler_for(account)
    try:
        server = _QuietServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.daemon_threads = True
    bound_port = server.server_address[1]
    origin = f"http://{host}:{bound_port}" if ":" not in host else f"http://[{host}]:{bound_port}"
    thread = threading.Thread(target=server.serve_forever, name="flowaudit-simulator", daemon=True)
    thread.start()
    account.served_url = f"{origin}/v1"
    return ServerHandle(url=f"{origin}/v1", origin=origin, server=server, thread=thread, account=account)


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default backlog is 5: a client opening a dozen connections at once had
    # the rest of its SYNs dropped and resent a second later (Linux's first retransmission),
    # a stall at the start of every run that no API server has.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer (a killed run, a timeout) is normal here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(account: SimulatedAccount) -> type[BaseHTTPRequestHandler]:
    class Handler(_SimulatorHandler):
        pass

    Handler.account = account
    return Handler


class _SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from the real API
    # Headers and body go out in separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK hold every answer back by ~40 ms.
    disable_nagle_algorithm = True
    server_version = "flowaudit-simulator"
    account: SimulatedAccount

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # request lines would be noise on a cron-style stderr

    def _own_address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        request = SimRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            origin=f"http://{self.headers.get('Host') or self._own_address()}",
        )
        if parts.path.startswith("/_sim/") and self.client_address[0] not in _LOOPBACK:
            answer = SimResponse(403, ApiError(403, "forbidden", "Admin routes answer loopback clients only.").envelope(),
                                 [("Content-Type", "application/json")])  # fmt: skip
        else:
            answer = self.account.handle(request)
        wait = self.account.options.latency_ms / 1000 + answer.delay
        if wait and not parts.path.startswith("/_sim/"):
            time.sleep(wait)
        if answer.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response_only(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Server", self.server_version)
        if answer.status not in (204, 304):
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if answer.body and answer.status not in (204, 304):
            self.wfile.write(answer.body)
