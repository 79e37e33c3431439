"""Settings resolve once: flag > FLOWAUDIT_* environment > flowaudit.toml > default."""

from pathlib import Path

import pytest

from flowaudit.config import REGIONS, Settings, resolve_settings
from flowaudit.errors import ConfigError, ExitCode


def test_defaults_apply_when_nothing_is_set():
    settings = resolve_settings({}, environ={})
    assert settings == Settings()
    assert settings.token is None


def test_flag_beats_environment_beats_file_beats_default(tmp_path: Path):
    config = tmp_path / "flowaudit.toml"
    config.write_text('[flowaudit]\naccount = "from-file"\nconcurrency = 3\nrate = 50\n')
    env = {"FLOWAUDIT_ACCOUNT": "from-env", "FLOWAUDIT_CONCURRENCY": "5"}
    settings = resolve_settings({"account": "from-flag"}, environ=env, config_file=config)
    assert settings.account == "from-flag"
    assert settings.concurrency == 5
    assert settings.rate == 50.0


def test_config_file_in_the_working_directory_is_found(tmp_path: Path, monkeypatch):
    (tmp_path / "flowaudit.toml").write_text('db = "audit.duckdb"\n')
    monkeypatch.chdir(tmp_path)
    assert resolve_settings({}, environ={}).db == Path("audit.duckdb")


def test_region_presets_set_the_api_url():
    assert resolve_settings({"region": "eu"}, environ={}).api_url == REGIONS["eu"]
    assert resolve_settings({}, environ={"FLOWAUDIT_REGION": "na"}).api_url == REGIONS["na"]
    with pytest.raises(ConfigError, match="unknown region"):
        resolve_settings({"region": "mars"}, environ={})


def test_token_comes_from_the_environment_and_never_prints():
    settings = resolve_settings({}, environ={"FLOWAUDIT_TOKEN": "tok-123456"})
    assert settings.require_token().reveal() == "tok-123456"
    assert "tok-123456" not in repr(settings)
    assert "tok-123456" not in str(settings.token)


def test_token_file_beats_the_environment(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("file-token-abcdef\n")
    settings = resolve_settings(
        {"token_file": token_file}, environ={"FLOWAUDIT_TOKEN": "env-token-123"}
    )
    assert settings.require_token().reveal() == "file-token-abcdef"


def test_a_missing_token_is_a_config_error_with_its_exit_code():
    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, environ={}).require_token()
    assert caught.value.exit_code == ExitCode.CONFIG
    assert "FLOWAUDIT_TOKEN" in caught.value.message


