"""The simulator's knobs (SimulatorOptions) and its named account sizes (SIZES)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flowaudit.errors import UsageError

DEFAULT_NOW = datetime(2026, 11, 1, 2, 0, 0, tzinfo=UTC)
IN_PROCESS_BASE_URL = "https://api.integrator.io/v1"
# "429": a burst of the account's other clients (its production flows) emptied the bucket.
FAULT_KINDS = ("429", "500", "502", "503", "drop", "slow", "truncated", "malformed")


@dataclass(frozen=True)
class SizeProfile:
    """How big a generated account is. Counts are targets; the result lands near them."""

    flows: int  # live flows at `now`
    audit_records: int
    integrations: int
    users: int
    systems: int  # distinct applications the account connects


SIZES: dict[str, SizeProfile] = {
    "small": SizeProfile(flows=40, audit_records=2_000, integrations=6, users=6, systems=8),
    "medium": SizeProfile(flows=1_000, audit_records=100_000, integrations=60, users=25, systems=16),
    "large": SizeProfile(flows=5_000, audit_records=500_000, integrations=250, users=60, systems=18),
    # medium's flows with a deep history: about 100 audit records of each flow's own.
    "deep": SizeProfile(flows=1_000, audit_records=216_000, integrations=60, users=25, systems=16),
}


@dataclass(frozen=True)
class SimulatorOptions:
    """Everything about a simulated account that is not its content."""

    now: datetime = DEFAULT_NOW  # the simulated clock at generation; frozen until advance()
    history_days: int = 360  # how far back the generated history starts
    audit_retention_days: int = 365  # older audit records are no longer returned
    # The per-account leaky bucket of the real API: 1000 requests, refilled at 300/s.
    burst: int = 1000
    refill_per_second: float = 300.0
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)  # injectable
    latency_ms: float = 0.0  # added to every API answer
    fault_rate: float = 0.0  # share of API requests answered with a fault
    fault_seed: int = 0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0  # how late a "slow" fault answers
    link_rel_quoted: bool = True  # rel="next" (documented) or rel=next (seen in Celigo's UI code)
    default_limit: int = 100
    max_limit: int = 1000
    # 401/403 bodies are undocumented: their codes are settable so clients can't depend on them.
    unauthorized_code: str = "unauthorized"
    forbidden_code: str = "forbidden"
    forbidden_tokens: tuple[str, ...] = ()  # tokens that exist but get 403 everywhere
    forbidden_kinds: tuple[str, ...] = ()  # e.g. ("connections",): a Custom-scope token
    # Jobs (flowaudit.simulate.jobs): how long /v1/jobs keeps them, the share of mapping and
    # step changes that break their flows for a while, and the precision of their times
    # (1000: whole seconds, so that many jobs share a createdAt; at most a minute).
    job_retention_days: int = 30
    breaking_share: float = 0.02
    job_time_resolution_ms: int = 1

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            object.__setattr__(self, "now", self.now.replace(tzinfo=UTC))
        if not 0.0 <= self.fault_rate <= 1.0:
            raise UsageError(f"fault rate must be between 0 and 1, not {self.fault_rate}")
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown or not self.fault_kinds:
            raise UsageError(
                f"unknown fault kind(s) {sorted(unknown)}; choose from {', '.join(FAULT_KINDS)}"
            )
        if self.burst < 1 or self.refill_per_second <= 0:
            raise UsageError("the rate limit needs a burst >= 1 and a refill rate > 0")
        if self.latency_ms < 0 or self.history_days < 1 or self.audit_retention_days < 1:
            raise UsageError("latency, history days and retention days must be positive")
        if not 0.0 <= self.breaking_share <= 1.0 or self.job_retention_days < 1 or not 1 <= self.job_time_resolution_ms <= 60_000:
            raise UsageError("breaking_share must be between 0 and 1, job retention positive, job time resolution 1-60000 ms")
        if not 1 <= self.default_limit <= self.max_limit:
            raise UsageError("default_limit must be between 1 and max_limit")


def size_profile(size: str) -> SizeProfile:
    try:
        return SIZES[size]
    except KeyError:
        raise UsageError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}") from None
