"""The accounts file is checked once, like the other settings: one line, exit 3, and never a
token, wherever in the file it was pasted."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowaudit.accounts.file import plan_accounts
from flowaudit.accounts.labels import label_problem
from flowaudit.config import REGIONS, resolve_settings
from flowaudit.errors import ConfigError, ExitCode
from flowaudit.secrets import scrub

TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90"  # looks like an integrator.io token
ENV = {"PROD_TOKEN": "prod-token-123456", "SANDBOX_TOKEN": "sandbox-token-654321"}


def _plan(tmp_path: Path, text: str, *, environ=None, **kwargs):
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    base = resolve_settings(
        {"db": tmp_path / "all.duckdb", "out": tmp_path / "reports"}, environ={}
    )
    return plan_accounts(path, base, environ=ENV if environ is None else environ, **kwargs)


def test_each_account_gets_its_own_api_token_limits_database_and_report_folder(tmp_path: Path):
    token_file = tmp_path / "eu.token"
    token_file.write_text("eu-token-abcdef\n")
    plan = _plan(tmp_path, f"""
[accounts.prod]
api_url = "https://api.integrator.io/v1"
token_env = "PROD_TOKEN"
rate = 100
concurrency = 8

[accounts.eu-sandbox]
region = "eu"
token_file = "{token_file}"
""")  # fmt: skip
    prod, eu = plan.accounts
    assert (prod.account, prod.api_url, prod.rate, prod.concurrency) == (
        "prod",
        REGIONS["na"],
        100.0,
        8,
    )
    assert prod.require_token().reveal() == ENV["PROD_TOKEN"]
    assert (eu.account, eu.api_url, eu.rate, eu.concurrency) == (
        "eu-sandbox",
        REGIONS["eu"],
        150.0,
        12,
    )
    assert eu.require_token().reveal() == "eu-token-abcdef"
    assert prod.db == eu.db == tmp_path / "all.duckdb" and plan.databases == [prod.db]
    assert (prod.out, eu.out, plan.out) == (
        tmp_path / "reports/prod",
        tmp_path / "reports/eu-sandbox",
        tmp_path / "reports",
    )


def test_db_per_account_gives_each_account_its_own_file(tmp_path: Path):
    plan = _plan(tmp_path, '[accounts.prod]\ntoken_env = "PROD_TOKEN"\n[accounts.sandbox]\ntoken_env = "SANDBOX_TOKEN"\n',
                 db_per_account=tmp_path / "dbs")  # fmt: skip
    assert [s.db for s in plan.accounts] == [
        tmp_path / "dbs/prod.duckdb",
        tmp_path / "dbs/sandbox.duckdb",
    ]
    assert plan.databases == [s.db for s in plan.accounts]


def test_without_tokens_needed_the_variables_need_not_be_set(tmp_path: Path):
    plan = _plan(
        tmp_path, '[accounts.prod]\ntoken_env = "PROD_TOKEN"\n', environ={}, need_tokens=False
    )
    assert plan.labels == ["prod"] and plan.accounts[0].token is None


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "no account"),
        ("[flowaudit]\ndb = 'x'\n", "only [accounts.<label>] tables"),
        ("accounts = 3\n", "no account"),
        ("[accounts]\nprod = 3\n", "must be a table"),
        ("[accounts.prod]\n", "exactly one of token_file"),
        (
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\ntoken_file = "/x"\n',
            "exactly one of token_file",
        ),
        (
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\nrate = 0\n',
            "invalid value for rate (must be between",
        ),
        (
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\nconcurrency = 2.5\n',
            "invalid value for concurrency",
        ),
        ('[accounts.prod]\ntoken_env = "PROD_TOKEN"\nconcurrency = "8"\n', "a number is needed"),
        ('[accounts.prod]\ntoken_env = "PROD_TOKEN"\nregion = "mars"\n', "unknown region"),
        (
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\nregion = "eu"\napi_url = "https://x/v1"\n',
            "not both",
        ),
        (
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\napi_url = "ftp://x"\n',
            "invalid value for api_url",
        ),
        ('[accounts.prod]\ntoken_env = "PROD_TOKEN"\ntimeout = 3\n', "unknown key(s) 'timeout'"),
        ('[accounts.prod]\ntoken_env = "NOT_SET_ANYWHERE"\n', "not set or empty"),
        ('[accounts."prod eu"]\ntoken_env = "PROD_TOKEN"\n', "letters, digits"),
        ('[accounts.latest]\ntoken_env = "PROD_TOKEN"\n', "cannot be 'latest' or a date"),
        ('[accounts.2026-01-01]\ntoken_env = "PROD_TOKEN"\n', "cannot be 'latest' or a date"),
        (
            '[accounts.Prod]\ntoken_env = "PROD_TOKEN"\n[accounts.prod]\ntoken_env = "PROD_TOKEN"\n',
            "differ only in case",
        ),
        ("[accounts.prod\n", "not valid TOML"),
    ],
)
def test_a_bad_accounts_file_is_one_line_with_the_configuration_exit_code(
    tmp_path: Path, text: str, words: str
):
    with pytest.raises(ConfigError) as caught:
        _plan(tmp_path, text)
    assert words in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG and "\n" not in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        f'[accounts.prod]\ntoken = "{TOKEN}"\n',  # the token itself in the file
        f'[accounts.prod]\ntoken_env = "{TOKEN}"\n',  # pasted where the variable's name goes
        f'[accounts.prod]\ntoken_env = "{TOKEN} "\n',
        f'[accounts.prod]\ntoken_env = "PROD_TOKEN"\napi_url = "https://user:{TOKEN}@api.integrator.io/v1"\n',
        f'[accounts.prod]\ntoken_env = "PROD_TOKEN"\nrate = "{TOKEN}"\n',
        f'[accounts.prod]\ntoken_env = "PROD_TOKEN"\nregion = "{TOKEN}"\n',
        f'[accounts.prod]\ntoken_env = "PROD_TOKEN"\n{TOKEN} = 1\n',
    ],
)
def test_no_message_shows_a_token_pasted_anywhere_in_the_file(tmp_path: Path, text: str):
    with pytest.raises(ConfigError) as caught:
        _plan(tmp_path, text)
    assert TOKEN not in scrub(caught.value.message)
    assert TOKEN[:8] not in caught.value.message


def test_a_malformed_token_in_a_variable_is_refused_without_showing_it(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        _plan(
            tmp_path,
            '[accounts.prod]\ntoken_env = "PROD_TOKEN"\n',
            environ={"PROD_TOKEN": "two words-secret"},
        )
    assert "PROD_TOKEN" in caught.value.message and "account 'prod'" in caught.value.message
    assert "words-secret" not in scrub(caught.value.message)


@pytest.mark.parametrize("label", ["prod", "eu-sandbox", "customer_42", "A1"])
def test_labels_that_name_folders_and_partitions_everywhere_are_accepted(label: str):
    assert label_problem(label) is None


@pytest.mark.parametrize(
    "label", ["", "a/b", "a=b", "a b", ".hidden", "-x", "é", "x" * 65, "a.b", "latest"]
)
def test_labels_that_would_not_name_the_same_folder_everywhere_are_refused(label: str):
    assert label_problem(label) is not None
