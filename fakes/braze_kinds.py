"""Campaigns and Canvases for the sample Braze server: ``/campaigns/data_series``, ``/canvas/data_series``,
``/campaigns/details``, ``/canvas/details``, ``/campaigns/list`` and ``/canvas/list`` in the shapes of
Braze's docs.

Every answer carries exactly the keys of Braze's documented examples (:mod:`fakes.braze_examples`): the
details' messages are built from the example's message of the same channel, and each series row has the
keys of the example's row of its channel (``tests/fakes/test_braze_examples.py`` checks both). Numbers are
made up; the day-level figures are Braze's own totals and differ from the rows' sums, as in Braze.

Kept apart from :mod:`fakes.braze` (whose ``SampleBraze`` mixes this in) so that file's fault machinery
and this data can change independently.
"""

from __future__ import annotations

import copy
import json
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fakes.braze_examples import load

CAMPAIGN_SERIES_PATH = "/campaigns/data_series"
CANVAS_SERIES_PATH = "/canvas/data_series"
KIND_PATHS = frozenset({CAMPAIGN_SERIES_PATH, CANVAS_SERIES_PATH, "/canvas/details", "/campaigns/list", "/canvas/list"})
_CAMPAIGN_EXAMPLE = load("campaign_details.json")
#: The documented message of each channel, from the example (push, email and Content Cards carry a
#: ``name``; webhook, SMS, WhatsApp, in-app and control messages do not).
_MESSAGE_SHAPES: dict[str, dict[str, Any]] = {
    m.get("channel", "in_app_message"): m for m in _CAMPAIGN_EXAMPLE["messages"].values() if m.get("type") != "control"
}
_CONTROL_SHAPE = next(m for m in _CAMPAIGN_EXAMPLE["messages"].values() if m.get("type") == "control")
#: The documented conversion behaviors, in the example's order (conversion events A, B, C, D).
EXAMPLE_BEHAVIORS: tuple[dict[str, Any], ...] = tuple(_CAMPAIGN_EXAMPLE["conversion_behaviors"])


def message_shape(channel: str, name: str | None) -> dict[str, Any]:
    """A ``/campaigns/details`` message for ``channel`` with the documented keys of that channel's example.
    ``name`` is set where the docs give the channel one; the control (``name`` "Control") is the control
    shape. ASSUMPTION: ``*_push`` channels other than the example's two take the push shape, and
    ``trigger_in_app_message`` the in-app shape (the docs show a survey, without ``channel`` or ``name``)."""
    if name == "Control":
        return {**copy.deepcopy(_CONTROL_SHAPE), "channel": channel}
    key = "ios_push" if channel.endswith("_push") and channel not in _MESSAGE_SHAPES else channel
    if channel.endswith("in_app_message"):
        key = "in_app_message"
    shape = copy.deepcopy(_MESSAGE_SHAPES.get(key, _MESSAGE_SHAPES["webhook"]))
    if "channel" in shape:
        shape["channel"] = channel
    if "name" in shape and name is not None:
        shape["name"] = name
    return shape


#: A sample campaign's channels: every channel key of the documented multichannel example, and an in-app
#: message (whose rows take the documented multivariate shape).
CAMPAIGN_CHANNELS = (
    "email", "ios_push", "android_push", "sms", "webhook", "content_cards", "whats_app", "trigger_in_app_message"
)
LIST_PAGE = 100
#: The documented example's rows, by channel: a sample row has exactly these keys.
_MULTICHANNEL = load("campaigns_data_series.json")["data"][0]["messages"]
_MULTIVARIATE = load("campaigns_data_series_multivariate.json")["data"][0]["messages"]["trigger_in_app_message"]
CONTROL = "Control"


