"""Settings: every problem named at once, never a secret echoed, URLs held to https."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import Settings, SettingsError, default_render_processes, describe, load_settings

BOT_TOKEN = "xoxb-1111-2222-SECRETBOT"
SIGNING_SECRET = "signing-SECRET-0123456789abcdef"
APP_TOKEN = "xapp-1-SECRETAPP"
BRAZE_KEY = "braze-SECRET-key-6a1f"
REQUIRED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "BRAZE_API_KEY", "BRAZE_REST_ENDPOINT")


def valid(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "braze_api_key": BRAZE_KEY,
        "braze_rest_endpoint": "https://rest.iad-01.braze.com",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting may come from the machine running the tests: no env vars, and no .env in the cwd."""
    import os

    names = {name.upper() for name in Settings.model_fields}
    for key in list(os.environ):
        if key.upper() in names:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def settings_error(**values: Any) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, **values)
    return str(info.value)


# -- valid settings -------------------------------------------------------------------------------------


def test_minimal_valid_settings_and_defaults() -> None:
    s = Settings(_env_file=None, **valid())
    assert s.slack_bot_token.get_secret_value() == BOT_TOKEN
    assert s.braze_rest_endpoint == "https://rest.iad-01.braze.com"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.slack_app_token is None
    assert (s.port, s.log_level, s.scheduler, s.digest_timezone) == (3000, "INFO", "on", "UTC")
    assert s.database_url == "sqlite:///sendstats.db"
    assert (s.render_processes, s.report_workers) == (default_render_processes(), 4)


@pytest.mark.parametrize(("cores", "expected"), [(None, 1), (1, 1), (2, 2), (4, 4), (64, 4)])
def test_render_processes_default_to_the_cores_capped(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, expected: int
) -> None:
    monkeypatch.setattr("bot.config.os.cpu_count", lambda: cores)
    assert Settings(_env_file=None, **valid()).render_processes == expected


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("BRAZE_API_KEY", BRAZE_KEY)
    monkeypatch.setenv("BRAZE_REST_ENDPOINT", "https://rest.fra-01.braze.eu/")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("DIGEST_TIMEZONE", "Europe/Berlin")
    s = load_settings(_env_file=None)
    assert s.braze_api_key.get_secret_value() == BRAZE_KEY
    assert s.braze_rest_endpoint == "https://rest.fra-01.braze.eu"
    assert s.port == 8080
    assert s.digest_timezone == "Europe/Berlin"


def test_values_come_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\nBRAZE_API_KEY={BRAZE_KEY}\n"
        "BRAZE_REST_ENDPOINT=https://rest.iad-01.braze.com\nSOMETHING_ELSE=ignored\n",
        encoding="utf-8",
    )
    s = load_settings()  # reads ./.env (the test's temporary directory)
    assert s.slack_signing_secret.get_secret_value() == SIGNING_SECRET


def test_secrets_are_hidden_in_repr_and_dumps_but_listed_for_redaction() -> None:
    s = Settings(_env_file=None, **valid(slack_app_token=APP_TOKEN))
    shown = repr(s) + str(s) + s.model_dump_json()
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, BRAZE_KEY):
        assert secret not in shown
    assert sorted(s.secrets()) == sorted([BOT_TOKEN, SIGNING_SECRET, BRAZE_KEY, APP_TOKEN])


def test_an_empty_app_token_means_unset() -> None:
    s = Settings(_env_file=None, **valid(slack_app_token=""))
    assert s.slack_app_token is None
    assert sorted(s.secrets()) == sorted([BOT_TOKEN, SIGNING_SECRET, BRAZE_KEY])


# -- missing settings ------------------------------------------------------------------------------------


def test_missing_settings_are_all_named_with_pointers() -> None:
    message = settings_error()
    first = message.splitlines()[0]
    assert first.startswith("sendstats cannot start: missing settings ")
    for name in REQUIRED:
        assert name in first
    assert ".env.example" in message
    assert "manifest.yml" in message
    assert "malformed" not in message


def test_only_the_missing_ones_are_named() -> None:
    message = settings_error(**valid(braze_rest_endpoint=None, slack_signing_secret=None))
    first = message.splitlines()[0]
    assert first == "sendstats cannot start: missing settings SLACK_SIGNING_SECRET, BRAZE_REST_ENDPOINT."
    assert "SLACK_BOT_TOKEN" not in message and "BRAZE_API_KEY" not in message
    assert BOT_TOKEN not in message and BRAZE_KEY not in message


# -- malformed settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "name", "secret"),
    [
        ({"slack_bot_token": "xoxp-user-SECRETUSERTOKEN"}, "SLACK_BOT_TOKEN", "SECRETUSERTOKEN"),
        ({"slack_bot_token": "SECRETNOPREFIX"}, "SLACK_BOT_TOKEN", "SECRETNOPREFIX"),
        ({"slack_app_token": "xoxb-SECRETWRONGAPP"}, "SLACK_APP_TOKEN", "SECRETWRONGAPP"),
    ],
)
def test_malformed_tokens_are_named_without_their_values(overrides: dict[str, str], name: str, secret: str) -> None:
    message = settings_error(**valid(**overrides))
    assert message.startswith("sendstats cannot start: malformed settings:")
    assert f"  - {name}: {name} must be" in message
    assert secret not in message
    for other in (SIGNING_SECRET, BRAZE_KEY):
        assert other not in message
    assert ".env.example" in message and "manifest.yml" in message


