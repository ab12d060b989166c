"""The Bolt app factory: a Slack client with retries, request verification, and the listeners."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

from handlers.adapter.ratelimit import PacedWebClient
from handlers.deps import Deps
from handlers.listeners import actions, channels, commands, home, mentions, options, views


def make_slack_client(
    token: str, base_url: str, *, rates: dict[str, tuple[float, int]] | None = None
) -> PacedWebClient:
    """A WebClient paced to Slack's tiers that waits out 429s (``Retry-After``, the whole bucket held)
    and retries transient failures. 429s are the client's own business (``PacedWebClient``), not a
    retry handler's, so the bucket learns of them. ``rates`` overrides methods' tiers (calls per second,
    burst)."""
    return PacedWebClient(
        token=token,
        base_url=base_url,
        rates=rates,
        timeout=20,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(client: WebClient, signing_secret: str, deps: Deps, *, verify_token: bool = True) -> App:
    """Build the Bolt app. Bolt checks every request's ``v0`` signature and 5-minute timestamp window.

    Settings are the one reader of SLACK_BOT_TOKEN: Bolt's ``App`` falls back to that environment variable
    whenever no ``token`` is passed, even beside a ``client`` built with it, and then warns at every start
    that the token will be unused. The client carries the token, so the variable leaves the environment
    (which also keeps it from child processes).
    """
    os.environ.pop("SLACK_BOT_TOKEN", None)
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=verify_token,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="bolt"),
    )
    commands.register(app, deps)
    mentions.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    options.register(app, deps)
    views.register(app, deps)
    channels.register(app, deps)
    return app