@dataclass
class SampleCampaign:
    """A campaign with analytics: one row per channel × variation per day from ``first_day`` on."""

    campaign_id: str
    name: str
    first_day: date
    channels: tuple[str, ...] = CAMPAIGN_CHANNELS
    variations: tuple[tuple[str, str], ...] = (("Variant 1", "var-1"), ("Variant 2", "var-2"))
    audience: int = 40_000
    seed: int = 11
    last_edited: str = "2026-01-05T10:00:00+00:00"
    archived: bool = False
    #: Day offsets from ``first_day`` with no activity at all (Braze leaves those days out).
    quiet_days: frozenset[int] = frozenset()
    #: ``/campaigns/details`` → ``conversion_behaviors``: events A and B, as the series reports
    #: ``conversions`` and ``conversions1``.
    conversion_behaviors: tuple[dict[str, Any], ...] = field(default_factory=lambda: EXAMPLE_BEHAVIORS[:2])
    #: When set, this share of each email row's ``sent`` bounces (``delivered`` is the rest): a test turns
    #: a campaign's bounce rate up and down between alert checks. The keys stay the documented ones.
    email_bounce_share: float | None = None
    #: A control group (enrolled, never messaged): the in-app rows end with the documented control row.
    control: bool = True

    def message_id(self, channel: str, api_id: str) -> str:
        """The message variation ID of one variation in one channel (each ID has one channel in Braze)."""
        return f"{api_id}-{channel}"


@dataclass
class SampleCanvas:
    """A Canvas with several variants; entries every day from ``first_day`` on."""

    canvas_id: str
    name: str
    first_day: date
    variants: tuple[tuple[str, str], ...] = (("cv-a", "Control"), ("cv-b", "Discount path"), ("cv-c", "Content path"))
    daily_entries: int = 900
    seed: int = 5
    last_edited: str = "2026-01-07T12:00:00+00:00"
    archived: bool = False


def _campaign_row(channel: str, rng: random.Random, audience: int, decay: float) -> dict[str, Any]:
    """One channel's counters, with exactly the keys of that channel's row in the documented example
    (``campaigns_data_series.json``; in-app: the multivariate example's). # assumption: a channel key the
    example does not show (``kindle_push``, ``web_push``…) reports like the example's push rows; any
    other key reports ``sent`` alone."""
    sent = int(audience * decay * rng.uniform(0.8, 1.0))
    if channel == "email":
        delivered = sent - int(sent * rng.uniform(0.01, 0.03))
        unique_opens = int(delivered * rng.uniform(0.2, 0.35))
        unique_clicks = int(unique_opens * rng.uniform(0.1, 0.3))
        return {
            "sent": sent, "opens": int(unique_opens * 1.4), "unique_opens": unique_opens,
            "clicks": int(unique_clicks * 1.3), "unique_clicks": unique_clicks,
            "unsubscribes": int(delivered * 0.002), "bounces": sent - delivered, "delivered": delivered,
            "reported_spam": int(delivered * 0.0004),
        }
    if channel.endswith("_push"):
        direct = int(sent * rng.uniform(0.03, 0.08))
        return {"sent": sent, "direct_opens": direct, "total_opens": int(direct * 1.5),
                "bounces": int(sent * 0.01), "body_clicks": int(direct * 0.4)}
    if channel == "sms":
        to_carrier = sent - int(sent * rng.uniform(0.0, 0.02))
        delivered = int(to_carrier * rng.uniform(0.9, 0.98))
        rejected = int((to_carrier - delivered) * 0.4)
        return {"sent": sent, "sent_to_carrier": to_carrier, "delivered": delivered, "rejected": rejected,
                "delivery_failed": to_carrier - delivered - rejected, "clicks": int(delivered * 0.05),
                "opt_out": int(delivered * 0.004), "help": int(delivered * 0.001)}
    if channel == "webhook":
        return {"sent": sent, "errors": int(sent * rng.uniform(0.0, 0.02))}
    if channel == "content_cards":
        impressions = int(sent * rng.uniform(0.5, 0.8))
        clicks = int(impressions * rng.uniform(0.04, 0.1))
        dismissals = int(impressions * rng.uniform(0.02, 0.06))
        return {"sent": sent, "total_clicks": int(clicks * 1.2), "total_dismissals": int(dismissals * 1.1),
                "total_impressions": int(impressions * 1.6), "unique_clicks": clicks,
                "unique_dismissals": dismissals, "unique_impressions": impressions}
    if channel == "whats_app":
        delivered = int(sent * rng.uniform(0.93, 0.99))
        return {"sent": sent, "delivered": delivered, "failed": sent - delivered,
                "read": int(delivered * rng.uniform(0.5, 0.8))}
    if channel.endswith("in_app_message"):
        impressions = int(audience * decay * rng.uniform(0.3, 0.5))
        clicks = int(impressions * rng.uniform(0.05, 0.15))
        return {"impressions": impressions, "clicks": clicks, "first_button_clicks": int(clicks * 0.6),
                "second_button_clicks": int(clicks * 0.2)}
    return {"sent": sent}


