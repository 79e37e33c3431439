"""A faithful, deterministic simulator of the integrator.io API: an in-memory account with a
year of audited history, served in-process (httpx transports) or on loopback (`serve`).

Where the reference is silent, the simulator decides (clients must not rely on more):
lists are ordered by `_id` and page with an opaque `after=` cursor in an absolute `Link`
URL; `/audit` is ordered by `time` descending, then `_id` descending; `from` is inclusive
and `to` exclusive; records older than `audit_retention_days` are no longer returned."""

from flowaudit.simulate.account import SimulatedAccount
from flowaudit.simulate.options import SIZES, SimulatorOptions

__all__ = ["SIZES", "SimulatedAccount", "SimulatorOptions"]
