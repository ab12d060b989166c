"""The fakes' shared credentials, and the bot's settings that point at the fakes on 127.0.0.1.

Used by the tests, the bench and the demo alike, so all three build the bot the same way. Like every
module of ``fakes``, this one imports nothing of the shipped code: it hands over plain values, and the
caller (a test or bench helper) builds ``bot.config.Settings`` from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakes.braze import SampleBraze
from fakes.slack import SlackFake

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
BRAZE_KEY = "sample-braze-key-do-not-leak"
CAMPAIGN, SEND = "cmp-spring", "send-0001"


def settings_values(slack: SlackFake, braze: SampleBraze, db_path: Path, **extra: Any) -> dict[str, Any]:
    """The bot's settings (by field name) pointing at the fakes, for ``Settings(_env_file=None, **values)``
    (``_env_file=None`` keeps a developer's .env out of tests)."""
    return {
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
