"""One exception family and the exit-code table every command shares.

A FlowauditError carries a one-line message meant for a person and the exit code the
CLI returns for it; the CLI prints the message on stderr and never a traceback.
Messages never contain the API token (see flowaudit.secrets.scrub)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes, the same for every command. Documented in README and `--help`."""

    OK = 0
    INTERNAL = 1  # a bug in flowaudit: please report it
    USAGE = 2  # bad flags or arguments (also what click uses)
    CONFIG = 3  # missing token, unreadable token file, bad flowaudit.toml
    AUTH = 4  # the API refused the token (401/403)
    API_UNAVAILABLE = 5  # host unreachable, or still failing after every retry
    API_CONTRACT = 6  # the API answered something flowaudit must not trust
    DATABASE = 7  # not a DuckDB file, from a newer flowaudit, disk full, corrupt
    DATABASE_LOCKED = 8  # another process is writing the database
    RUN_IN_PROGRESS = 9  # another flowaudit run holds the run lock
    QUERY = 10  # an ad hoc query failed (syntax, unknown column, write refused)
    REPORT_OUTPUT = 11  # the report, evidence or export directory cannot be written
    EVIDENCE_INCOMPLETE = 12  # evidence written, but the audit log does not cover the period
    TAMPERED = 13  # verify: stored data no longer matches what the runs sealed
    INPUT_FILE = 14  # an input file (approvals CSV) has bad rows; nothing was imported
    SOME_ACCOUNTS_FAILED = 15  # run/extract --accounts: one or more accounts failed, others did not
    NEEDS_ATTENTION = 16  # run --fail-on-attention: the night holds something to look at
    INTERRUPTED = 130  # Ctrl-C / SIGINT / SIGTERM


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.INTERNAL: "internal error (a bug in flowaudit; run with FLOWAUDIT_DEBUG=1 for details)",
    ExitCode.USAGE: "bad command-line usage",
    ExitCode.CONFIG: "configuration problem (token, token file, flowaudit.toml, a setting out of range, a log file that cannot be written)",
    ExitCode.AUTH: "the API rejected the token (401/403)",
    ExitCode.API_UNAVAILABLE: "the API could not be reached, kept failing after retries, or the fetch ran past max_run_minutes",
    ExitCode.API_CONTRACT: "the API answered something invalid (bad JSON, bad page, foreign next link, page loop, an answer too large or nested too deep)",
    ExitCode.DATABASE: "database problem (not a DuckDB file, newer schema, damaged file, views that are not flowaudit's, disk full)",
    ExitCode.DATABASE_LOCKED: "the database is locked by another process",
    ExitCode.RUN_IN_PROGRESS: "another flowaudit run is already running on this database",
    ExitCode.QUERY: "the SQL query failed or tried to change the database",
    ExitCode.REPORT_OUTPUT: "the report, evidence or export directory cannot be written",
    ExitCode.EVIDENCE_INCOMPLETE: "the evidence folder was written, but the audit log does not cover the whole period (its README.txt says where)",
    ExitCode.TAMPERED: "verify: stored audit records, versions or runs no longer match what their runs sealed (the hash chain is broken)",
    ExitCode.INPUT_FILE: "an input file has bad rows (approvals CSV: each named by its line); nothing was imported",
    ExitCode.SOME_ACCOUNTS_FAILED: "some accounts of a run with --accounts failed (the last line names them; the others were extracted)",
    ExitCode.NEEDS_ATTENTION: "run --fail-on-attention: something needs attention (the run itself succeeded)",
    ExitCode.INTERRUPTED: "interrupted",
}


class FlowauditError(Exception):
    """Base of every error flowaudit reports to a person."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, exit_code: ExitCode | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UsageError(FlowauditError):
    exit_code = ExitCode.USAGE


class ConfigError(FlowauditError):
    exit_code = ExitCode.CONFIG


class AuthError(FlowauditError):
    exit_code = ExitCode.AUTH


class ApiUnavailableError(FlowauditError):
    exit_code = ExitCode.API_UNAVAILABLE


class ApiContractError(FlowauditError):
    exit_code = ExitCode.API_CONTRACT


class DatabaseError(FlowauditError):
    exit_code = ExitCode.DATABASE


class DatabaseLockedError(FlowauditError):
    exit_code = ExitCode.DATABASE_LOCKED


class RunInProgressError(FlowauditError):
    exit_code = ExitCode.RUN_IN_PROGRESS


class QueryError(FlowauditError):
    exit_code = ExitCode.QUERY


class ReportOutputError(FlowauditError):
    exit_code = ExitCode.REPORT_OUTPUT


class EvidenceIncompleteError(FlowauditError):
    exit_code = ExitCode.EVIDENCE_INCOMPLETE


class TamperedError(FlowauditError):
    exit_code = ExitCode.TAMPERED


class InputFileError(FlowauditError):
    exit_code = ExitCode.INPUT_FILE


class ExportOutputError(FlowauditError):
    """The Parquet lake cannot be written (`flowaudit export`, `run --export`)."""

    exit_code = ExitCode.REPORT_OUTPUT


class SomeAccountsFailedError(FlowauditError):
    exit_code = ExitCode.SOME_ACCOUNTS_FAILED


class NeedsAttentionError(FlowauditError):
    """Not a failure of flowaudit: the night holds changes a person should look at, and
    `run --fail-on-attention` asked to be told by the exit code."""

    exit_code = ExitCode.NEEDS_ATTENTION