def _conversions(rng: random.Random, base: int) -> dict[str, Any]:
    """The per-row figures of the documented multivariate row: revenue, unique recipients, conversions."""
    conversions = int(base * rng.uniform(0.01, 0.04))
    return {
        "revenue": round(conversions * rng.uniform(15, 45), 2), "unique_recipients": base,
        "conversions": conversions, "conversions_by_send_time": int(conversions * 0.85),
        "conversions1": int(conversions * 0.5), "conversions1_by_send_time": int(conversions * 0.45),
    }


def campaign_series_payload(campaign: SampleCampaign, *, length: int, ending: date) -> dict[str, Any]:
    """The ``/campaigns/data_series`` answer after the documented examples: per day, ``messages`` by
    channel with one row per variation carrying its message variation's ``variation_api_id`` and no
    ``variation_name`` (as the multichannel example), and the campaign-level conversions, unique
    recipients and revenue beside them (Braze's own day totals, which differ from any sum of rows: a
    person reached on two channels is one recipient). In-app rows take the multivariate example's shape:
    ``variation_name``, the per-row conversions, and a last control row with ``enrolled`` and no
    impressions or clicks. # assumption: the docs show in-app rows only in a multivariate (in-app only)
    answer; in a multichannel one they are taken to keep that shape, names included."""
    data = []
    for offset in range(length - 1, -1, -1):
        day = ending - timedelta(days=offset)
        index = (day - campaign.first_day).days
        if index < 0 or index in campaign.quiet_days:
            continue
        rng = random.Random(f"{campaign.seed}:{campaign.campaign_id}:{index}")
        decay = 1.0 if index == 0 else 0.08 * 0.8**index
        share = campaign.audience // len(campaign.variations)
        messages: dict[str, list[dict[str, Any]]] = {}
        for channel in campaign.channels:
            rows = []
            for name, api_id in campaign.variations:
                row = _campaign_row(channel, rng, share, decay)
                if channel == "email" and campaign.email_bounce_share is not None:
                    row["bounces"] = int(row["sent"] * campaign.email_bounce_share)
                    row["delivered"] = row["sent"] - row["bounces"]
                if channel.endswith("in_app_message"):
                    rows.append({"variation_name": name, **row, **_conversions(rng, row["impressions"])})
                else:
                    rows.append({"variation_api_id": campaign.message_id(channel, api_id), **row})
            if channel.endswith("in_app_message") and campaign.control:
                enrolled = int(share * decay * 0.1)
                rows.append({"variation_name": CONTROL, **_conversions(rng, enrolled), "enrolled": enrolled})
            messages[channel] = rows
        unique = int(campaign.audience * decay * 0.9)
        conversions = int(unique * rng.uniform(0.01, 0.04))
        data.append({
            "time": day.isoformat(),
            "conversions_by_send_time": int(conversions * 0.85),
            "conversions1_by_send_time": int(conversions * 0.45),
            "conversions": conversions,
            "conversions1": int(conversions * 0.5),
            "unique_recipients": unique,
            "revenue": round(conversions * rng.uniform(15, 45), 2),
            "messages": messages,
        })
    return {"message": "success", "data": data}


