"""Imports every command module so that each registers its commands on the app."""

# One module per command family; each owns its options and calls one library function.
from flowaudit.cli import (  # noqa: F401
    evidence_cmd,
    export_cmd,
    extract_cmd,
    ops_cmd,
    report_cmd,
    run_cmd,
    simulate_cmd,
    sql_cmd,
)
