"""Operating flowaudit unattended: `diagnose` (the library behind `flowaudit doctor`) checks
the configuration, the API and its token, the database and the report directory, and says
in words what is wrong."""

from flowaudit.ops.doctor import Check, DoctorReport, diagnose

__all__ = ["Check", "DoctorReport", "diagnose"]
