"""The Socket Mode side of the Slack fake, driven by a plain websocket client: envelopes, acks, Slack's
``disconnect`` messages and single-use, expiring connection URLs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from fakes.slack_socket import SocketModeFake


@pytest.fixture
def socket() -> Iterator[SocketModeFake]:
    fake = SocketModeFake().start()
    yield fake
    fake.stop()


@contextmanager
def dial(socket: SocketModeFake) -> Iterator[ClientConnection]:
    with connect(socket.open_connection(socket.app_token)["url"]) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        yield ws


def test_envelopes_say_whether_their_ack_may_carry_an_answer(socket: SocketModeFake) -> None:
    with dial(socket) as ws:
        accepts = deliver_all(socket, ws)
    assert accepts == [True, False, False, True, True]
    # Slack ignores an answer on an envelope that accepts none: the fake keeps those acks apart
    assert len(socket.ignored_payloads) == 2


def deliver_all(socket: SocketModeFake, ws: ClientConnection) -> list[bool]:
    kinds = [
        ("slash_commands", {"command": "/sendstats"}),
        ("events_api", {"event": {"type": "app_mention"}}),
        ("interactive", {"type": "block_actions"}),
        ("interactive", {"type": "view_submission"}),
        ("interactive", {"type": "block_suggestion"}),
    ]
    accepts = []
    for kind, payload in kinds:
        socket.deliver(kind, payload)
        envelope = json.loads(ws.recv(timeout=5))
        accepts.append(envelope["accepts_response_payload"])
        ws.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "answer"}}))
        socket.wait_ack(envelope["envelope_id"])
    return accepts


def test_a_connection_url_is_single_use_and_expires(socket: SocketModeFake) -> None:
    url = socket.open_connection(socket.app_token)["url"]
    with connect(url):
        pass
    with pytest.raises(InvalidStatus), connect(url):
        pass  # used already
    socket.ticket_ttl = 0.05
    stale = socket.open_connection(socket.app_token)["url"]
    time.sleep(0.1)
    with pytest.raises(InvalidStatus), connect(stale):
        pass
    assert socket.expired_tickets == 1


def test_slack_asks_for_a_reconnect_then_closes_the_old_connection(socket: SocketModeFake) -> None:
    with dial(socket) as ws:
        socket.disconnect("warning")
        assert json.loads(ws.recv(timeout=5)) == {
            "type": "disconnect",
            "reason": "warning",
            "debug_info": {"host": "applink-fake"},
        }
        socket.disconnect("refresh_requested", close_after=0.1)
        assert json.loads(ws.recv(timeout=5))["reason"] == "refresh_requested"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert socket.disconnects == ["warning", "refresh_requested"]
    with pytest.raises(ValueError):
        socket.disconnect("too_many_websockets")  # not a reason this fake knows how to act on
