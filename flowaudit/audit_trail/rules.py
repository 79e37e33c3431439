"""The change-process rules in force: the [rules] settings as the store keeps them.

The `rule_violations` view judges every change by the account's newest stored rule set, so
the rules must be in the database: a run stores the settings' rule set when it differs from
the newest one (and `evidence`, `approvals import`, `drift accept` when the settings name
some rule). Readers (`report`, `sql`) use what is stored; `report` says so when the
settings differ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from flowaudit.config import Settings
from flowaudit.rule_settings import WEEKDAYS, hours_in_minutes, window_parts


@dataclass(frozen=True)
class RuleSet:
    """The rules of one account, in the settings' normalised form."""

    business_hours: str
    business_days: tuple[str, ...]
    business_timezone: str
    freeze_windows: tuple[str, ...]
    api_users: tuple[str, ...] | None
    ticket_required_integrations: tuple[str, ...]
    ticket_required_types: tuple[str, ...]
    emergency_review_hours: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RuleSet:
        return cls(
            settings.business_hours,
            tuple(settings.business_days),
            settings.business_timezone,
            tuple(settings.freeze_windows),
            None if settings.api_users is None else tuple(settings.api_users),
            tuple(settings.ticket_required_integrations),
            tuple(settings.ticket_required_types),
            float(settings.emergency_review_hours),
        )

    def as_json(self) -> str:
        """The settings as one JSON object (stored, shown by the `rules` view)."""
        return json.dumps(
            {
                "business_hours": self.business_hours,
                "business_days": list(self.business_days),
                "business_timezone": self.business_timezone,
                "freeze_windows": list(self.freeze_windows),
                "api_users": None if self.api_users is None else list(self.api_users),
                "ticket_required_integrations": list(self.ticket_required_integrations),
                "ticket_required_types": list(self.ticket_required_types),
                "emergency_review_hours": self.emergency_review_hours,
            },
            sort_keys=True,
        )

    def row(self) -> dict:
        """The columns of store.rules (queries/audit_trail/rules_insert.sql)."""
        start, end = hours_in_minutes(self.business_hours)
        windows = [window_parts(window) for window in self.freeze_windows]
        return {
            "days": [WEEKDAYS.index(day) + 1 for day in self.business_days],
            "start_minute": start,
            "end_minute": end,
            "timezone": self.business_timezone,
            "windows": [
                {"label": label, "first_day": first, "last_day": last}
                for label, first, last in windows
            ],
            "api_users": None if self.api_users is None else list(self.api_users),
            "integrations": list(self.ticket_required_integrations),
            "types": list(self.ticket_required_types),
            "review_hours": self.emergency_review_hours,
            "settings": self.as_json(),
        }


def stored_rules(con: duckdb.DuckDBPyConnection, account: str) -> str | None:
    """The newest stored rule set of account (its settings JSON), or None."""
    rows = con.execute(
        "SELECT settings FROM store.rules WHERE account = $account ORDER BY set_at DESC LIMIT 1",
        {"account": account},
    ).fetchall()
    return _normalised(rows[0][0]) if rows else None


def store_rules(
    con: duckdb.DuckDBPyConnection, account: str, rules: RuleSet, *, now: datetime | None = None
) -> bool:
    """Store the rule set when it differs from the account's newest; return whether it did.
    Inside the caller's transaction, if any."""
    if stored_rules(con, account) == _normalised(rules.as_json()):
        return False
    from flowaudit.load.db import run_sql_file

    run_sql_file(
        con,
        "audit_trail/rules_insert.sql",
        account=account,
        set_at=now or datetime.now(UTC),
        **rules.row(),
    )
    return True


def rules_differ(con: duckdb.DuckDBPyConnection, account: str, rules: RuleSet) -> bool:
    """Whether the settings' rules are not the ones the store judges changes by."""
    return stored_rules(con, account) != _normalised(rules.as_json())


def _normalised(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True)
