"""flowaudit: what changed in an integrator.io account, who changed it, and whether
production still matches what was approved."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowaudit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
