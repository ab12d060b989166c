"""The Bolt app factory: a Slack client with retries, request verification, and the listeners."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from handlers.deps import Deps
from handlers.listeners import actions, commands, home, mentions, options, views


def make_slack_client(token: str, base_url: str) -> WebClient:
    """A WebClient that waits out 429s (``Retry-After``) and retries transient failures."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=20,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(client: WebClient, signing_secret: str, deps: Deps, *, verify_token: bool = True) -> App:
    """Build the Bolt app. Bolt checks every request's ``v0`` signature and 5-minute timestamp window."""
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
    return app
