"""Change-process rules: [rules] settings are checked once (exit 3 when wrong), resolve like
every setting, are stored with the run, and judge every change a person made
(`rule_violations`): the simulator's off-hours and API changes are flagged, exactly."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flowaudit.audit_trail.rules import RuleSet, store_rules
from flowaudit.config import Settings, resolve_settings
from flowaudit.errors import ConfigError, ExitCode
from flowaudit.load.db import connect
from tests.audit_trail.cli import run_cli
from tests.pipeline.helpers import query


def _settings(tmp_path: Path, rules: str, environ: dict[str, str] | None = None) -> Settings:
    config = tmp_path / "flowaudit.toml"
    config.write_text(f"[rules]\n{rules}\n", encoding="utf-8")
    return resolve_settings({}, environ=environ or {}, config_file=config)


def _apply(db: Path, settings: Settings) -> None:
    con = connect(db)
    try:
        store_rules(con, "default", RuleSet.from_settings(settings))
    finally:
        con.close()


def test_the_defaults_are_office_hours_in_utc_and_no_other_rule():
    settings = Settings()
    assert (settings.business_hours, settings.business_days, settings.business_timezone) == (
        "08:00-18:00", ("mon", "tue", "wed", "thu", "fri"), "UTC",
    )  # fmt: skip
    assert settings.freeze_windows == () and settings.api_users is None
    assert settings.ticket_required_integrations == () and settings.ticket_required_types == ()
    assert settings.emergency_review_hours == 72


def test_rules_are_read_from_the_rules_table_and_normalised(tmp_path: Path):
    settings = _settings(
        tmp_path,
        'business_hours = "7:30-17:00"\nbusiness_days = "mon-thu"\nbusiness_timezone = "Europe/Berlin"\n'
        'freeze_windows = ["year end: 2026-12-20..2027-01-04", "2026-11-11"]\napi_users = ["CI@Example.com"]\n'
        'ticket_required_types = ["Connection"]\nemergency_review_hours = 24',
    )
    assert settings.business_hours == "07:30-17:00"
    assert settings.business_days == ("mon", "tue", "wed", "thu")
    assert settings.freeze_windows == (
        "year end: 2026-12-20..2027-01-04",
        "freeze: 2026-11-11..2026-11-11",
    )
    assert settings.api_users == ("ci@example.com",) and settings.ticket_required_types == (
        "connection",
    )
    assert settings.emergency_review_hours == 24


def test_the_environment_beats_the_file_and_none_means_nobody(tmp_path: Path):
    settings = _settings(
        tmp_path, 'business_timezone = "Europe/Berlin"\napi_users = ["a@example.com"]',
        environ={"FLOWAUDIT_BUSINESS_TIMEZONE": "America/New_York", "FLOWAUDIT_API_USERS": "none",
                 "FLOWAUDIT_FREEZE_WINDOWS": "2026-12-24,2026-12-31"},
    )  # fmt: skip
    assert settings.business_timezone == "America/New_York"
    assert settings.api_users == ()
    assert settings.freeze_windows == (
        "freeze: 2026-12-24..2026-12-24",
        "freeze: 2026-12-31..2026-12-31",
    )


@pytest.mark.parametrize(
    "rules, words",
    [
        ('business_hours = "18:00-08:00"', "must end after they start"),
        ('business_hours = "8 to 6"', "look like 08:00-18:00"),
        ('business_days = ["mon", "funday"]', "'fun' is not a day"),
        ('business_timezone = "Mars/Olympus"', "not a time zone name"),
        ('freeze_windows = ["2026-12-31..2026-12-01"]', "ends before it starts"),
        ('freeze_windows = ["next week"]', "a freeze window looks like"),
        ("emergency_review_hours = 0", "more than 0"),
        ("api_users = 3", "a list of texts"),
        ('colour = "red"', "unknown rule(s) in [rules]: colour"),
    ],
)
def test_a_bad_rule_is_one_line_and_the_config_exit_code(tmp_path: Path, rules: str, words: str):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, rules)
    assert words in caught.value.message and "\n" not in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_a_rule_outside_the_rules_table_is_refused(tmp_path: Path):
    config = tmp_path / "flowaudit.toml"
    config.write_text('business_timezone = "UTC"\n')
    with pytest.raises(ConfigError, match=r"belong\(s\) in the \[rules\] table"):
        resolve_settings({}, environ={}, config_file=config)


def test_a_bad_rule_from_the_environment_exits_3(db: Path, capsys, monkeypatch):
    monkeypatch.setenv("FLOWAUDIT_BUSINESS_HOURS", "25:00-26:00")
    outcome = run_cli(capsys, "drift", "list", "--db", str(db))
    assert outcome.code == ExitCode.CONFIG and "FLOWAUDIT_BUSINESS_HOURS" in outcome.stderr


def test_each_run_stores_the_rules_it_ran_with(db: Path):
    rows = query(db, "SELECT in_force, business_hours, business_timezone, api_users FROM rules")
    assert rows == [(True, "08:00-18:00", "UTC", None)], (
        "three runs with the same rules store them once"
    )


def test_rules_flag_exactly_the_simulators_off_hours_and_api_changes(db: Path, tmp_path: Path):
    _apply(
        db,
        _settings(
            tmp_path,
            'business_hours = "09:00-17:00"\nbusiness_timezone = "Europe/Berlin"\napi_users = []',
        ),
    )
    changes = query(
        db, "SELECT event_id, time, source FROM audit_events WHERE source IS DISTINCT FROM 'system'"
    )
    berlin = ZoneInfo("Europe/Berlin")

    def off_hours(moment) -> bool:
        local = moment.astimezone(berlin)
        return local.isoweekday() > 5 or not (9 * 60 <= local.hour * 60 + local.minute < 17 * 60)

    flagged = Counter(rule for (rule,) in query(db, "SELECT rule FROM rule_violations"))
    assert set(flagged) == {"outside_business_hours", "api_not_allowed"}
    off = {
        e
        for (e,) in query(
            db, "SELECT event_id FROM rule_violations WHERE rule = 'outside_business_hours'"
        )
    }
    assert off == {event_id for event_id, time, _ in changes if off_hours(time)}
    assert 0 < len(off) < len(changes)
    api = {
        e
        for (e,) in query(db, "SELECT event_id FROM rule_violations WHERE rule = 'api_not_allowed'")
    }
    assert api == {event_id for event_id, _, source in changes if source == "api"} and api
    detail = query(db, "SELECT detail FROM rule_violations WHERE rule = 'api_not_allowed' LIMIT 1")[
        0
    ][0]
    assert detail.endswith("(nobody may change through the API)")


def test_the_api_user_named_in_the_rules_may_change_through_the_api(db: Path, tmp_path: Path):
    owner = query(db, "SELECT user_email FROM audit_events WHERE source = 'api' LIMIT 1")[0][0]
    _apply(db, _settings(tmp_path, f'api_users = ["{owner.upper()}"]'))
    by_others = query(
        db, "SELECT count(*) FROM audit_events WHERE source = 'api' AND user_email <> ?", [owner]
    )[0][0]
    assert (
        query(db, "SELECT count(*) FROM rule_violations WHERE rule = 'api_not_allowed'")[0][0]
        == by_others
    )


def test_a_change_inside_a_freeze_window_is_flagged(db: Path, tmp_path: Path):
    day: date = query(
        db, "SELECT CAST(timezone('UTC', max(time)) AS DATE) FROM audit_events WHERE source = 'ui'"
    )[0][0]
    _apply(db, _settings(tmp_path, f'freeze_windows = ["release: {day.isoformat()}"]'))
    frozen = {
        e for (e,) in query(db, "SELECT event_id FROM rule_violations WHERE rule = 'freeze_window'")
    }
    expected = {e for (e,) in query(
        db, "SELECT event_id FROM audit_events WHERE source IS DISTINCT FROM 'system' "
        "AND CAST(timezone('UTC', time) AS DATE) = ?", [day])}  # fmt: skip
    assert frozen == expected and frozen
    detail = query(db, "SELECT detail FROM rule_violations WHERE rule = 'freeze_window' LIMIT 1")[
        0
    ][0]
    assert detail == f"inside the freeze window release ({day} to {day}, UTC)"


def test_changes_that_always_need_a_ticket_are_flagged_without_one(db: Path, tmp_path: Path):
    integration_id, name = query(
        db, "SELECT integration_id, any_value(n.name) FROM audit_events AS e "
        "JOIN integrations AS n USING (account, integration_id) GROUP BY ALL ORDER BY count(*) DESC LIMIT 1",
    )[0]  # fmt: skip
    _apply(
        db,
        _settings(
            tmp_path,
            f'ticket_required_types = ["connection"]\nticket_required_integrations = ["{name.upper()}"]',
        ),
    )
    missing = {
        e
        for (e,) in query(db, "SELECT event_id FROM rule_violations WHERE rule = 'ticket_missing'")
    }
    expected = {e for (e,) in query(
        db, "SELECT event_id FROM audit_events WHERE source IS DISTINCT FROM 'system' "
        "AND (resource_type = 'connection' OR list_contains(integration_ids, ?))", [integration_id])}  # fmt: skip
    assert missing == expected
    assert (
        query(db, "SELECT count(*) FROM audit_events WHERE resource_type = 'connection'")[0][0] > 0
    )


def test_evidence_keeps_the_rules_in_force_unless_the_settings_name_some(
    db: Path, tmp_path: Path, capsys, monkeypatch
):
    _apply(db, _settings(tmp_path, 'business_timezone = "Europe/Berlin"'))
    run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
        "--out",
        str(tmp_path / "a"),
    )
    assert query(db, "SELECT business_timezone FROM rules WHERE in_force") == [("Europe/Berlin",)]
    monkeypatch.setenv("FLOWAUDIT_BUSINESS_TIMEZONE", "Asia/Tokyo")
    run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
        "--out",
        str(tmp_path / "b"),
    )
    assert query(db, "SELECT business_timezone FROM rules WHERE in_force") == [("Asia/Tokyo",)]
    assert '"business_timezone": "Asia/Tokyo"' in (tmp_path / "b" / "rules.json").read_text()


def test_the_audit_page_says_when_the_settings_differ_from_the_rules_in_force(
    db: Path, tmp_path: Path
):
    from flowaudit.report.audit_page import build_audit_page, fetch_audit_data
    from flowaudit.report.contexts import Page

    con = connect(db, read_only=True)
    try:
        same = fetch_audit_data(con, "default", RuleSet.from_settings(Settings()), None)
        other = fetch_audit_data(
            con, "default", RuleSet.from_settings(Settings(business_timezone="Asia/Tokyo")), None
        )
    finally:
        con.close()
    page = Page("Audit", "default", generated_at=None, data_as_of=None)
    assert build_audit_page(same, page, since=None, history={}).rules_note == ""
    assert (
        "differ from the rules in force"
        in build_audit_page(other, page, since=None, history={}).rules_note
    )
