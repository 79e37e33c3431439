"""Realism knobs that sit in front of the API: the per-account leaky bucket (429 with a
Retry-After in whole seconds) and seeded fault injection. Both are deterministic given the
injected monotonic clock and the fault seed."""

from __future__ import annotations

import math
import random
from collections.abc import Callable


class LeakyBucket:
    """integrator.io's per-account limit: `burst` requests, refilled at `rate` per second."""

    def __init__(self, burst: int, rate: float, monotonic: Callable[[], float]):
        self.burst = burst
        self.rate = rate
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._last = monotonic()

    def take(self) -> int:
        """0 when the request may go on, else the whole seconds to wait (Retry-After)."""
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))


class FaultInjector:
    """Decides, from its own seeded generator, which requests get a fault and which one."""

    def __init__(self, rate: float, seed: int, kinds: tuple[str, ...]):
        self.configure(rate, seed, kinds)

    def configure(self, rate: float, seed: int, kinds: tuple[str, ...]) -> None:
        self.rate = rate
        self.kinds = kinds
        self._rng = random.Random(f"faults:{seed}")

    def draw(self) -> str | None:
        if self.rate <= 0.0:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self.kinds[int(self._rng.random() * len(self.kinds))]

    def draw_bit(self) -> bool:
        return self._rng.random() < 0.5
