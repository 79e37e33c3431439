"""SimulatedAccount: one deterministic in-memory integrator.io account, its simulated clock,
and the ways to talk to it (httpx transports in-process, or `serve()` on loopback).

Every request and every `advance()` runs under one lock, so a threaded server and a test
can share the account safely."""

from __future__ import annotations

import gc
import json
import threading
from datetime import datetime

import httpx

from flowaudit.errors import UsageError
from flowaudit.simulate import api
from flowaudit.simulate.activity import Activity
from flowaudit.simulate.catalog import SYSTEMS, make_users
from flowaudit.simulate.clock import DAY_MS, parse_any_time, to_datetime, to_ms
from flowaudit.simulate.day import advance_day
from flowaudit.simulate.history import generate_history, new_rng
from flowaudit.simulate.http_types import SimRequest, SimResponse
from flowaudit.simulate.ids import IdMaker
from flowaudit.simulate.jobs import JobBook
from flowaudit.simulate.limits import FaultInjector, LeakyBucket
from flowaudit.simulate.options import IN_PROCESS_BASE_URL, SimulatorOptions, size_profile
from flowaudit.simulate.store import KIND_OF_TYPE, KINDS, Store
from flowaudit.simulate.whole_account import WholeAccount

# Sizes whose every version is kept whole (cheap thanks to shared structure); the large one
# replays its changes forward in state_at instead, to keep memory small.
_SNAPSHOT_SIZES = ("small", "medium")


