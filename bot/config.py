"""Settings from the environment or ``.env``, validated once at start.

A bad or missing setting stops the start with one message that names every problem, so a newcomer
fixes them in one pass. Secrets are ``SecretStr`` and never appear in a repr or a log line.
"""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
HELP_POINTERS = (
    "Copy .env.example to .env and fill it in (each setting is explained there). "
    "Create the Slack app from manifest.yml to get the Slack values; docs/operations.md walks through both."
)


#: Most chart workers started by default: each holds ~75 MB, and more than 4 has not been measured.
MAX_DEFAULT_RENDER_PROCESSES = 4


def default_render_processes() -> int:
    """One chart worker per CPU core, at most :data:`MAX_DEFAULT_RENDER_PROCESSES`."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_RENDER_PROCESSES))


def _check_url(value: str, name: str) -> str:
    """https everywhere, plain http only for fakes on this machine."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be a URL like https://…")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{name} must use https (plain http is allowed only for 127.0.0.1)")
    return value.strip()


class DatabaseSettings(BaseSettings):
    """The one setting ``python -m bot db`` needs, so an operator can migrate without Slack or Braze keys."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///sendstats.db"


class Settings(DatabaseSettings):
    """Everything sendstats reads from its environment (see ``.env.example``)."""

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    braze_api_key: SecretStr
    braze_rest_endpoint: str
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    port: int = Field(default=3000, ge=1, le=65535)
    #: "off" for Procfile ``web`` processes when a separate ``clock`` process runs the digests.
    scheduler: Literal["on", "off"] = "on"
    digest_timezone: str = "UTC"
    #: Processes that parse, summarise and draw reports, so that CPU work never holds the GIL of the
    #: process that acks Slack. 0 does it in the job threads (only for comparison; acks then suffer).
    #: Default: one per core, at most 4.
    render_processes: int = Field(default_factory=default_render_processes, ge=0, le=8)
    #: Threads that fetch from Braze and deliver to Slack after the ack.
    report_workers: int = Field(default=4, ge=1, le=64)
    #: How often the catalogue re-reads Braze's campaign and Canvas lists (where the scheduler runs).
    catalogue_refresh_minutes: float = Field(default=15, gt=0, le=1440)
    #: Most of Braze's hourly API budget (250,000 calls per workspace, shared with every tool using the
    #: workspace's REST API) catalogue refreshes may spend; a refresh that would pass it stops and goes on
    #: later. 0.05: 12,500 calls an hour, about 1.25 million list entries.
    braze_catalogue_budget_share: float = Field(default=0.05, gt=0, le=1)
    #: The company's time zone as set in Braze (Company Settings): Braze aggregates Canvas days in it.
    braze_company_timezone: str = "UTC"
    #: A digest claim is a lease renewed every third of this while its process works; a dead process's
    #: digests are taken over this long after its last heartbeat (60 s: resumed within 2 minutes).
    digest_lease_seconds: float = Field(default=60.0, gt=0, le=600)
    #: How often the scheduler sweeps: resumes digests of dead processes, retries failures, gives up
    #: days that have ended.
    digest_sweep_seconds: float = Field(default=60.0, gt=0, le=3600)
    #: How often the scheduler checks alerts (today so far, and each day once complete).
    alert_check_minutes: float = Field(default=60.0, gt=0, le=1440)
    #: How long ``python -m bot digest`` waits for digests another live process is posting.
    digest_wait_seconds: float = Field(default=300.0, ge=0, le=3600)
    #: A round uploads each distinct digest chart once, privately, and shows it in every digest's thread
    #: by its file id. False: each digest uploads its own copy into its thread (three ``files.*`` calls
    #: per digest), as a digest whose channel refuses the shared chart does anyway.
    digest_shared_charts: bool = True
    #: How long a digest's Slack call waits for an answer; after that its outcome is unknown, and it is
    #: looked up in the channel before any re-post.
    slack_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    #: After SIGTERM, how long the process may take to stop, in all. Work in flight finishes within it;
    #: its last seconds tell the requesters of what could not finish to run it again; then the process
    #: exits whatever still runs. Keep it under the platform's kill timeout (Heroku: 30 s).
    stop_grace_seconds: float = Field(default=25.0, ge=2, le=600)
    #: The look-ups in a channel's history (``conversations.history`` and ``conversations.replies``) that
    #: tell whether a digest or its chart landed after a lost answer: how many calls a minute, and how many
    #: messages each reads. Slack's Tier 3 (50 a minute) and 100 messages by default; an app distributed
    #: outside the Slack Marketplace gets 1 call a minute and at most 15 messages, so set 1 and 15 there.
    slack_history_calls_per_minute: float = Field(default=50.0, gt=0, le=1000)
    slack_history_limit: int = Field(default=100, ge=1, le=999)
    #: After an upload whose answer was lost, how long the chart look-up keeps looking before it decides
    #: the upload did not land: Slack shares a file only once it has processed it, seconds later.
    slack_share_wait_seconds: float = Field(default=15.0, ge=0, le=120)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN must be the Bot User OAuth Token (starts with xoxb-)")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token (starts with xapp-) or unset")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url(cls, value: str) -> str:
        value = _check_url(value, "SLACK_API_URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("braze_rest_endpoint")
    @classmethod
    def _braze_url(cls, value: str) -> str:
        value = _check_url(value, "BRAZE_REST_ENDPOINT").rstrip("/")
        if urlsplit(value).path not in ("", "/"):
            raise ValueError("BRAZE_REST_ENDPOINT must be the bare REST endpoint, e.g. https://rest.iad-01.braze.com")
        return value

    @field_validator("digest_timezone", "braze_company_timezone")
    @classmethod
    def _zone(cls, value: str, info: ValidationInfo) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            name = (info.field_name or "").upper()
            raise ValueError(f"{name} {value!r} is not an IANA time zone such as Europe/Berlin") from exc
        return value

    def secrets(self) -> list[str]:
        """Values that must never reach a log line (used by the log redaction filter)."""
        found = [self.slack_bot_token, self.slack_signing_secret, self.braze_api_key, self.slack_app_token]
        return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]


class SettingsError(Exception):
    """Settings are missing or malformed; the message names each one and how to fix it."""


def describe(error: ValidationError) -> str:
    """One readable paragraph naming every missing or malformed setting (never their values)."""
    missing, malformed = [], []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        if item["type"] == "missing":
            missing.append(name)
        else:
            reason = str(item.get("msg", "invalid")).removeprefix("Value error, ")
            malformed.append(f"  - {name}: {reason}")
    lines = []
    if missing:
        lines.append("sendstats cannot start: missing settings " + ", ".join(missing) + ".")
    if malformed:
        lines.append(("sendstats cannot start: " if not missing else "") + "malformed settings:")
        lines.extend(malformed)
    lines.append(HELP_POINTERS)
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's error into a :class:`SettingsError` people can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
