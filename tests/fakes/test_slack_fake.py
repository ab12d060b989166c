"""Prove the Slack fake behaves like Slack for a real slack_sdk client.

Why: every bot test trusts this fake, so its channel rules, upload flow, fault
injection and signing helpers are pinned here against genuine slack_sdk code.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from fakes.signing import (
    FORM,
    JSON,
    block_action_body,
    block_actions_payload,
    event_body,
    post_signed,
    sign,
    slash_command_body,
)
from fakes.slack import RESPONSE_URL, UPLOAD, SlackFake, TierLimits

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


#: Uploads are processed in 0.3–0.4 s here, not the fake's default second or two: long enough for a test to
#: see a file still processing, and tests that wait for the processing do not wait out the default.
SHARE_DELAY = (0.3, 0.4)


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with SlackFake(share_delay=SHARE_DELAY) as server:
        yield server


@pytest.fixture
def client(fake: SlackFake) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.base_url, timeout=5)


def _error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return excinfo.value.response["error"]


# --------------------------------------------------------------------------- auth


def test_auth_test_identifies_the_bot(fake: SlackFake, client: WebClient) -> None:
    resp = client.auth_test()
    assert (resp["user_id"], resp["bot_id"], resp["team_id"], resp["user"]) == ("UBOT", "BBOT", "T1", "sendstats")
    call = fake.calls_to("auth.test")[0]
    assert call.headers["authorization"] == f"Bearer {fake.token}"


def test_missing_and_wrong_tokens_are_rejected(fake: SlackFake) -> None:
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=fake.base_url).auth_test()
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=fake.base_url).auth_test()
    assert _error(missing) == "not_authed"
    assert _error(wrong) == "invalid_auth"


def test_unknown_method_is_recorded(fake: SlackFake, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("files.upload", params={"channels": "C_PUBLIC"})
    assert _error(exc) == "unknown_method"
    assert fake.calls_to("files.upload")[0].params == {"channels": "C_PUBLIC"}


# --------------------------------------------------------------------------- chat.postMessage


def test_post_message_stores_message_and_decodes_blocks(fake: SlackFake, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*stats*"}}]
    parent = client.chat_postMessage(channel="C_PUBLIC", text="hello", blocks=blocks)
    reply = client.chat_postMessage(channel="C_PUBLIC", text="reply", thread_ts=parent["ts"])

    assert parent["channel"] == "C_PUBLIC"
    assert abs(float(parent["ts"]) - time.time()) < 60  # Slack's ts is the Unix time of the post
    assert reply["ts"] > parent["ts"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.params["blocks"] == blocks  # JSON string decoded for assertions
    assert call.params["text"] == "hello"
    assert [m["text"] for m in fake.messages_in("C_PUBLIC")] == ["hello", "reply"]
    assert [m["text"] for m in fake.messages_in("C_PUBLIC", thread_ts=parent["ts"])] == ["reply"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("G_PRIVATE", "channel_not_found"),
        ("D_USER", "channel_not_found"),
        ("C_NOPE", "channel_not_found"),
        ("C_ARCHIVED", "is_archived"),
    ],
)
def test_post_message_channel_errors(client: WebClient, channel: str, error: str) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel=channel, text="x")
    assert _error(exc) == error


def test_public_non_member_depends_on_chat_write_public(fake: SlackFake, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C_NOTMEMBER", text="x")
    assert _error(exc) == "not_in_channel"
    fake.chat_write_public = True  # an install that still holds chat:write.public
    assert client.chat_postMessage(channel="C_NOTMEMBER", text="x")["ok"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_requires_content(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C_PUBLIC")
    assert _error(exc) == "no_text"


def test_concurrent_posts_get_unique_ts(fake: SlackFake, client: WebClient) -> None:
    results: list[str] = []

    def post(i: int) -> None:
        results.append(client.chat_postMessage(channel="C_PUBLIC", text=str(i))["ts"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 20
    assert len(fake.wait_for("chat.postMessage", count=20)) == 20


# --------------------------------------------------------------------------- other methods


def test_dm_ephemeral_update_reaction_view_and_user(fake: SlackFake, client: WebClient) -> None:
    fake.set_user_tz("U2", "Asia/Tokyo")
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm == "DU1"
    posted = client.chat_postMessage(channel=dm, text="hi")
    updated = client.chat_update(channel=dm, ts=posted["ts"], text="edited")
    assert updated["ts"] == posted["ts"]
    assert fake.messages_in(dm)[0]["text"] == "edited"
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel=dm, ts="1.000000", text="x")
    assert _error(missing) == "message_not_found"

    assert client.chat_postEphemeral(channel="C_PUBLIC", user="U1", text="psst")["message_ts"]
    assert client.reactions_add(channel="C_PUBLIC", timestamp=posted["ts"], name="eyes")["ok"]
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
    assert fake.views["U1"] == {"type": "home", "blocks": []}
    assert fake.ephemerals[0]["text"] == "psst"

    assert client.users_info(user="U1")["user"]["tz"] == "America/New_York"
    tokyo = client.users_info(user="U2")["user"]
    assert (tokyo["tz"], tokyo["tz_offset"]) == ("Asia/Tokyo", 9 * 3600)


def test_join_rules(fake: SlackFake, client: WebClient) -> None:
    joined = client.conversations_join(channel="C_NOTMEMBER")
    assert joined["channel"]["id"] == "C_NOTMEMBER"
    assert fake.channels["C_NOTMEMBER"].member
    assert client.conversations_join(channel="C_PUBLIC")["warning"] == "already_in_channel"
    for channel, error in [
        ("G_PRIVATE", "method_not_supported_for_channel_type"),
        ("C_NOPE", "channel_not_found"),
        ("C_ARCHIVED", "is_archived"),
    ]:
        with pytest.raises(SlackApiError) as exc:
            client.conversations_join(channel=channel)
        assert _error(exc) == error, channel


def test_reset_clears_calls_and_state_but_keeps_config(fake: SlackFake, client: WebClient) -> None:
    fake.add_channel("C_EXTRA", member=False)
    client.conversations_join(channel="C_EXTRA")
    client.chat_postMessage(channel="C_PUBLIC", text="x")
    fake.fail_next("auth.test", error="fatal_error")
    fake.reset()
    assert fake.calls == [] and fake.messages == {}
    assert not fake.channels["C_EXTRA"].member
    assert client.auth_test()["ok"]  # pending fault was dropped


# --------------------------------------------------------------------------- files_upload_v2


def test_files_upload_v2_round_trip_into_thread(fake: SlackFake, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C_PUBLIC", text="weekly stats")
    resp = client.files_upload_v2(
        channel="C_PUBLIC",
        thread_ts=parent["ts"],
        file=PNG,
        filename="x.png",
        title="Chart",
        initial_comment="here you go",
    )

    assert [c.method for c in fake.calls][1:] == [
        "files.getUploadURLExternal",
        UPLOAD,
        "files.completeUploadExternal",
    ]
    get_url = fake.calls_to("files.getUploadURLExternal")[0]
    assert get_url.params == {"filename": "x.png", "length": str(len(PNG))}
    upload = fake.calls_to(UPLOAD)[0]
    assert upload.body == PNG  # raw bytes, not multipart
    assert "authorization" not in upload.headers
    complete = fake.calls_to("files.completeUploadExternal")[0]
    assert complete.params["files"] == [{"id": resp["file"]["id"], "title": "Chart"}]

    (share,) = fake.files
    assert (share.channel, share.thread_ts, share.filename, share.title) == ("C_PUBLIC", parent["ts"], "x.png", "Chart")
    assert share.content == PNG and share.initial_comment == "here you go"
    assert resp["file"]["id"] == share.file_id
    assert fake.messages_in("C_PUBLIC", thread_ts=parent["ts"]) == []  # Slack is still processing the file
    fake.wait_shared()
    assert fake.messages_in("C_PUBLIC", thread_ts=parent["ts"])[0]["files"][0]["id"] == share.file_id


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C_NOTMEMBER", "not_in_channel"), ("G_PRIVATE", "channel_not_found"), ("C_NOPE", "channel_not_found")],
)
def test_files_need_membership(fake: SlackFake, client: WebClient, channel: str, error: str) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.files_upload_v2(channel=channel, file=PNG, filename="x.png")
    assert _error(exc) == error
    assert fake.files == []


def test_join_then_upload_succeeds(fake: SlackFake, client: WebClient) -> None:
    client.conversations_join(channel="C_NOTMEMBER")
    client.files_upload_v2(channel="C_NOTMEMBER", content="a,b\n1,2\n", filename="s.csv")
    assert fake.files[0].content == b"a,b\n1,2\n"
    assert fake.files[0].title == "s.csv"  # slack_sdk defaults title to filename


def test_failed_byte_upload_escapes_as_urllib_http_error(fake: SlackFake, client: WebClient) -> None:
    # slack_sdk posts the bytes with bare urllib: no retry handlers, and a non-2xx
    # surfaces as urllib.error.HTTPError rather than SlackApiError/SlackRequestError.
    fake.fail_next(UPLOAD, error="upload_failed", status=500)
    with pytest.raises(HTTPError):
        client.files_upload_v2(channel="C_PUBLIC", file=PNG, filename="x.png")
    assert fake.calls_to("files.completeUploadExternal") == [] and fake.files == []


# --------------------------------------------------------------------------- fault injection


def test_ratelimit_without_retry_handler_raises(fake: SlackFake, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C_PUBLIC", text="x")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert _error(exc) == "ratelimited"


@pytest.mark.slow  # Slack's Retry-After in real time
def test_ratelimit_is_retried_by_rate_limit_handler(fake: SlackFake) -> None:
    client = WebClient(token=fake.token, base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler()])
    fake.fail_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C_PUBLIC", text="x")["ok"]
    assert time.monotonic() - started >= 1  # honoured Retry-After
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake.messages_in("C_PUBLIC")) == 1


def test_non_ratelimit_fault_is_http_200_error(fake: SlackFake, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", error="fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel="C_PUBLIC", text="x")
        assert exc.value.response.status_code == 200 and _error(exc) == "fatal_error"
    assert client.chat_postMessage(channel="C_PUBLIC", text="x")["ok"]


def test_latency_is_applied(fake: SlackFake, client: WebClient) -> None:
    fake.latency["auth.test"] = 0.2
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2


def test_wait_for_sees_calls_from_other_threads_and_times_out_helpfully(fake: SlackFake, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C_PUBLIC", text="later"))
    timer.start()
    assert fake.wait_for("chat.postMessage", timeout=5)[0].params["text"] == "later"
    timer.join()
    with pytest.raises(AssertionError, match=r"received: \['chat.postMessage'\]"):
        fake.wait_for("views.publish", timeout=0.1)


# --------------------------------------------------------------------------- response_url


def test_response_url_allows_five_uses(fake: SlackFake) -> None:
    url = fake.new_response_url()
    webhook = WebhookClient(url)
    for i in range(5):
        assert webhook.send(text=f"r{i}", response_type="ephemeral").status_code == 200
    sixth = webhook.send(text="too many")
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert [r["text"] for r in fake.responses[url]] == ["r0", "r1", "r2", "r3", "r4"]
    assert len(fake.calls_to(RESPONSE_URL)) == 6


def test_response_url_expiry(fake: SlackFake) -> None:
    marked = fake.new_response_url()
    fake.expire_response_url(marked)
    assert WebhookClient(marked).send(text="x").body == "expired_url"

    now = [1_000_000.0]
    fake.clock = lambda: now[0]
    aged = fake.new_response_url()
    now[0] += 30 * 60 + 1
    resp = WebhookClient(aged).send(text="x")
    assert (resp.status_code, resp.body) == (404, "expired_url")


# --------------------------------------------------------------------------- signing helpers


def test_sign_matches_slack_sdk_signature_verifier() -> None:
    body = slash_command_body("report weekly")
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert (
        verifier.generate_signature(timestamp="1700000000", body=body)
        == sign(body, SECRET, 1700000000)["X-Slack-Signature"]
    )
    stale = sign(body, SECRET, int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_request_bodies_have_slack_shape() -> None:
    slash = {k: v[0] for k, v in parse_qs(slash_command_body("top 5", channel_id="C9").decode()).items()}
    assert slash["command"] == "/sendstats" and slash["text"] == "top 5" and slash["channel_id"] == "C9"
    assert {"response_url", "trigger_id", "team_id", "user_id", "api_app_id"} <= slash.keys()

    envelope = json.loads(event_body({"type": "app_mention", "text": "<@UBOT> hi"}, event_id="Ev1"))
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
    assert envelope["authorizations"][0]["user_id"] == "UBOT" and "event_ts" in envelope["event"]

    payload = block_actions_payload("refresh", value="7d")
    decoded = json.loads(parse_qs(block_action_body(payload).decode())["payload"][0])
    assert decoded == payload and decoded["actions"][0]["value"] == "7d"


def test_post_signed_sends_verifiable_headers(fake: SlackFake) -> None:
    url = fake.new_response_url()
    body = json.dumps({"text": "signed"}).encode()
    resp = post_signed(url, body, SECRET, JSON, extra_headers={"X-Slack-Retry-Num": "1"})
    assert resp.status_code == 200
    call = fake.wait_for(RESPONSE_URL)[0]
    assert call.headers["content-type"] == JSON and call.headers["x-slack-retry-num"] == "1"
    assert SignatureVerifier(SECRET).is_valid_request(call.body, call.headers)
    assert FORM == "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------- Block Kit limits


def _metadata_messages(excinfo: pytest.ExceptionInfo[SlackApiError]) -> list[str]:
    return excinfo.value.response["response_metadata"]["messages"]


def test_too_many_blocks_or_too_long_texts_are_invalid_blocks_with_slacks_pointers(
    fake: SlackFake, client: WebClient
) -> None:
    divider = {"type": "divider"}
    with pytest.raises(SlackApiError) as many:
        client.chat_postMessage(channel="C_PUBLIC", text="x", blocks=[divider] * 51)
    assert _error(many) == "invalid_blocks"
    assert _metadata_messages(many) == ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
    assert many.value.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert client.chat_postMessage(channel="C_PUBLIC", text="x", blocks=[divider] * 50)["ok"]

    section = {"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    with pytest.raises(SlackApiError) as long:
        client.chat_postMessage(channel="C_PUBLIC", text="x", blocks=[section, header, fields])
    assert _metadata_messages(long) == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        "[ERROR] must be less than 151 characters [json-pointer:/blocks/1/text/text]",
        "[ERROR] no more than 10 items allowed [json-pointer:/blocks/2/fields]",
    ]
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    image = {"type": "image", "image_url": "https://example.com/x.png"}  # no alt_text
    with pytest.raises(SlackApiError) as other:
        client.chat_update(
            channel="C_PUBLIC", ts=fake.messages_in("C_PUBLIC")[0]["ts"], text="x", blocks=[context, image]
        )
    assert _metadata_messages(other) == [
        "[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/elements]",
        "[ERROR] missing required field: alt_text [json-pointer:/blocks/1]",
    ]
    assert len(fake.messages_in("C_PUBLIC")) == 1  # nothing refused was stored


def test_text_past_40000_characters_is_cut_and_posted_with_a_warning(fake: SlackFake, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C_PUBLIC", text="z" * 40_001)
    assert posted["response_metadata"]["warnings"] == ["message_truncated"]
    assert len(fake.messages_in("C_PUBLIC")[0]["text"]) == 40_000


def test_home_tab_and_modal_limits_answer_invalid_arguments(fake: SlackFake, client: WebClient) -> None:
    divider = {"type": "divider"}
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [divider] * 100})["ok"]
    with pytest.raises(SlackApiError) as home:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [divider] * 101})
    assert _error(home) == "invalid_arguments"
    assert _metadata_messages(home) == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]
    assert "errors" not in home.value.response  # views answer with response_metadata only
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    with pytest.raises(SlackApiError) as opened:
        client.views_open(trigger_id="1.2.3", view=modal)
    assert _metadata_messages(opened) == ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]


# --------------------------------------------------------------------------- message metadata and paging


def test_history_keeps_the_event_type_and_drops_only_the_payload_without_include_all_metadata(
    client: WebClient,
) -> None:
    metadata = {"event_type": "sendstats_digest", "event_payload": {"delivery_id": 7}}
    client.chat_postMessage(channel="C_PUBLIC", text="digest", metadata=metadata)
    [plain] = client.conversations_history(channel="C_PUBLIC")["messages"]
    assert plain["metadata"] == {"event_type": "sendstats_digest"}
    [full] = client.conversations_history(channel="C_PUBLIC", include_all_metadata=True)["messages"]
    assert full["metadata"] == metadata


def test_history_pages_with_cursors_and_bounds(fake: SlackFake, client: WebClient) -> None:
    posted = [client.chat_postMessage(channel="C_PUBLIC", text=str(n))["ts"] for n in range(5)]
    first = client.conversations_history(channel="C_PUBLIC", limit=2)
    assert [m["text"] for m in first["messages"]] == ["4", "3"] and first["has_more"]
    second = client.conversations_history(channel="C_PUBLIC", limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in second["messages"]] == ["2", "1"]
    after = client.conversations_history(channel="C_PUBLIC", oldest=posted[2])["messages"]
    assert [m["text"] for m in after] == ["4", "3"]  # oldest itself is excluded unless inclusive
    inclusive = client.conversations_history(channel="C_PUBLIC", oldest=posted[2], inclusive=True)["messages"]
    assert [m["text"] for m in inclusive] == ["4", "3", "2"]


def test_an_app_outside_the_marketplace_reads_at_most_15_messages_a_call(fake: SlackFake, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C_PUBLIC", text="parent")["ts"]
    for n in range(20):
        client.chat_postMessage(channel="C_PUBLIC", text=str(n), thread_ts=parent)
    fake.non_marketplace = True
    replies = client.conversations_replies(channel="C_PUBLIC", ts=parent, limit=100)
    assert len(replies["messages"]) == 15 and replies["has_more"]
    assert len(client.conversations_history(channel="C_PUBLIC")["messages"]) == 1
    fake.non_marketplace = False
    assert len(client.conversations_replies(channel="C_PUBLIC", ts=parent)["messages"]) == 21


# --------------------------------------------------------------------------- files: processing, privacy


def test_a_private_upload_is_the_uploaders_to_show_once_processed(fake: SlackFake, client: WebClient) -> None:
    fake.share_delay = (0.6, 0.6)
    other = WebClient(token=fake.add_app("xoxb-other").token, base_url=fake.base_url)
    try:
        uploaded = client.files_upload_v2(content=PNG, filename="chart.png", title="Chart", alt_txt="A chart.")
        file_id = uploaded["file"]["id"]
        assert uploaded["files"] == [{"id": file_id, "title": "Chart"}]  # Slack's documented answer
        image = {"type": "image", "slack_file": {"id": file_id}, "alt_text": "A chart."}

        with pytest.raises(SlackApiError) as early:  # Slack is still processing it
            client.chat_postMessage(channel="C_PUBLIC", text="chart", blocks=[image])
        assert _error(early) == "invalid_blocks"
        info = client.files_info(file=file_id)["file"]
        assert (info["shares"], info["channels"], info["alt_txt"], "thumb_360" in info) == ({}, [], "A chart.", False)
        with pytest.raises(SlackApiError) as hidden:
            other.files_info(file=file_id)
        assert _error(hidden) == "file_not_found"

        fake.wait_processed(file_id)
        assert "thumb_360" in client.files_info(file=file_id)["file"]
        posted = client.chat_postMessage(channel="C_PUBLIC", text="chart", blocks=[image])
        assert posted["message"]["blocks"] == [image]
        with pytest.raises(SlackApiError) as foreign:  # another app may never show it
            other.chat_postMessage(channel="C_PUBLIC", text="chart", blocks=[image])
        assert _error(foreign) == "invalid_blocks"
        assert "file not found" in _metadata_messages(foreign)[0]
        assert [m["text"] for m in fake.messages_in("C_PUBLIC")] == ["chart"]  # no share message: private
    finally:
        fake.share_delay = SHARE_DELAY


def test_a_channel_refusing_shown_files_refuses_a_processed_private_upload(fake: SlackFake, client: WebClient) -> None:
    fake.add_channel("C_CONNECTED", refuses_slack_files=True)
    uploaded = client.files_upload_v2(content=PNG, filename="chart.png", title="Chart")
    file_id = uploaded["file"]["id"]
    fake.wait_processed(file_id)
    image = {"type": "image", "slack_file": {"id": file_id}, "alt_text": "A chart."}
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C_CONNECTED", text="chart", blocks=[image])
    assert _error(refused) == "invalid_blocks" and "can't be shown" in _metadata_messages(refused)[0]
    assert client.chat_postMessage(channel="C_PUBLIC", text="chart", blocks=[image])["ok"]
    assert client.chat_postMessage(channel="C_CONNECTED", text="no image")["ok"]


def test_a_shared_upload_appears_in_its_thread_after_processing(fake: SlackFake, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C_PUBLIC", text="report")["ts"]
    uploaded = client.files_upload_v2(channel="C_PUBLIC", thread_ts=parent, content=PNG, filename="c.png")
    assert client.conversations_replies(channel="C_PUBLIC", ts=parent)["messages"][1:] == []
    [share] = fake.wait_shared()
    [_, message] = client.conversations_replies(channel="C_PUBLIC", ts=parent)["messages"]
    assert message["files"][0]["id"] == uploaded["file"]["id"] == share.file_id
    assert (message["bot_id"], message["ts"]) == ("BBOT", share.shared_ts)
    shares = client.files_info(file=share.file_id)["file"]["shares"]["public"]["C_PUBLIC"]
    assert shares[0]["ts"] == share.shared_ts and shares[0]["thread_ts"] == parent


def test_a_reset_drops_shares_still_in_processing(fake: SlackFake, client: WebClient) -> None:
    fake.share_delay = (0.3, 0.3)
    try:
        client.files_upload_v2(channel="C_PUBLIC", content=PNG, filename="c.png")
        fake.reset()
        time.sleep(0.5)
        assert fake.messages_in("C_PUBLIC") == [] and fake.files == []
    finally:
        fake.share_delay = SHARE_DELAY


def test_another_apps_messages_carry_its_own_identity(fake: SlackFake) -> None:
    app = fake.add_app("xoxb-staging", app_id="A9", bot_id="B9", user_id="USTAGING", name="sendstats-staging")
    other = WebClient(token=app.token, base_url=fake.base_url)
    assert other.auth_test()["bot_id"] == "B9"
    posted = other.chat_postMessage(channel="C_PUBLIC", text="hello")
    assert (posted["message"]["bot_id"], posted["message"]["app_id"], posted["message"]["user"]) == (
        "B9",
        "A9",
        "USTAGING",
    )
    with pytest.raises(SlackApiError) as theirs:
        WebClient(token=fake.token, base_url=fake.base_url).chat_update(channel="C_PUBLIC", ts=posted["ts"], text="x")
    assert _error(theirs) == "cant_update_message"


# --------------------------------------------------------------------------- tier mode


def test_tier_mode_paces_posts_per_workspace_and_counts_shares_against_their_channel(
    fake: SlackFake, client: WebClient
) -> None:
    fake.share_delay = (0.0, 0.0)
    try:
        fake.add_channel("C_NEW")
        fake.add_channel("C_OTHER")
        fake.enable_tiers(TierLimits(post_burst=2, post_workspace_burst=3))
        for channel in ("C_PUBLIC", "C_PUBLIC", "C_NEW"):
            assert client.chat_postMessage(channel=channel, text="x")["ok"]
        with pytest.raises(SlackApiError) as workspace:  # C_OTHER's own bucket is full; the workspace's is not
            client.chat_postMessage(channel="C_OTHER", text="x")
        assert workspace.value.response.status_code == 429

        fake.enable_tiers(TierLimits(post_burst=2))
        client.files_upload_v2(channel="C_PUBLIC", content=PNG, filename="a.png")
        client.files_upload_v2(channel="C_PUBLIC", content=PNG, filename="b.png")
        with pytest.raises(SlackApiError) as channel:  # two shares took the channel's two tokens
            client.chat_postMessage(channel="C_PUBLIC", text="x")
        assert channel.value.response.status_code == 429
        assert client.chat_postMessage(channel="C_NEW", text="x")["ok"]
    finally:
        fake.disable_tiers()
        fake.share_delay = SHARE_DELAY


def test_tier_mode_outside_the_marketplace_allows_one_history_call_a_minute(fake: SlackFake, client: WebClient) -> None:
    fake.enable_tiers(TierLimits(non_marketplace=True))
    try:
        assert client.conversations_history(channel="C_PUBLIC")["ok"]
        with pytest.raises(SlackApiError) as second:
            client.conversations_history(channel="C_PUBLIC")
        assert second.value.response.status_code == 429
        assert int(second.value.response.headers["Retry-After"]) > 30
    finally:
        fake.disable_tiers()


def test_tier_mode_at_a_time_scale_runs_every_limit_that_much_faster(fake: SlackFake, client: WebClient) -> None:
    limits = fake.enable_tiers(TierLimits(post_burst=1, time_scale=10))
    try:
        assert limits.rate("files.getUploadURLExternal") == (100 / 60 * 10, 20)
        assert limits.post_limits() == ((10.0, 1), (50.0, 30))
        assert client.chat_postMessage(channel="C_PUBLIC", text="x")["ok"]
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C_PUBLIC", text="x")
        assert refused.value.response.headers["Retry-After"] == "0.1"  # Slack's 1 s, ten times faster
        time.sleep(0.1)
        assert client.chat_postMessage(channel="C_PUBLIC", text="x")["ok"]
    finally:
        fake.disable_tiers()


# --------------------------------------------------------------------------- identity, removal, lost answers


def test_auth_test_names_the_bot_and_its_app(fake: SlackFake, client: WebClient) -> None:
    me = client.auth_test()
    assert (me["user_id"], me["bot_id"], me["app_id"], me["team_id"]) == ("UBOT", "BBOT", "A1", "T1")


class _EventSink:
    """A Request URL on 127.0.0.1 that keeps each signed POST it receives."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("channel", "event", "refused"),
    [("C_PUBLIC", "channel_left", "not_in_channel"), ("G_SECRET", "group_left", "channel_not_found")],
)
def test_removing_the_bot_tells_the_app_with_the_event_slack_sends_the_removed_user(
    fake: SlackFake, client: WebClient, channel: str, event: str, refused: str
) -> None:
    fake.add_channel("G_SECRET", kind="private", member=True)
    sink = _EventSink()
    try:
        fake.send_events_to(sink.url, SECRET)
        [sent] = fake.remove_bot(channel, by="U2")
        [(headers, body)] = sink.received
    finally:
        sink.close()
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    envelope = json.loads(body)
    assert envelope == sent and envelope["type"] == "event_callback" and envelope["api_app_id"] == "A1"
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    event_ts = sent["event"]["event_ts"]
    assert envelope["event"] == {"type": event, "channel": channel, "actor_id": "U2", "event_ts": event_ts}
    with pytest.raises(SlackApiError) as exc:  # no longer a member: the bot can't post there
        client.chat_postMessage(channel=channel, text="x")
    assert _error(exc) == refused
    with pytest.raises(ValueError):
        fake.remove_bot(channel)  # it was removed already


