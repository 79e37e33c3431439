"""A faithful, deterministic simulator of the integrator.io API: an in-memory account with a
year of audited history, served in-process (httpx transports) or on loopback (`serve`)."""

from flowaudit.simulate.account import SimulatedAccount
from flowaudit.simulate.options import SIZES, SimulatorOptions

__all__ = ["SIZES", "SimulatedAccount", "SimulatorOptions"]
