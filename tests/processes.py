"""Helpers to run ``python -m bot`` as a real process against the fakes (not a test module).

The bot reaches the fakes only through the settings a deployment uses (SLACK_API_URL, BRAZE_REST_ENDPOINT,
DATABASE_URL, SLACK_APP_TOKEN), so what these tests see is what an operator's process does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from fakes.braze import SampleBraze
from fakes.settings import BOT_TOKEN, BRAZE_KEY, SIGNING_SECRET
from fakes.signing import FORM, JSON, block_action_body, event_body, post_signed, slash_command_body
from fakes.slack import SlackFake

REPO = Path(__file__).resolve().parent.parent
#: Prefixes of every variable sendstats reads; a developer's own values must not leak into the process.
OURS = ("SLACK_", "BRAZE_", "DATABASE_", "PORT", "SCHEDULER", "LOG_LEVEL", "DIGEST_", "RENDER_", "REPORT_", "STOP_")
#: Slack's own wait for an ack: a request to the bot that takes longer counts as unanswered.
SLACK_ACK_TIMEOUT = 3.0


def clean_env(**settings: str) -> dict[str, str]:
    """This machine's environment minus anything sendstats reads, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env["PYTHONPATH"] = str(REPO)
    env.update(settings)
    return env


def process_env(slack: SlackFake, braze: SampleBraze, database_url: str, **extra: str) -> dict[str, str]:
    """This machine's environment minus anything sendstats reads, plus settings pointing at the fakes."""
    env = clean_env()
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        BRAZE_API_KEY=BRAZE_KEY,
        BRAZE_REST_ENDPOINT=braze.url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServedBot:
    """``python -m bot`` in a subprocess on a free $PORT, its log kept for assertions."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._out = log.open("ab")
        env = {**env, "PORT": str(self.port)}
        out = self._out
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=cwd, stdout=out, stderr=out)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        """Until ``GET /healthz`` answers 200 (fails at once if the process exits)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"bot exited early:\n{self.log.read_text()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"bot not ready in {timeout}s:\n{self.log.read_text()}")

    def command(
        self,
        text: str,
        user: str = "U1",
        response_url: str | None = None,
        *,
        channel: str = "C_PUBLIC",
        timeout: float = 10,
    ) -> httpx.Response:
        """A signed ``/sendstats`` to this process, as Slack sends it (``timeout``: see
        :data:`SLACK_ACK_TIMEOUT`)."""
        body = slash_command_body(
            text, user_id=user, channel_id=channel, response_url=response_url or "https://hooks.invalid/none"
        )
        return post_signed(f"{self.url}/slack/events", body, SIGNING_SECRET, FORM, timeout=timeout)

    def event(self, event: dict[str, Any], *, timeout: float = 10) -> httpx.Response:
        """A signed Events API callback carrying ``event``."""
        return post_signed(f"{self.url}/slack/events", event_body(event), SIGNING_SECRET, JSON, timeout=timeout)

    def interact(self, payload: dict[str, Any], *, timeout: float = 10) -> httpx.Response:
        """A signed interactivity request (buttons, options, modal submissions)."""
        body = block_action_body(payload)
        return post_signed(f"{self.url}/slack/events", body, SIGNING_SECRET, FORM, timeout=timeout)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a platform stops a process; the exit code (a process still running after
        ``timeout`` is killed, and the test sees a non-zero code)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._out.close()