@pytest.mark.parametrize("status", [None, 503])
def test_a_lost_answer_leaves_the_post_in_the_channel(fake: SlackFake, client: WebClient, status: int | None) -> None:
    client.retry_handlers = []  # slack_sdk's default handler would post again after a dropped connection
    fake.lose_answer("chat.postMessage", status=status)
    with pytest.raises((SlackApiError, ConnectionError)) as exc:
        client.chat_postMessage(channel="C_PUBLIC", text="landed")
    if status is not None:
        assert exc.value.response.status_code == 503  # type: ignore[union-attr]
    assert [m["text"] for m in fake.messages_in("C_PUBLIC")] == ["landed"]
    assert client.chat_postMessage(channel="C_PUBLIC", text="next")["ok"]  # only the next call loses its answer


def test_a_lost_completion_answer_still_shares_the_file_and_it_completes_once(
    fake: SlackFake, client: WebClient
) -> None:
    client.retry_handlers = []
    parent = client.chat_postMessage(channel="C_PUBLIC", text="parent")["ts"]
    fake.lose_answer("files.completeUploadExternal")
    upload = client.files_getUploadURLExternal(filename="c.png", length=len(PNG))
    urllib.request.urlopen(urllib.request.Request(upload["upload_url"], data=PNG, method="POST"), timeout=5).read()
    files = [{"id": upload["file_id"], "title": "c"}]
    with pytest.raises(ConnectionError):
        client.files_completeUploadExternal(files=files, channel_id="C_PUBLIC", thread_ts=parent)
    [share] = fake.wait_shared(1)
    assert (share.file_id, share.channel, share.thread_ts) == (upload["file_id"], "C_PUBLIC", parent)
    with pytest.raises(SlackApiError) as again:  # an upload is completed once
        client.files_completeUploadExternal(files=files, channel_id="C_PUBLIC", thread_ts=parent)
    assert _error(again) == "file_not_found"
