"""A hostile client at the real endpoint: malformed bodies, bad timestamps, dripping connections.

Every malformed request gets a 4xx and one WARNING line without a traceback; a signed but malformed
payload never reaches a listener (the Slack fake sees no call); 150 connections that drip header lines
leave ``/healthz`` and real commands answered.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from fakes.signing import FORM, JSON, block_actions_payload, post_signed, sign
from tests.harness import CAMPAIGN, SEND, SIGNING_SECRET, BotUnderTest

SIGNED_MALFORMED = {
    "JSON that does not parse": (b"{not json", JSON),
    "a payload that does not parse": (b"payload=%7Bnot+json", FORM),
    "invalid UTF-8": (b"text=\xff\xfe&command=%2Fsendstats", FORM),
    "a JSON array": (b"[1, 2, 3]", JSON),
    "a payload that is a string": (urlencode({"payload": json.dumps("just a string")}).encode(), FORM),
    "block_actions without actions": (
        urlencode({"payload": json.dumps({**block_actions_payload("sendstats_rerun_7"), "actions": []})}).encode(),
        FORM,
    ),
    "JSON 100,000 brackets deep": (b"[" * 100_000, JSON),
    "an event_callback without an event": (json.dumps({"type": "event_callback"}).encode(), JSON),
    "a form that is neither command nor payload": (b"hello=world", FORM),
}


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.server" and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("case", list(SIGNED_MALFORMED))
def test_malformed_body_signed_or_not_is_4xx_logged_once_and_never_reaches_a_listener(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, content_type = SIGNED_MALFORMED[case]
    caplog.set_level(logging.INFO)
    for secret, expected in ((SIGNING_SECRET, 400), ("not-the-secret", 401)):
        caplog.clear()
        response = post_signed(f"{bot.url}/slack/events", body, secret, content_type)
        assert response.status_code == expected, (case, response.text)
        [line] = warnings_of(caplog)
        assert line.levelno == logging.WARNING and line.exc_info is None
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    bot.idle()
    assert bot.slack.calls == []  # no listener ran: nothing was acknowledged, posted or looked up


@pytest.mark.parametrize("timestamp", ["soon", "", "1e9", "-5", "9" * 40])
def test_non_numeric_or_odd_timestamp_is_401_not_500(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    caplog.set_level(logging.INFO)
    body = urlencode({"command": "/sendstats", "text": "help"}).encode()
    headers = {**sign(body, SIGNING_SECRET), "X-Slack-Request-Timestamp": timestamp, "Content-Type": FORM}
    response = httpx.post(f"{bot.url}/slack/events", content=body, headers=headers, timeout=10)
    assert response.status_code == 401
    [line] = warnings_of(caplog)
    assert line.exc_info is None


def test_wrong_method_path_and_content_type_are_4xx(bot: BotUnderTest) -> None:
    assert httpx.get(f"{bot.url}/slack/events", timeout=10).status_code == 405
    assert httpx.get(f"{bot.url}/wp-admin", timeout=10).status_code == 404
    response = post_signed(f"{bot.url}/slack/events", b"<xml/>", SIGNING_SECRET, "text/xml")
    assert response.status_code == 415


class Drippers:
    """Connections that send a request's header one line at a time and never finish it."""

    def __init__(self, port: int, count: int, every: float) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n")
            self.sockets.append(sock)
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        n = 0
        while not self._stop.wait(self._every):
            n += 1
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(f"X-Drip-{n}: 1\r\n".encode())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def drippers(bot: BotUnderTest) -> Iterator[Drippers]:
    port = int(bot.url.rsplit(":", 1)[1])
    crowd = Drippers(port, 150, every=1.0)
    time.sleep(1.5)  # every dripper has connected and dripped at least once
    yield crowd
    crowd.close()


@pytest.mark.slow  # slow clients in real time
def test_150_dripping_connections_leave_health_and_commands_answered(
    bot: BotUnderTest, drippers: Drippers
) -> None:
    # Waiting for the outcome with a timeout (not timing it): before the limits were raised, waitress's
    # 100-connection limit was full and these requests were never accepted.
    health = httpx.get(f"{bot.url}/healthz", timeout=5)
    assert health.status_code == 200 and health.text == "ok\n"
    response = bot.command(f"{CAMPAIGN} {SEND} 7")
    assert response.status_code == 200 and "Fetching" in response.json()["text"]
    bot.slack.wait_for("files.completeUploadExternal", timeout=30)