def test_a_token_in_the_config_file_is_refused(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text('token = "oops-secret"\n')
    with pytest.raises(ConfigError, match="not allowed") as caught:
        resolve_settings({}, environ={}, config_file=config)
    assert "oops-secret" not in caught.value.message


@pytest.mark.parametrize(
    "content, message",
    [
        ("concurrency = 0\n", "invalid value for concurrency"),
        ("colour = 1\n", "unknown setting"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_files_are_named_in_one_line(tmp_path: Path, content: str, message: str):
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_settings({}, environ={}, config_file=config)
    assert "\n" not in caught.value.message


def test_an_unreadable_token_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read token file"):
        resolve_settings({"token_file": tmp_path / "missing"}, environ={})


def test_every_part_of_a_malformed_token_is_scrubbed_from_any_text():
    from flowaudit.secrets import scrub

    with pytest.raises(ConfigError) as caught:
        resolve_settings({}, environ={"FLOWAUDIT_TOKEN": "OLDPART-1234\nNEWPART-5678"})
    assert "PART" not in caught.value.message
    header_error = "Illegal header value b'Bearer OLDPART-1234\\nNEWPART-5678'"
    assert "PART" not in scrub(header_error)
    assert "PART" not in scrub("first OLDPART-1234, then NEWPART-5678")


@pytest.mark.parametrize(
    "content, message",
    [
        ("concurrency = true\n", "a whole number is needed"),
        ("concurrency = 2.5\n", "a whole number is needed"),
        ("retention_days = 1e9\n", "a whole number is needed"),
        ("timeout = nan\n", "a finite number is needed"),
        ("quiet = 3\n", "true or false"),
        ('volatile_fields = "a, b"\nregion = 7\n', "unknown region"),
        ("volatile_fields = [1, 2]\n", "a list of field names"),
        ('account = "  "\n', "an account label cannot be empty"),
        (
            'api_url = "https://user:pw@api.integrator.io/v1"\n',
            "no user, password, query or fragment",
        ),
    ],
)
def test_settings_from_the_file_are_checked_for_type_and_range(
    tmp_path: Path, content: str, message: str
):
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_settings({}, environ={}, config_file=config)
    assert caught.value.exit_code == ExitCode.CONFIG and "\n" not in caught.value.message


def test_the_new_limits_have_documented_defaults():
    settings = resolve_settings({}, environ={})
    assert (
        settings.clock_tolerance_seconds,
        settings.max_run_minutes,
        settings.max_response_mb,
    ) == (300.0, 120.0, 64.0)


def test_jobs_overlap_hours_has_a_default_a_range_and_must_cover_the_clock_tolerance():
    assert resolve_settings({}, environ={}).jobs_overlap_hours == 1.0
    assert resolve_settings({}, environ={"FLOWAUDIT_JOBS_OVERLAP_HOURS": "24"}).jobs_overlap_hours == 24.0
    with pytest.raises(ConfigError, match=r"jobs_overlap_hours: '1000' .*between 0 and 720"):
        resolve_settings({}, environ={"FLOWAUDIT_JOBS_OVERLAP_HOURS": "1000"})
    with pytest.raises(ConfigError, match=r"jobs_overlap_hours \(0 h, FLOWAUDIT_JOBS_OVERLAP_HOURS\) must cover"):
        resolve_settings({}, environ={"FLOWAUDIT_JOBS_OVERLAP_HOURS": "0"})


def test_captured_fields_and_store_captured_data_resolve_like_every_setting(tmp_path: Path):
    defaults = resolve_settings({}, environ={})
    assert defaults.captured_fields == ("sampleData", "mockResponse", "mockOutput", "rawData", "_headers")
    assert defaults.store_captured_data is False and defaults.scrub_policy.keep_captured is False
    config = tmp_path / "flowaudit.toml"
    config.write_text('captured_fields = ["sampleData", "debugPayload"]\nstore_captured_data = true\n')
    settings = resolve_settings({}, environ={}, config_file=config)
    assert settings.scrub_policy.captured_fields == ("sampleData", "debugPayload")
    assert settings.scrub_policy.keep_captured is True
    env = {"FLOWAUDIT_CAPTURED_FIELDS": "rawData, _headers", "FLOWAUDIT_STORE_CAPTURED_DATA": "no"}
    settings = resolve_settings({}, environ=env, config_file=config)
    assert settings.captured_fields == ("rawData", "_headers") and settings.store_captured_data is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("FLOWAUDIT_CAPTURED_FIELDS", "sample.Data"), ("FLOWAUDIT_CAPTURED_FIELDS", "a b"),
     ("FLOWAUDIT_STORE_CAPTURED_DATA", "sometimes")],
)  # fmt: skip
def test_a_bad_captured_data_setting_is_a_config_error(name, value):
    with pytest.raises(ConfigError, match=name):
        resolve_settings({}, environ={name: value})


def test_max_in_flight_caps_every_account_of_a_run_together_and_is_checked():
    assert resolve_settings({}, environ={}).max_in_flight == 48
    assert resolve_settings({}, environ={"FLOWAUDIT_MAX_IN_FLIGHT": "8"}).max_in_flight == 8
    with pytest.raises(ConfigError, match="invalid value for max_in_flight"):
        resolve_settings({"max_in_flight": 0}, environ={})
