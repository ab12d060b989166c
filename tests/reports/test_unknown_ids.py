"""An ID Braze does not know: the docs do not say how Braze answers, so the sample server can answer
either plausible way (400 with a message, or 200 with the empty shape) and the client copes with both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fakes.braze import SampleBraze
from reports.braze import BrazeClient, BrazeError, BrazeNoData

KEY = "unknown-ids-key"


@pytest.fixture(params=["400", "empty"])
def answer(request: pytest.FixtureRequest) -> Iterator[tuple[str, BrazeClient]]:
    with SampleBraze(api_key=KEY) as braze:
        braze.unknown_id_answer = request.param
        with BrazeClient(braze.url, KEY) as client:
            yield request.param, client


def test_unknown_campaign(answer: tuple[str, BrazeClient]) -> None:
    mode, client = answer
    expected = BrazeError if mode == "400" else BrazeNoData
    with pytest.raises(expected, match="campaign `nope`") as info:
        client.campaign_series_payload("nope", length=7)
    assert type(info.value) is expected
    assert client.campaign_name("nope") is None
    if mode == "400":
        with pytest.raises(BrazeError, match="does not know campaign `nope`"):
            client.campaign_details("nope")
    else:
        details = client.campaign_details("nope")
        assert details.name is None and details.messages == () and details.variation_names() == {}


def test_unknown_canvas(answer: tuple[str, BrazeClient]) -> None:
    mode, client = answer
    expected = BrazeError if mode == "400" else BrazeNoData
    with pytest.raises(expected, match="Canvas `nope`") as info:
        client.canvas_series_payload("nope", length=20, ending_at=datetime.now(UTC))
    assert type(info.value) is expected
    assert client.canvas_name("nope") is None


def test_unknown_send_is_no_data(answer: tuple[str, BrazeClient]) -> None:
    with pytest.raises(BrazeNoData):
        answer[1].data_series("nope", "nope", length=3)
