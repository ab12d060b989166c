"""How a Braze channel key reads in a report (``reports.channels.channel_label``): the keys Braze
documents have their own labels, and a ``*_push`` key Braze adds later reads as its platform's words
followed by "push", like the documented ones ("ios_push" → "iOS push")."""

from __future__ import annotations

from reports.channels import channel_label


def test_documented_keys_read_as_people_say_them() -> None:
    assert [channel_label(k) for k in ("ios_push", "Android_Push", "sms", "trigger_in_app_message")] == [
        "iOS push",
        "Android push",
        "SMS",
        "In-app message",
    ]


def test_a_new_push_key_reads_as_its_platform_and_push() -> None:
    assert channel_label("huawei_push") == "Huawei push"
    assert channel_label("Smart_TV_Push") == "Smart tv push"
    assert channel_label("x_push") == "X push"


def test_a_new_key_that_is_not_push_reads_as_words() -> None:
    assert channel_label("line_message") == "Line message"
    assert channel_label("pushcart") == "Pushcart"