def test_bot_token_rule_mentions_the_expected_prefix() -> None:
    message = settings_error(**valid(slack_bot_token="xoxp-nope-SECRET"))
    assert "xoxb-" in message and "Bot User OAuth Token" in message


def test_missing_and_malformed_together() -> None:
    message = settings_error(
        slack_bot_token="xoxp-SECRETX", braze_api_key=BRAZE_KEY, braze_rest_endpoint="http://rest.iad-01.braze.com"
    )
    lines = message.splitlines()
    assert lines[0] == "sendstats cannot start: missing settings SLACK_SIGNING_SECRET."
    assert lines[1] == "malformed settings:"
    assert any(line.startswith("  - SLACK_BOT_TOKEN: ") for line in lines)
    assert any(line.startswith("  - BRAZE_REST_ENDPOINT: ") and "https" in line for line in lines)
    assert "SECRETX" not in message and BRAZE_KEY not in message


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://rest.iad-01.braze.com", "must use https"),
        ("http://127.0.0.2:8080", "must use https"),
        ("http://127.0.0.1.nip.io", "must use https"),
        ("http://127.0.0.1@evil.example", "must use https"),
        ("ftp://rest.iad-01.braze.com", "must be a URL"),
        ("rest.iad-01.braze.com", "must be a URL"),
        ("https://", "must be a URL"),
        ("", "must be a URL"),
        ("https://rest.iad-01.braze.com/api/v1", "bare REST endpoint"),
        ("https://dashboard-01.braze.com/dashboard", "bare REST endpoint"),
    ],
)
def test_malformed_braze_endpoints(endpoint: str, reason: str) -> None:
    message = settings_error(**valid(braze_rest_endpoint=endpoint))
    (line,) = [line for line in message.splitlines() if line.startswith("  - BRAZE_REST_ENDPOINT: ")]
    assert reason in line


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://slack.com/api", "must use https"),
        ("http://10.0.0.5:9000/api/", "must use https"),
        ("slack.com/api", "must be a URL"),
        ("javascript:alert(1)", "must be a URL"),
    ],
)
def test_malformed_slack_api_urls(url: str, reason: str) -> None:
    message = settings_error(**valid(slack_api_url=url))
    (line,) = [line for line in message.splitlines() if line.startswith("  - SLACK_API_URL: ")]
    assert reason in line


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://user@127.0.0.1:81"]
)
def test_plain_http_is_allowed_for_this_machine_only(endpoint: str) -> None:
    assert Settings(_env_file=None, **valid(braze_rest_endpoint=endpoint)).braze_rest_endpoint == endpoint
    assert Settings(_env_file=None, **valid(slack_api_url=endpoint)).slack_api_url == endpoint + "/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://slack.com/api", "https://slack.com/api/"),
        ("https://slack.com/api/", "https://slack.com/api/"),
        ("  https://slack.com/api  ", "https://slack.com/api/"),
        ("http://127.0.0.1:9999", "http://127.0.0.1:9999/"),
        ("http://127.0.0.1:9999/api", "http://127.0.0.1:9999/api/"),
    ],
)
def test_slack_api_url_always_ends_with_one_slash(given: str, expected: str) -> None:
    assert Settings(_env_file=None, **valid(slack_api_url=given)).slack_api_url == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://rest.iad-01.braze.com/", "https://rest.iad-01.braze.com"),
        ("https://rest.iad-01.braze.com//", "https://rest.iad-01.braze.com"),
        (" https://rest.iad-01.braze.com ", "https://rest.iad-01.braze.com"),
        ("http://127.0.0.1:4010/", "http://127.0.0.1:4010"),
    ],
)
def test_braze_endpoint_loses_its_trailing_slash(given: str, expected: str) -> None:
    assert Settings(_env_file=None, **valid(braze_rest_endpoint=given)).braze_rest_endpoint == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "CEST", "../etc/passwd", "Europe/Berlin "])
def test_unknown_time_zone_is_named(zone: str) -> None:
    message = settings_error(**valid(digest_timezone=zone))
    (line,) = [line for line in message.splitlines() if line.startswith("  - DIGEST_TIMEZONE: ")]
    assert "is not an IANA time zone such as Europe/Berlin" in line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("port", 70000),
        ("port", "http"),
        ("log_level", "VERBOSE"),
        ("scheduler", "maybe"),
        ("render_processes", 9),
        ("report_workers", 65),
    ],
)
def test_out_of_range_or_unknown_values_are_named(field: str, value: Any) -> None:
    message = settings_error(**valid(**{field: value}))
    assert message.startswith("sendstats cannot start: malformed settings:")
    assert f"  - {field.upper()}: " in message
    for secret in (BOT_TOKEN, SIGNING_SECRET, BRAZE_KEY):
        assert secret not in message


def test_describe_never_includes_input_values() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(
            _env_file=None,
            slack_bot_token="xoxa-SECRETONE",
            slack_signing_secret=SIGNING_SECRET,
            braze_api_key=BRAZE_KEY,
            braze_rest_endpoint="http://SECRETHOST.example/x",
            port="SECRETPORT",
        )
    text = describe(info.value)
    assert "SECRETONE" not in text and "SECRETPORT" not in text and "SECRETHOST" not in text
    assert {"SLACK_BOT_TOKEN", "BRAZE_REST_ENDPOINT", "PORT"} <= {
        line.split(":")[0].removeprefix("  - ") for line in text.splitlines() if line.startswith("  - ")
    }


def test_settings_error_hides_pydantic_traceback_context() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None)
    assert info.value.__cause__ is None and info.value.__suppress_context__
