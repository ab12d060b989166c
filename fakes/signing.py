"""Build and sign requests exactly as Slack sends them to the bot.

Why: driving the bot over HTTP with correctly signed, realistically shaped bodies
exercises slack-bolt's signature verification and payload parsing, not a shortcut.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

# Loopback discard port: a forgotten response_url fails fast instead of reaching Slack.
# Pass ``SlackFake.new_response_url()`` for anything that should succeed.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers: ``v0=`` + hex HMAC-SHA256 of ``v0:{ts}:{body}``."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def slash_command_body(
    text: str,
    *,
    command: str = "/sendstats",
    channel_id: str = "C_PUBLIC",
    user_id: str = "U1",
    response_url: str = UNSET_RESPONSE_URL,
    team_id: str = "T1",
    trigger_id: str | None = None,
    channel_name: str = "general",
    user_name: str = "user1",
    team_domain: str = "sendstats-test",
    api_app_id: str = "A1",
) -> bytes:
    """Form-encoded slash command body with every field Slack sends."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode()


def event_body(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = "T1",
    api_app_id: str = "A1",
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> bytes:
    """JSON ``event_callback`` envelope (Events API); adds ``event_ts`` if missing."""
    now = int(time.time()) if event_time is None else event_time
    inner = {"event_ts": f"{now}.000100", **event}
    envelope = {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    return json.dumps(envelope).encode()


def block_actions_payload(
    action_id: str,
    *,
    value: str | None = None,
    block_id: str = "b1",
    user_id: str = "U1",
    channel_id: str = "C_PUBLIC",
    message_ts: str = "1700000000.000100",
    response_url: str = UNSET_RESPONSE_URL,
    team_id: str = "T1",
    api_app_id: str = "A1",
) -> dict[str, Any]:
    """A realistic ``block_actions`` payload for a button click on a bot message."""
    action: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": action_id},
        "action_ts": f"{int(time.time())}.000200",
    }
    if value is not None:
        action["value"] = value
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "sendstats-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": {"type": "message", "user": "UBOT", "bot_id": "BBOT", "ts": message_ts, "text": ""},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def block_suggestion_payload(
    view: dict[str, Any],
    action_id: str,
    value: str,
    *,
    block_id: str | None = None,
    user_id: str = "U1",
    team_id: str = "T1",
    api_app_id: str = "A1",
) -> dict[str, Any]:
    """The options request Slack sends while someone types into an ``external_select`` of an open modal."""
    return {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "api_app_id": api_app_id,
        "token": "legacy-verification-token",
        "action_id": action_id,
        "block_id": block_id or action_id,
        "value": value,
        "team": {"id": team_id, "domain": "sendstats-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
    }


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = "U1",
    team_id: str = "T1",
    api_app_id: str = "A1",
) -> dict[str, Any]:
    """A ``view_submission``: the opened view with the entered ``state.values`` (block id → action id → value)."""
    submitted = {**view, "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "sendstats-test"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "legacy-verification-token",
        "trigger_id": _trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_action_body(payload: dict[str, Any]) -> bytes:
    """Form-encoded ``payload=<json>`` body, as Slack posts interactivity requests."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def post_signed(
    url: str,
    body: bytes,
    secret: str,
    content_type: str,
    *,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> httpx.Response:
    """POST ``body`` to the bot with Slack's signature headers (``timeout``: Slack's own is 3 s)."""
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        **sign(body, secret, timestamp),
        **(extra_headers or {}),
    }
    return httpx.post(url, content=body, headers=headers, timeout=timeout)
