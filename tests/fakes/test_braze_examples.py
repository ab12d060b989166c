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
    assert seen == {"email", "ios_push", "android_push", "webhook", "control"}  # the sample send's channels
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
    assert details.variation_names() == {"var-1": "Variant 1", "var-2": "Variant 2"}
    series = get(server, "/campaigns/data_series", campaign_id="cmp-1", length="1")
    assert {row["variation_api_id"] for rows in series["data"][0]["messages"].values() for row in rows} == {
        "var-1", "var-2"
    }
    assert [b.type for b in details.conversion_behaviors] == ["Makes Specific Purchase", "Performs Custom Event"]
