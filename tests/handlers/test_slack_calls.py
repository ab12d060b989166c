"""Every Slack Web API method the code calls, found by reading the code, checked against what the bot
promises about it: a rate-limit tier for each (and no tier for a method nothing calls), and a bot scope
in manifest.yml for each method that needs one (and no scope that nothing needs).

The calls are found in the source (``client.<method>(…)`` on slack_sdk's ``WebClient``), and each SDK
method is turned into the Slack methods it calls by reading slack_sdk's own source (``files_upload_v2``
makes two Web API calls). Scopes per method are Slack's, from each method's reference page
(https://docs.slack.dev/reference/methods/<method>, "Required scopes").
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path

import yaml
from slack_sdk import WebClient

from handlers.adapter.ratelimit import METHOD_TIERS, SPECIAL_METHODS

REPO = Path(__file__).resolve().parents[2]
#: The shipped code (fakes/, bench/ and tests/ are not the bot).
PACKAGES = ("bot", "handlers", "digests", "catalogue", "reports")
#: Calls the code makes without naming them: Bolt's ``App(token_verification_enabled=True)`` calls
#: ``auth.test`` once at start to learn the bot's IDs (bot/app.py).
IMPLICIT_CALLS = {"auth.test"}

#: Bot scopes each method needs (Slack's method pages). ``chat.postMessage`` to a user ID posts in the app's
#: DM with that user with ``chat:write`` alone; no ``im:write`` (that is for ``conversations.open``).
METHOD_SCOPES: dict[str, set[str]] = {
    "apps.connections.open": set(),  # the app-level token's connections:write, not a bot scope
    "auth.test": set(),
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write"},
    # the look-ups run in the public and private channels digests post in
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.join": {"channels:join"},
    "conversations.replies": {"channels:history", "groups:history"},
    "files.completeUploadExternal": {"files:write"},
    "files.getUploadURLExternal": {"files:write"},
    "users.info": {"users:read"},
    "views.open": set(),
    "views.publish": set(),
}
#: Scopes the bot needs for something other than a method call, and what needs them.
FEATURE_SCOPES: dict[str, str] = {
    "commands": "the /sendstats slash command (features.slash_commands)",
    "app_mentions:read": "the app_mention event (settings.event_subscriptions.bot_events)",
    # the events that say the bot was removed (https://docs.slack.dev/reference/events/<event>, "Required
    # scopes"): channel_left needs channels:read, group_left groups:read, and member_left_channel either
    # (private channels' only with groups:read)
    "channels:read": "the channel_left and member_left_channel events (public channels)",
    "groups:read": "the group_left and member_left_channel events (private channels)",
}
#: Bot events the manifest subscribes to, and the feature scope each needs.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_mention": {"app_mentions:read"},
    "app_home_opened": set(),
    "channel_left": {"channels:read"},
    "group_left": {"groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
}

_API_CALL = re.compile(r"""api_call\(\s*["']([a-zA-Z.]+)["']""")
_SELF_CALL = re.compile(r"self\.([a-zA-Z_0-9]+)\(")


@cache
def slack_methods_of(sdk_method: str) -> frozenset[str]:
    """The Web API methods ``WebClient.<sdk_method>`` calls, read from slack_sdk's source."""
    source = inspect.getsource(getattr(WebClient, sdk_method))
    found = set(_API_CALL.findall(source))
    for helper in _SELF_CALL.findall(source):
        if helper != sdk_method and callable(getattr(WebClient, helper, None)) and not helper.startswith("_"):
            found |= slack_methods_of(helper)
    return frozenset(found)


@cache
def calls_in_code() -> dict[str, set[str]]:
    """Slack method → the files that call it."""
    sdk_methods = {name for name in dir(WebClient) if not name.startswith("_") and "_" in name}
    sdk_methods -= {"api_call"}
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in sdk_methods
                    and callable(getattr(WebClient, node.func.attr))
                ):
                    for method in slack_methods_of(node.func.attr):
                        found.setdefault(method, set()).add(str(path.relative_to(REPO)))
    for method in IMPLICIT_CALLS:
        found.setdefault(method, set()).add("slack_bolt (App start)")
    return found


def manifest_bot_scopes() -> list[str]:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


def test_the_calls_are_found_in_the_code() -> None:
    calls = calls_in_code()
    assert {"chat.postMessage", "files.getUploadURLExternal", "files.completeUploadExternal"} <= set(calls)
    assert "handlers/adapter/delivery.py" in calls["conversations.replies"]
    assert "bot/socket_mode.py" in calls["apps.connections.open"]


def test_every_called_method_has_a_tier_and_every_tier_entry_is_called() -> None:
    called = set(calls_in_code())
    assert sorted(called - set(METHOD_TIERS) - SPECIAL_METHODS) == [], "called without a tier"
    assert sorted((set(METHOD_TIERS) | SPECIAL_METHODS) - called) == [], "a tier for a method nothing calls"


def test_every_manifest_scope_is_needed_and_every_call_has_its_scopes() -> None:
    scopes = manifest_bot_scopes()
    assert len(scopes) == len(set(scopes)), "a scope listed twice"
    calls = calls_in_code()
    unknown = sorted(set(calls) - set(METHOD_SCOPES))
    assert unknown == [], f"add the scopes of {unknown} (from Slack's method pages) to METHOD_SCOPES"
    needed = {scope for method in calls for scope in METHOD_SCOPES[method]} | set(FEATURE_SCOPES)
    missing = {m: sorted(METHOD_SCOPES[m] - set(scopes)) for m in calls if METHOD_SCOPES[m] - set(scopes)}
    assert missing == {}, f"calls whose scopes manifest.yml lacks: {missing}"
    assert sorted(set(scopes) - needed) == [], "scopes in manifest.yml that nothing needs"


def test_the_features_behind_the_feature_scopes_are_in_the_manifest() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    assert manifest["features"]["slash_commands"]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(EVENT_SCOPES), "a bot event without its scopes in EVENT_SCOPES, or the reverse"
    needed = {scope for event in events for scope in EVENT_SCOPES[event]}
    assert needed <= set(manifest_bot_scopes()), "a bot event whose scope manifest.yml lacks"
    assert needed | {"commands"} == set(FEATURE_SCOPES), "a feature scope no event or feature needs"


def test_every_subscribed_event_has_a_listener() -> None:
    """Each bot event of the manifest is handled by a listener (``@app.event("<name>")``)."""
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    source = "\n".join(p.read_text() for p in sorted((REPO / "handlers/listeners").glob("*.py")))
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert f'@app.event("{event}")' in source, f"no listener for the {event} event"


def test_no_scope_lets_the_bot_post_where_it_is_not_a_member() -> None:
    """Without chat:write.public a channel that removed the bot refuses its posts (not_in_channel), as a
    private channel does (channel_not_found): digests pause in both, and a request made there joins."""
    assert "chat:write.public" not in manifest_bot_scopes()


def test_direct_messages_go_through_chat_post_message_to_the_user_id() -> None:
    """DMs (a paused digest, a missed day) post to the user's ID; nothing opens a DM with conversations.open."""
    assert "conversations.open" not in calls_in_code()
    source = (REPO / "handlers/adapter/delivery.py").read_text()
    assert "self.post(user_id, text=text)" in source
