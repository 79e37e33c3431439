"""Deterministic integrator.io-style ids: 24 lowercase hex characters, shaped like a MongoDB
ObjectId (seconds of creation, a per-account fixed part, a counter), so that ids made at the
same simulated second still sort in the order they were made."""

from __future__ import annotations

import random


class IdMaker:
    """Makes unique ids for one simulated account."""

    def __init__(self, rng: random.Random):
        self._machine = f"{rng.getrandbits(40):010x}"
        self._counter = rng.getrandbits(20)

    def new(self, ms: int) -> str:
        self._counter = (self._counter + 1) & 0xFFFFFF
        return f"{(ms // 1000) & 0xFFFFFFFF:08x}{self._machine}{self._counter:06x}"