def canvas_series_payload(
    canvas: SampleCanvas, *, length: int, ending: date, starting: date | None = None
) -> dict[str, Any]:
    """The ``/canvas/data_series`` answer with ``variant_stats`` (``include_variant_breakdown=true``): the
    ``length`` days ending on ``ending``, or the days from ``starting`` to ``ending`` (both included)."""
    stats = []
    if starting is not None:
        length = (ending - starting).days + 1
    for offset in range(length - 1, -1, -1):
        day = ending - timedelta(days=offset)
        index = (day - canvas.first_day).days
        if index < 0:
            continue
        rng = random.Random(f"{canvas.seed}:{canvas.canvas_id}:{index}")
        variant_stats, totals = {}, {"entries": 0, "conversions": 0, "conversions_by_entry_time": 0, "revenue": 0.0}
        for v_index, (variant_id, name) in enumerate(canvas.variants):
            entries = int(canvas.daily_entries / len(canvas.variants) * rng.uniform(0.7, 1.3))
            conversions = int(entries * (0.04 + 0.02 * v_index) * rng.uniform(0.8, 1.2))
            item = {"name": name, "revenue": round(conversions * rng.uniform(10, 30), 2), "conversions": conversions,
                    "conversions_by_entry_time": int(conversions * 0.9), "entries": entries}
            variant_stats[variant_id] = item
            for key in totals:
                totals[key] += item[key]
        totals["revenue"] = round(totals["revenue"], 2)
        stats.append({"time": day.isoformat(), "total_stats": totals, "variant_stats": variant_stats})
    return {"data": {"name": canvas.name, "stats": stats}, "message": "success"}


def _bad(message: str) -> tuple[int, bytes, dict[str, str]]:
    return 400, json.dumps({"message": message}).encode(), {}


def _ending(query: dict[str, str], default: date) -> date | None:
    if not query.get("ending_at"):
        return default
    try:
        return datetime.fromisoformat(query["ending_at"].replace("Z", "+00:00")).date()
    except ValueError:
        return None


