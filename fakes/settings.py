"""The fakes' shared settings: test credentials and bot settings pointed at the fakes on 127.0.0.1.

Used by the tests, the bench and the demo alike, so all three build the bot the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings
from fakes.braze import SampleBraze
from fakes.slack import SlackFake

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
BRAZE_KEY = "sample-braze-key-do-not-leak"
CAMPAIGN, SEND = "cmp-spring", "send-0001"


def make_settings(slack: SlackFake, braze: SampleBraze, db_path: Path, **extra: Any) -> Settings:
    """Settings pointing at the fakes; ``_env_file=None`` keeps a developer's .env out of tests."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.base_url,
        "braze_api_key": BRAZE_KEY,
        "braze_rest_endpoint": braze.url,
        "database_url": f"sqlite:///{db_path}",
        "render_processes": 1,
        "scheduler": "off",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
