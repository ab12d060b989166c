"""Slack's limits on posting, through the bot's Slack client against the Slack fake: a 429 on
``chat.postMessage`` holds the method for the whole workspace, and the message a file share creates
counts against its channel. Deterministic: a call whose deadline is too near to wait is refused by the
client itself, so what reached Slack (the fake) shows what the pacer decided."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from fakes.slack import SlackFake
from handlers.adapter.pacing import ChannelPacer
from handlers.adapter.ratelimit import PacedWebClient
from reports import deadline

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def fake(slack_fake: SlackFake) -> Iterator[SlackFake]:
    slack_fake.reset()
    slack_fake.add_channel("C_OTHER")
    yield slack_fake
    slack_fake.reset()


def test_a_429_on_a_post_holds_posts_in_every_channel(fake: SlackFake) -> None:
    client = PacedWebClient(token=fake.token, base_url=fake.base_url)
    fake.fail_next("chat.postMessage", "ratelimited", retry_after=30)
    with deadline.within(1), pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C_PUBLIC", text="first")
    with deadline.within(1), pytest.raises(SlackApiError) as held:
        client.chat_postMessage(channel="C_OTHER", text="elsewhere")
    assert held.value.response["error"] == "ratelimited"
    assert [c.params["channel"] for c in fake.calls_to("chat.postMessage")] == ["C_PUBLIC"]  # never sent


def test_a_file_share_takes_its_channels_turn(fake: SlackFake) -> None:
    client = PacedWebClient(token=fake.token, base_url=fake.base_url, pacer=ChannelPacer(rate=1 / 60, burst=1))
    client.files_upload_v2(channel="C_PUBLIC", content=PNG, filename="chart.png", title="chart")
    with deadline.within(1), pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C_PUBLIC", text="right after the chart")
    assert client.chat_postMessage(channel="C_OTHER", text="another channel")["ok"]
    assert [c.params["channel"] for c in fake.calls_to("chat.postMessage")] == ["C_OTHER"]
