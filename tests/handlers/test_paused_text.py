"""The DM that tells a subscriber their digest is paused: it names the digest the way they know it and
gives the exact command that resumes it as it was, for every kind."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from digests.records import OPEN_END, Subscription
from handlers.layout.digest_blocks import paused_text, resume_command, short_subject


def subscription(kind: str, **changes: object) -> Subscription:
    fields: dict[str, object] = dict(
        id=7,
        team_id="T1",
        channel_id="C42",
        object_id="cmp-9",
        send_id="snd-3" if kind == "send" else "",
        hour=8,
        minute=5,
        timezone="Europe/Paris",
        created_by="U1",
        created_at=datetime(2026, 3, 1),
        first_day=date(2026, 3, 1),
        ends_on=date(2026, 3, 14) if kind == "send" else OPEN_END,
        status="paused",
        status_reason=None,
        last_digest_on=None,
        kind=kind,
    )
    fields.update(changes)
    return Subscription(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "subject", "args"),
    [
        ("send", "send `snd-3`", "cmp-9 snd-3"),
        ("campaign", "campaign `cmp-9`", "campaign cmp-9"),
        ("canvas", "Canvas `cmp-9`", "canvas cmp-9"),
    ],
)
def test_a_paused_digest_is_named_and_resumed_as_it_was(kind: str, subject: str, args: str) -> None:
    sub = subscription(kind)
    assert short_subject(sub) == subject
    assert resume_command(sub) == f"/sendstats subscribe {args} at 08:05 Europe/Paris"
    assert paused_text(sub, "I was removed from the channel.") == (
        f"⏸️ I paused your sendstats digest #7 ({subject}) for <#C42>: I was removed from the channel. "
        f"To resume it, invite me to <#C42> (`/invite @sendstats`) and run "
        f"`/sendstats subscribe {args} at 08:05 Europe/Paris` there."
    )


def test_ids_in_the_paused_text_are_escaped_for_slack() -> None:
    sub = subscription("campaign", object_id="a<b>&c")
    assert short_subject(sub) == "campaign `a&lt;b&gt;&amp;c`"