def company_day(value: str, zone: str) -> date | None:
    """The company-time-zone day an ISO-8601 ``starting_at``/``ending_at`` falls on: Braze normalises both
    to midnight and aggregates Canvas days in the company's time zone. ASSUMPTION: a time without an
    offset is the company's local time."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(zone)).date()


def _edited_after(value: str) -> datetime | None:
    """``last_edit.time[gt]``: documented as ``yyyy-MM-DDTHH:mm:ss``. ASSUMPTION: without an offset it is
    UTC; the docs' own example carries one (``-5:00``), so an offset is honoured too."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class KindEndpoints:
    """Campaign/Canvas state and endpoints; :class:`fakes.braze.SampleBraze` provides the HTTP server,
    the request log, ``current_day`` and ``_lock``."""

    campaigns: dict[str, SampleCampaign]
    canvases: dict[str, SampleCanvas]
    listed: list[dict[str, Any]]
    requests: list[Any]
    company_timezone: str
    _lock: threading.Lock
    #: The company-time-zone days each ``/canvas/data_series`` answer covered, in request order.
    canvas_days_served: list[tuple[date, ...]]

    def _unknown_id(self, name: str, empty: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError  # pragma: no cover - provided by SampleBraze

    def current_day(self) -> date:  # pragma: no cover - provided by SampleBraze
        raise NotImplementedError

    def add_campaign(self, campaign_id: str, name: str, *, days_ago: int = 20, **kwargs: Any) -> SampleCampaign:
        campaign = SampleCampaign(campaign_id, name, self.current_day() - timedelta(days=days_ago), **kwargs)
        self.campaigns[campaign_id] = campaign
        return campaign

    def add_canvas(self, canvas_id: str, name: str, *, days_ago: int = 40, **kwargs: Any) -> SampleCanvas:
        canvas = SampleCanvas(canvas_id, name, self.current_day() - timedelta(days=days_ago), **kwargs)
        self.canvases[canvas_id] = canvas
        return canvas

    def fill_lists(self, campaigns: int = 230, canvases: int = 120) -> None:
        """Name-only entries so the lists span several pages of 100."""
        self.listed = [
            {"kind": "campaign", "id": f"listed-campaign-{i:04d}", "name": f"Weekly newsletter #{i}",
             "last_edited": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+00:00", "tags": ["newsletter"],
             "is_api_campaign": False}
            for i in range(campaigns)
        ] + [
            {"kind": "canvas", "id": f"listed-canvas-{i:04d}", "name": f"Onboarding journey {i}",
             "last_edited": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00+00:00", "tags": []}
            for i in range(canvases)
        ]

    def kind_requests(self, path: str) -> list[Any]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _kind_response(self, path: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if path == CAMPAIGN_SERIES_PATH:
            return self._campaign_series(query)
        if path == CANVAS_SERIES_PATH:
            return self._canvas_series(query)
        if path == "/canvas/details":
            canvas = self.canvases.get(query.get("canvas_id", ""))
            if canvas is None:
                return self._unknown_id("canvas_id", {"message": "success"})
            return 200, json.dumps(self._canvas_details(canvas)).encode(), {}
        return self._list(path, query)

    def _canvas_details(self, canvas: SampleCanvas) -> dict[str, Any]:
        """The documented keys of the Canvas details example. The sample Canvas has no steps (``steps``
        is empty, so its variants' ``first_step_ids`` are too)."""
        first = f"{canvas.first_day.isoformat()}T00:00:00+00:00"
        last = f"{self.current_day().isoformat()}T00:00:00+00:00"
        return {
            "message": "success", "created_at": first, "updated_at": canvas.last_edited, "name": canvas.name,
            "description": "", "archived": canvas.archived, "draft": False, "enabled": not canvas.archived,
            "has_post_launch_draft": False, "schedule_type": "date", "first_entry": first, "last_entry": last,
            "channels": ["email", "push"],
            "variants": [{"name": n, "id": i, "first_step_ids": []} for i, n in canvas.variants],
            "tags": [], "teams": [], "steps": [],
        }

    def _campaign_details(self, campaign: SampleCampaign) -> tuple[int, bytes, dict[str, str]]:
        """The documented keys of the campaign details example, ``messages`` keyed by the series'
        ``variation_api_id``s and ``conversion_behaviors`` in event order.

        Each channel × variation is one message variation ID, as in Braze; push, email and Content Cards
        messages carry the variation's name, the others none (as documented); a control group is the
        documented control message."""
        first = f"{campaign.first_day.isoformat()}T09:00:00+00:00"
        messages = {
            campaign.message_id(channel, api_id): message_shape(channel, name)
            for channel in campaign.channels
            for name, api_id in campaign.variations
        }
        if campaign.control:
            messages[campaign.message_id("control", "control")] = message_shape(campaign.channels[0], CONTROL)
        body = {
            "message": "success", "created_at": f"{campaign.first_day.isoformat()}T00:00:00+00:00",
            "updated_at": campaign.last_edited, "archived": campaign.archived, "draft": False,
            "enabled": not campaign.archived, "has_post_launch_draft": False, "name": campaign.name,
            "description": "", "schedule_type": "time_based", "channels": list(campaign.channels),
            "first_sent": first, "last_sent": f"{self.current_day().isoformat()}T09:00:00+00:00",
            "tags": [], "teams": [],
            "messages": messages,
            "conversion_behaviors": [dict(b) for b in campaign.conversion_behaviors],
        }
        return 200, json.dumps(body).encode(), {}

    def _campaign_series(self, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if not query.get("campaign_id") or not query.get("length"):
            return _bad("campaign_id and length are required")
        if not query["length"].isdigit() or not 1 <= int(query["length"]) <= 100:
            return _bad("length must be between 1 and 100")
        ending = _ending(query, self.current_day())
        if ending is None:
            return _bad("ending_at must be ISO 8601")
        campaign = self.campaigns.get(query["campaign_id"])
        if campaign is None:
            return self._unknown_id("campaign_id", {"message": "success", "data": []})
        body = campaign_series_payload(campaign, length=int(query["length"]), ending=ending)
        return 200, json.dumps(body).encode(), {}

    def _canvas_series(self, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """``ending_at`` is required, and ``length`` (1..14) or ``starting_at``, as documented. Both are
        read as days of the company's time zone (Braze normalises them to midnight there). ASSUMPTIONS
        (docs silent): with both, ``starting_at`` wins; a ``starting_at`` range has no maximum."""
        if not query.get("canvas_id"):
            return _bad("canvas_id is required")
        if not query.get("ending_at"):
            return _bad("ending_at is required")
        ending = company_day(query["ending_at"], self.company_timezone)
        if ending is None:
            return _bad("ending_at must be ISO 8601")
        starting, length = None, query.get("length", "")
        if query.get("starting_at"):
            starting = company_day(query["starting_at"], self.company_timezone)
            if starting is None or starting > ending:
                return _bad("starting_at must be an ISO 8601 time before ending_at")
        elif not length:
            return _bad("either length or starting_at is required")
        elif not length.isdigit() or not 1 <= int(length) <= 14:
            return _bad("length must be between 1 and 14")
        canvas = self.canvases.get(query["canvas_id"])
        if canvas is None:
            return self._unknown_id("canvas_id", {"data": {"name": None, "stats": []}, "message": "success"})
        body = canvas_series_payload(canvas, length=int(length or 1), ending=ending, starting=starting)
        with self._lock:
            self.canvas_days_served.append(tuple(date.fromisoformat(s["time"]) for s in body["data"]["stats"]))
        if query.get("include_variant_breakdown") != "true":
            for item in body["data"]["stats"]:
                item.pop("variant_stats")
        return 200, json.dumps(body).encode(), {}

    def _list(self, path: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """A page of 100 in creation order (``sort_direction=desc``: newest first); archived entries only
        with ``include_archived=true``; ``last_edit.time[gt]`` keeps those edited after it (both lists)."""
        kind = "campaign" if path == "/campaigns/list" else "canvas"
        page = query.get("page", "0")
        if not page.isdigit():
            return _bad("page must be a non-negative integer")
        archived = query.get("include_archived") == "true"
        if kind == "campaign":
            own = [{"kind": "campaign", "id": c.campaign_id, "last_edited": c.last_edited, "name": c.name,
                    "is_api_campaign": False, "tags": []}
                   for c in self.campaigns.values() if not c.archived or archived]
        else:
            own = [{"kind": "canvas", "id": c.canvas_id, "last_edited": c.last_edited, "name": c.name, "tags": []}
                   for c in self.canvases.values() if not c.archived or archived]
        entries = [e for e in [*self.listed, *own] if e["kind"] == kind]
        since = query.get("last_edit.time[gt]")
        if since:
            cutoff = _edited_after(since)
            if cutoff is None:
                return _bad("last_edit.time[gt] must be yyyy-MM-DDTHH:mm:ss")
            entries = [e for e in entries if datetime.fromisoformat(e["last_edited"]) > cutoff]
        if query.get("sort_direction") == "desc":
            entries.reverse()
        chunk = entries[int(page) * LIST_PAGE : (int(page) + 1) * LIST_PAGE]
        key = "campaigns" if kind == "campaign" else "canvases"
        items = [{k: v for k, v in e.items() if k != "kind"} for e in chunk]
        return 200, json.dumps({key: items, "message": "success"}).encode(), {}
