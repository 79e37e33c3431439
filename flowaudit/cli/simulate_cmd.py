"""`flowaudit simulate`: serve a simulated integrator.io account on loopback.

The first line on stdout is the API base URL (tests and scripts read it); the server runs
until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime

import typer

from flowaudit.cli.app import app
from flowaudit.errors import UsageError


@app.command()
def simulate(
    port: int = typer.Option(8080, help="Port to listen on (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (admin routes answer loopback only)."),
    size: str = typer.Option("small", help="Account size: small, medium, deep (medium's flows, ~100 audit records each) or large."),
    seed: int = typer.Option(1, help="Seed of the generated account (same seed, same account)."),
    token: str = typer.Option("demo", help="The bearer token the simulator accepts."),
    latency_ms: float = typer.Option(0.0, help="Latency added to every API answer, in ms."),
    rate: float = typer.Option(300.0, help="Rate-limit refill, requests per second."),
    burst: int = typer.Option(1000, help="Rate-limit bucket size, requests."),
    fault_rate: float = typer.Option(0.0, help="Share of requests answered with a fault (0..1)."),
    fault_seed: int = typer.Option(0, help="Seed of the fault injection."),
    now: str = typer.Option("", help="Simulated 'now', ISO-8601 UTC (default 2026-11-01T02:00:00Z)."),
) -> None:
    """Serve a deterministic simulated integrator.io account (API under /v1; admin under /_sim)."""
    from flowaudit.simulate import SimulatedAccount, SimulatorOptions
    from flowaudit.simulate.server import serve

    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}")
    if rate <= 0 or burst < 1 or latency_ms < 0:
        raise UsageError("--rate must be > 0, --burst >= 1 and --latency-ms >= 0")
    if not 0 <= fault_rate <= 1:
        raise UsageError(f"--fault-rate must be between 0 and 1, not {fault_rate}")
    options = {"refill_per_second": rate, "burst": burst, "latency_ms": latency_ms,
               "fault_rate": fault_rate, "fault_seed": fault_seed}  # fmt: skip
    if now:
        try:
            options["now"] = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now must be an ISO-8601 time like 2026-11-01T02:00:00Z, not {now!r}") from None
    account = SimulatedAccount.generate(size=size, seed=seed, token=token, options=SimulatorOptions(**options))
    handle = serve(account, host=host, port=port)
    sys.stdout.write(handle.url + "\n")
    sys.stdout.flush()
    counts = account.summary()
    sys.stderr.write(
        f"flowaudit simulate: {size} account (seed {seed}): {counts['flows']} flows, "
        f"{counts['audit_records']} audit records; admin: {handle.origin}/_sim/now, /_sim/counters, "
        "POST /_sim/advance?hours=24&silent=0, POST /_sim/faults?rate=0.1&seed=7. Ctrl-C stops.\n"
    )
    sys.stderr.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.shutdown()
