"""Braze's documented example responses, one JSON file per endpoint (see README.md here for the sources,
and for where a documented example had to be made into valid JSON).

These are the ground truth the sample server (:mod:`fakes.braze`) is measured against: a payload the fake
builds should carry the keys these carry, and none that Braze does not document.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: Each fixture → the page of braze-inc/braze-docs (and the commit read) its example comes from.
SOURCES: dict[str, str] = {
    "sends_data_series.json": "_docs/_api/endpoints/export/campaigns/get_send_analytics.md@c5cfdb7e",
    "campaigns_data_series.json": "_docs/_api/endpoints/export/campaigns/get_campaign_analytics.md@4a03d016",
    "campaigns_data_series_multivariate.json":
        "_docs/_api/endpoints/export/campaigns/get_campaign_analytics.md@4a03d016",
    "campaign_details.json": "_docs/_api/endpoints/export/campaigns/get_campaign_details.md@9558a7ae",
    "campaigns_list.json": "_docs/_api/endpoints/export/campaigns/get_campaigns.md@7d3d9477",
    "canvas_data_series.json": "_docs/_api/endpoints/export/canvas/get_canvas_analytics.md@cbab0602",
    "canvas_details.json": "_docs/_api/endpoints/export/canvas/get_canvas_details.md@6737ea78",
    "canvas_list.json": "_docs/_api/endpoints/export/canvas/get_canvases.md@0a88ae7e",
}


def load(name: str) -> dict[str, Any]:
    """One fixture as a fresh dict (callers may change it)."""
    if name not in SOURCES:
        raise KeyError(f"no Braze example {name!r}; known: {', '.join(sorted(SOURCES))}")
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