class SimulatedAccount:
    """An integrator.io account in memory, serving the API of the reference."""

    jobs: JobBook  # its flows' runs and open errors (set by generate)

    def __init__(self, *, store: Store, activity: Activity, size: str, seed: int, token: str,
                 options: SimulatorOptions, now_ms: int):  # fmt: skip
        self.store = store
        self.size = size
        self.seed = seed
        self.token = token
        self.options = options
        self.now_ms = now_ms
        self.token_user = 0
        self.bucket = LeakyBucket(options.burst, options.refill_per_second, options.monotonic)
        self.faults = FaultInjector(options.fault_rate, options.fault_seed, options.fault_kinds)
        self.lock = threading.RLock()
        self.served_url: str | None = None
        self._activity = activity
        self._advances = 0
        self._counters: dict = {"requests": 0, "by_status": {}, "by_route": {}, "dropped": 0}

    @classmethod
    def generate(cls, size: str = "small", seed: int = 1, token: str = "demo",
                 options: SimulatorOptions | None = None) -> SimulatedAccount:  # fmt: skip
        """A new account with a year of history; the same arguments give the same account."""
        options = options or SimulatorOptions()
        profile = size_profile(size)
        if not token or any(ch.isspace() for ch in token):
            raise UsageError("the simulator's token must be a non-empty string without spaces")
        rng = new_rng(seed, size, "history")
        ids = IdMaker(rng)
        now_ms = to_ms(options.now)
        start_ms = now_ms - options.history_days * DAY_MS
        users = make_users(rng, profile.users, ids, start_ms - 90 * DAY_MS)
        store = Store(ids, users, keep_snapshots=size in _SNAPSHOT_SIZES)
        jobs = JobBook(store, f"flowaudit-simulator:{seed}:{size}:jobs", breaking_share=options.breaking_share,
                       retention_days=options.job_retention_days, time_resolution_ms=options.job_time_resolution_ms)
        store.watchers.append(jobs.written)
        systems = rng.sample(SYSTEMS, profile.systems)
        activity = Activity(store, rng, systems)
        activity.extras = WholeAccount(new_rng(seed, size, "whole-account"),  # type: ignore[attr-defined]
                                       new_rng(seed, size, "whole-account-advance"))  # fmt: skip
        # Generation allocates millions of small objects that all stay alive: the cyclic
        # collector would rescan them again and again for nothing (it halves the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            generate_history(activity, profile, start_ms, now_ms)
        finally:
            if collecting:
                gc.enable()
        gc.freeze()  # and keep them out of later collections while serving
        activity.rng = new_rng(seed, size, "advance")
        account = cls(store=store, activity=activity, size=size, seed=seed, token=token,
                      options=options, now_ms=now_ms)  # fmt: skip
        account.jobs = jobs
        return account

    # --- the clock ---
    @property
    def now(self) -> datetime:
        """The simulated clock (UTC, aware); frozen unless advanced."""
        return to_datetime(self.now_ms)

    def advance(self, hours: float = 24, silent_changes: int = 0) -> dict:
        """Move the clock forward, making the changes people would make meanwhile."""
        with self.lock:
            return self.advance_locked(hours=hours, silent_changes=silent_changes)

    def advance_locked(self, *, hours: float, silent_changes: int) -> dict:
        if hours <= 0 or hours > 24 * 366:
            raise UsageError(f"advance needs a positive number of hours (at most a year), not {hours}")
        if silent_changes < 0:
            raise UsageError("silent_changes must not be negative")
        self._advances += 1
        summary = advance_day(self._activity, size_profile(self.size), self.now_ms, hours, silent_changes)
        self.now_ms += int(hours * 3_600_000)
        summary["now"] = self.now.isoformat().replace("+00:00", "Z")
        return summary

    # --- reading the truth ---
    @property
    def base_url(self) -> str:
        """Where clients point: the served URL when served, else the in-process one."""
        return self.served_url or IN_PROCESS_BASE_URL

    @property
    def users(self) -> list[dict]:
        return [dict(user) for user in self.store.users]

    def captured_strings(self) -> set[str]:
        """Every captured personal datum and session cookie the account's exports, imports
        and file definitions hold (and held): a client keeps them only when asked to."""
        with self.lock:
            return set(self._activity.extras.captured.sensitive)

    def sensitive_strings(self) -> set[str]:
        """Every captured personal datum and session cookie the account's exports and
        imports hold, and every API token value (and its masked form): what a client must
        never store (flowaudit.simulate.whole_account)."""
        with self.lock:
            return self._activity.extras.sensitive_strings()

    @property
    def silent_change_log(self) -> list[dict]:
        """Changes made by advance(silent_changes=N) that no audit record explains."""
        with self.lock:
            return json.loads(json.dumps(self.store.silent_change_log))

    def resources(self, kind: str) -> list[dict]:
        """The current documents of a kind ("flows" or "flow"), as the API returns them."""
        kind = _kind(kind)
        with self.lock:
            return [json.loads(self.store.doc_bytes(kind, rid)) for rid in self.store.sorted_ids[kind]]

    def audit_records(self, *, include_expired: bool = True) -> list[dict]:
        """Every audit record, newest first (the API's order); expired ones too unless asked."""
        with self.lock:
            log = self.store.audit
            cutoff = self.now_ms - self.options.audit_retention_days * DAY_MS
            return [json.loads(log.record_bytes(position)) for position in range(len(log.rows) - 1, -1, -1)
                    if include_expired or log.times[position] >= cutoff]  # fmt: skip

    def state_at(self, when: datetime | str | int) -> dict[str, dict[str, dict]]:
        """Ground truth: every resource as it was at `when` (silent changes included)."""
        with self.lock:
            state = self.store.state_at(parse_any_time(when))
            return json.loads(json.dumps(state))

    @property
    def breakages(self) -> list[dict]:
        """Ground truth: the changes that made their flows' runs fail for a while."""
        with self.lock:
            return [breakage.as_dict() for breakage in self.jobs.breakages]

    def make_breaking_change(self, flow_id: str, *, hours: float = 24.0, error_share: float = 0.8) -> dict:
        """Edit the mapping of flow_id's last import now (through the UI, audited) so that the
        flows using it fail at error_share for hours; returns the breakage."""
        from flowaudit.simulate.breaking import break_flow

        with self.lock:
            return break_flow(self, flow_id, hours=hours, error_share=error_share).as_dict()

    @property
    def counters(self) -> dict:
        """Requests served: total, by status, by route, and dropped connections."""
        with self.lock:
            return json.loads(json.dumps(self._counters))

    def count(self, request: SimRequest, response: SimResponse) -> None:
        counters = self._counters
        counters["requests"] += 1
        if response.drop:
            counters["dropped"] += 1
        status = str(response.status)
        counters["by_status"][status] = counters["by_status"].get(status, 0) + 1
        route = f"{request.method} {_route_name(request.path)}"
        counters["by_route"][route] = counters["by_route"].get(route, 0) + 1

    # --- serving ---
    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request (thread-safe)."""
        with self.lock:
            return api.handle(self, request)

    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport serving this account in-process (no network)."""
        from flowaudit.simulate.transport import SimulatorTransport

        return SimulatorTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport serving this account in-process (no network)."""
        from flowaudit.simulate.transport import AsyncSimulatorTransport

        return AsyncSimulatorTransport(self)

    def summary(self) -> dict:
        with self.lock:
            counts = {kind: len(self.store.sorted_ids[kind]) for kind in KINDS}
            counts["audit_records"] = len(self.store.audit.rows)
            return counts


def _kind(kind: str) -> str:
    if kind in KINDS:
        return kind
    if kind in KIND_OF_TYPE:
        return KIND_OF_TYPE[kind]
    raise UsageError(f"unknown resource kind {kind!r}; choose one of {', '.join(KINDS)}")


def _route_name(path: str) -> str:
    """`/v1/flows/<id>/audit` for `/v1/flows/5f.../audit`: counters group by route."""
    parts = path.split("/")
    return "/".join("<id>" if len(part) == 24 and all(c in "0123456789abcdef" for c in part) else part
                    for part in parts)  # fmt: skip
