"""Braze's documented examples (fakes/braze_examples) and the sample server measured against them: the
details and list answers carry exactly the documented keys, and the client reads the examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.braze import SampleBraze
from fakes.braze_examples import SOURCES, load
from reports.listing import parse_campaign_details, parse_canvas_details, parse_list_page

KEY = "examples-key"
EXAMPLES = Path(str(resources.files("fakes.braze_examples")))


@pytest.fixture(scope="module")
def server() -> Iterator[SampleBraze]:
    with SampleBraze(api_key=KEY) as braze:
        braze.add_send("cmp-send", "send-1", days_ago=3)
        braze.add_campaign("cmp-1", "Winter newsletter")
        braze.add_canvas("cv-1", "Onboarding")
        yield braze


def get(server: SampleBraze, path: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(server.url + path, params=params, headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_every_example_file_is_json_with_a_cited_source() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.json"))
    assert files == sorted(SOURCES)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name, source in SOURCES.items():
        assert isinstance(json.loads((EXAMPLES / name).read_text(encoding="utf-8")), dict)
        assert name in readme and source.split("@")[0] in readme
    with pytest.raises(KeyError):
        load("nope.json")


def test_examples_keep_the_documented_shapes_that_matter() -> None:
    multichannel = load("campaigns_data_series.json")["data"][0]
    assert set(multichannel["messages"]) == {
        "ios_push", "android_push", "webhook", "email", "sms", "whats_app", "content_cards"
    }
    rows = [row for rows in multichannel["messages"].values() for row in rows]
    assert all("variation_api_id" in row and "variation_name" not in row for row in rows)
    assert set(multichannel["messages"]["sms"][0]) == {
        "variation_api_id", "sent", "sent_to_carrier", "delivered", "rejected", "delivery_failed", "clicks",
        "opt_out", "help",
    }
    control = load("campaigns_data_series_multivariate.json")["data"][0]["messages"]["trigger_in_app_message"][2]
    assert "enrolled" in control and "impressions" not in control
    send_day = load("sends_data_series.json")["data"][0]
    assert send_day["messages"]["ios_push"][0]["unique_recipients"] == send_day["unique_recipients"] == 990


def test_client_reads_the_documented_details_and_lists() -> None:
    details = parse_campaign_details(load("campaign_details.json"), "c")
    names = details.variation_names()
    assert names["5a1f0c9e-0c2d-4b8e-9f3a-10000000a004"] == "Variation 1"  # email: named
    assert "5a1f0c9e-0c2d-4b8e-9f3a-10000000a005" not in names  # sms: Braze documents no name
    assert names["5a1f0c9e-0c2d-4b8e-9f3a-10000000a009"] == "Control"
    assert [b.label for b in details.conversion_behaviors] == [
        "Makes specific purchase: Feline Body Armor",
        "Performs custom event: Used Feline Body Armor",
        "Clicks email",
        "Upgrades app",
    ]
    series_ids = {
        row["variation_api_id"]
        for rows in load("campaigns_data_series.json")["data"][0]["messages"].values()
        for row in rows
    }
    assert series_ids <= {m.id for m in details.messages}  # the two examples can be read together
    canvas = parse_canvas_details(load("canvas_details.json"), "cv")
    assert canvas.name == "Multi-Channel Engagement" and [v.id for v in canvas.variants] == ["variant_1_id"]
    listed = parse_list_page(load("campaigns_list.json"), "campaign")
    assert [c.is_api_campaign for c in listed] == [False, True] and listed[0].last_edited is not None
    assert [c.name for c in parse_list_page(load("canvas_list.json"), "canvas")] == ["Multi-Channel Engagement"]


def keys_of(items: list[dict[str, Any]]) -> set[str]:
    return {key for item in items for key in item}


def test_fake_details_answers_carry_exactly_the_documented_keys(server: SampleBraze) -> None:
    example = load("campaign_details.json")
    shapes = {
        "control" if m.get("type") == "control" else m.get("channel", "in_app_message"): set(m)
        for m in example["messages"].values()
    }
    seen = set()
    for campaign_id in ("cmp-1", "cmp-send"):
        body = get(server, "/campaigns/details", campaign_id=campaign_id)
        assert set(body) == set(example)
        for message in body["messages"].values():
            shape = "control" if message.get("type") == "control" else message.get("channel", "in_app_message")
            seen.add(shape)
            assert set(message) == shapes[shape], shape
        assert [set(b) for b in body["conversion_behaviors"]] == [
            set(b) for b in example["conversion_behaviors"][: len(body["conversion_behaviors"])]
        ]
    # every documented message shape: the sample campaign's channels (the sample send's are a subset)
    assert seen == {"email", "ios_push", "android_push", "webhook", "sms", "whats_app", "content_cards",
                    "in_app_message", "control"}
    canvas = get(server, "/canvas/details", canvas_id="cv-1")
    assert set(canvas) == set(load("canvas_details.json"))
    assert keys_of(canvas["variants"]) == keys_of(load("canvas_details.json")["variants"])


def test_fake_lists_carry_exactly_the_documented_keys(server: SampleBraze) -> None:
    server.fill_lists(campaigns=3, canvases=2)
    for path, name, key in (("/campaigns/list", "campaigns_list.json", "campaigns"),
                            ("/canvas/list", "canvas_list.json", "canvases")):
        body = get(server, path)
        assert set(body) == set(load(name)) and body[key]
        assert all(set(entry) == keys_of(load(name)[key]) for entry in body[key])


def test_fake_campaign_details_names_the_series_variations_and_events(server: SampleBraze) -> None:
    body = get(server, "/campaigns/details", campaign_id="cmp-1")
    details = parse_campaign_details(body, "cmp-1")
    names = details.variation_names()
    # push, email and Content Cards messages are named (as documented); SMS, webhook and WhatsApp are not
    assert {names[f"var-1-{c}"] for c in ("email", "ios_push", "android_push", "content_cards")} == {"Variant 1"}
    assert "var-1-sms" not in names and "var-2-webhook" not in names and "var-1-whats_app" not in names
    assert names["control-control"] == "Control"
    series = get(server, "/campaigns/data_series", campaign_id="cmp-1", length="1")
    ids = {row.get("variation_api_id") for rows in series["data"][0]["messages"].values() for row in rows}
    assert ids - {None} <= {m.id for m in details.messages}  # every series ID is a message of the details
    assert [b.type for b in details.conversion_behaviors] == ["Makes Specific Purchase", "Performs Custom Event"]


#: Conversion events C and D: documented as optional, sent when the campaign has them.
OPTIONAL_EVENTS = {"conversions2", "conversions3", "conversions2_by_send_time", "conversions3_by_send_time"}


def _documented(rows: list[dict[str, Any]]) -> list[set[str]]:
    return [set(row) for row in rows]


def test_the_fakes_campaign_series_has_the_documented_keys_of_each_channel(server: SampleBraze) -> None:
    example = load("campaigns_data_series.json")["data"][0]
    in_app = load("campaigns_data_series_multivariate.json")["data"][0]["messages"]["trigger_in_app_message"]
    body = get(server, "/campaigns/data_series", campaign_id="cmp-1", length="3")
    assert body["message"] == "success" and len(body["data"]) == 3
    for day in body["data"]:
        # the day-level figures of the example and nothing else (events C and D only when configured)
        assert set(day) <= set(example) and set(example) - set(day) <= OPTIONAL_EVENTS
        assert set(day["messages"]) == {*example["messages"], "trigger_in_app_message"}
        for channel, rows in day["messages"].items():
            shapes = _documented(in_app if channel == "trigger_in_app_message" else example["messages"][channel])
            assert all(set(row) - OPTIONAL_EVENTS in [shape - OPTIONAL_EVENTS for shape in shapes] for row in rows)
        control = day["messages"]["trigger_in_app_message"][-1]
        assert set(control) == set(in_app[2]) - OPTIONAL_EVENTS
        assert "enrolled" in control and "impressions" not in control
        # multichannel rows carry only variation_api_id, as documented; the details name some of them
        assert all("variation_name" not in row for row in day["messages"]["email"])
        # Braze's day figure is its own total, not a sum of rows
        rows_sum = sum(row["unique_recipients"] for row in day["messages"]["trigger_in_app_message"])
        assert day["unique_recipients"] != rows_sum


def test_the_fakes_send_series_has_the_documented_row_and_day_figures_that_differ(server: SampleBraze) -> None:
    documented = load("sends_data_series.json")["data"][0]
    body = get(server, "/sends/data_series", campaign_id="cmp-send", send_id="send-1", length="5")
    assert body["data"]
    for day in body["data"]:
        assert set(day) <= set(documented) and set(documented) - set(day) <= OPTIONAL_EVENTS
        push = day["messages"]["ios_push"][0]
        assert set(push) <= set(documented["messages"]["ios_push"][0])  # conversions2/3 are optional
        email = day["messages"]["email"][0]
        assert {"unique_opens", "unique_clicks", "unsubscribes", "reported_spam"} <= set(email)
        assert "total_opens" not in email and "direct_opens" not in email  # email's own fields, never push's
        rows = [row for rows in day["messages"].values() for row in rows]
        assert day["unique_recipients"] < sum(row["unique_recipients"] for row in rows)


def test_the_fakes_campaign_list_leaves_archived_campaigns_out_unless_asked(server: SampleBraze) -> None:
    server.add_campaign("cmp-archived", "Old promo", archived=True)
    try:
        ids = {c["id"] for c in get(server, "/campaigns/list")["campaigns"]}
        assert "cmp-1" in ids and "cmp-archived" not in ids
        everything = get(server, "/campaigns/list", include_archived="true")["campaigns"]
        assert "cmp-archived" in {c["id"] for c in everything}
        assert all(set(c) == set(load("campaigns_list.json")["campaigns"][0]) for c in everything)
    finally:
        server.campaigns.pop("cmp-archived")
