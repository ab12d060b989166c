"""A sample Braze REST server on 127.0.0.1, for ``python -m bot demo`` and the test suite.

It speaks the real wire format of ``/sends/data_series`` and ``/campaigns/details`` (Bearer auth,
``length`` / ``ending_at``, ``{"message": ...}`` errors) and makes up believable numbers for a
multi-channel, multi-variation send. Braze's documented example answers are in
:mod:`fakes.braze_examples`; the details and list answers here carry their keys.

Like Braze (``api_limits.md``), it counts calls per workspace budget (250,000 an hour shared by six of
its endpoints, 50,000 a minute for ``/campaigns/data_series``; :meth:`SampleBraze.set_rate_limit`
lowers them), states them in ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on every answer and answers
429 once one is used up. It can refuse a path with either documented 403 (:meth:`SampleBraze.refuse`).
Faults and latency can be injected so tests exercise the client's real retry and error paths over real
HTTP.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.braze_kinds import (
    EXAMPLE_BEHAVIORS,
    KIND_PATHS,
    KindEndpoints,
    SampleCampaign,
    SampleCanvas,
    message_shape,
)

RETENTION_DAYS = 14
#: Braze's documented default limits (api_limits.md): budget → (calls, window in seconds). Braze counts
#: fixed windows and names the window's end in ``X-RateLimit-Reset`` (UTC epoch seconds).
DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {"shared": (250_000, 3600), "campaigns.data_series": (50_000, 60)}
BUDGET_OF_PATH = {"/campaigns/data_series": "campaigns.data_series"}
#: The two 403s of Braze's errors page ("403 Access Denied": the key lacks a permission; "403 Forbidden":
#: the rate plan doesn't support the call, or the account is inactive). ASSUMPTION: the body's wording is
#: not documented, so the fake sends the documented names as ``message``, as it does "Invalid campaign_id"
#: for a 400 (the client reads both loosely and copes with neither).
REFUSALS = {"permission": "Access Denied", "plan": "Forbidden"}
#: ASSUMPTION: the 429 body is not documented (only "429 Rate Limited: Over rate limit").
RATE_LIMITED_BODY = b'{"message": "Rate Limited"}'
SERIES_PATH = "/sends/data_series"
CHANNELS = ("ios_push", "android_push", "email", "webhook")
VARIATIONS = ("Variant A", "Variant B", "Control")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the benches open many connections at once
    daemon_threads = True


@dataclass
class SampleSend:
    """A send the server knows: its first day, audience size and per-channel shape."""

    campaign_id: str
    send_id: str
    first_day: date
    campaign_name: str = "Spring Sale — API launch"
    audience: int = 120_000
    channels: tuple[str, ...] = CHANNELS
    variations: tuple[str, ...] = VARIATIONS
    seed: int = 7
    #: Day offsets from ``first_day`` on which nothing happened (Braze leaves those days out).
    quiet_days: frozenset[int] = frozenset()
    #: Reuse the send ID for a new send every this many days (Braze allows it); 0: a single send.
    resend_every: int = 0


@dataclass
class Recorded:
    """One request as the server saw it (tests assert on these)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)


@dataclass
class Misbehaviour:
    """A hostile answer: ``hang`` (never answer), ``trickle`` (headers, then one body byte every
    ``interval`` s), ``huge`` (a valid answer padded to ``size`` bytes) or ``nested`` (``size`` ``[``)."""

    mode: str
    path: str | None = None
    send_id: str | None = None
    campaign_id: str | None = None
    interval: float = 2.0
    size: int = 100_000

    def matches(self, path: str, query: dict[str, str]) -> bool:
        return (
            self.path in (None, path)
            and self.send_id in (None, query.get("send_id"))
            and self.campaign_id in (None, query.get("campaign_id"))
        )


@dataclass
class Fault:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: Only requests to this path take the fault (None: any path).
    path: str | None = None


def _send_row(channel: str, rng: random.Random, audience: int, sent: int, opens_base: float) -> dict[str, Any]:
    """One channel's counters for one variation and day. Push follows the send page's documented row
    (``sent``, ``delivered``, ``undelivered``, ``delivery_failed``, ``direct_opens``, ``total_opens``,
    ``bounces``, ``body_clicks``). # assumption: the send page documents only that push-shaped row; another
    channel's send row carries that channel's fields of the ``/campaigns/data_series`` page (email:
    ``opens``, ``unique_opens``, ``clicks``, ``unique_clicks``, ``unsubscribes``, ``bounces``, ``delivered``,
    ``reported_spam``; webhook: ``errors``), beside the per-row figures every send row documents."""
    if channel == "email":
        delivered = sent - int(sent * rng.uniform(0.01, 0.03))
        unique_opens = int(opens_base * rng.uniform(0.7, 1.0))
        unique_clicks = int(unique_opens * rng.uniform(0.08, 0.2))
        return {
            "sent": sent, "opens": int(unique_opens * rng.uniform(1.2, 1.6)), "unique_opens": unique_opens,
            "clicks": int(unique_clicks * 1.3), "unique_clicks": unique_clicks,
            "unsubscribes": int(delivered * 0.002), "bounces": sent - delivered, "delivered": delivered,
            "reported_spam": int(delivered * 0.0004),
        }
    if channel == "webhook":
        return {"sent": sent, "errors": int(sent * rng.uniform(0.0, 0.02))}
    undelivered = int(sent * rng.uniform(0.005, 0.03))
    failed = int(sent * rng.uniform(0.0, 0.01))
    direct = int(opens_base * rng.uniform(0.7, 1.0))
    total = int(direct * rng.uniform(1.2, 1.6))
    return {
        "sent": sent, "delivered": max(0, sent - undelivered - failed), "undelivered": undelivered,
        "delivery_failed": failed, "direct_opens": direct, "total_opens": total, "bounces": int(undelivered * 0.6),
        "body_clicks": int(total * rng.uniform(0.08, 0.2)),
    }


def _day_rows(send: SampleSend, day_index: int) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Numbers for one day: everything goes out on day 0, engagement decays afterwards. Each row carries
    its channel's documented counters and the send row's per-row figures; the day's own figures beside
    ``messages`` are Braze's totals and differ from the rows' sums, as they do in Braze: a person reached by
    push and email is one unique recipient of the day, and each row repeats campaign-level values."""
    rng = random.Random(f"{send.seed}:{send.campaign_id}:{send.send_id}:{day_index}")
    messages: dict[str, list[dict[str, Any]]] = {}
    decay = 0.55**day_index
    people = conversions_total = 0
    share = {"ios_push": 0.35, "android_push": 0.3, "email": 0.3, "webhook": 0.05}
    for channel in send.channels:
        rows = []
        for v_index, variation in enumerate(send.variations):
            audience = int(send.audience * share.get(channel, 0.1) / len(send.variations))
            sent = audience if day_index == 0 else int(audience * 0.02 * decay)
            lift = 1.0 + 0.15 * (len(send.variations) - 1 - v_index)
            opens_base = audience * (0.22 if channel == "email" else 0.08) * lift * decay
            row = _send_row(channel, rng, audience, sent, opens_base)
            clicks = row.get("body_clicks", row.get("unique_clicks", 0))
            conversions = int(clicks * rng.uniform(0.1, 0.3))
            row = {"variation_name": variation, **row, "revenue": round(conversions * rng.uniform(12, 40), 2),
                   "unique_recipients": sent, "conversions": conversions,
                   "conversions_by_send_time": int(conversions * 0.9), "conversions1": int(conversions * 0.4),
                   "conversions1_by_send_time": int(conversions * 0.35)}
            rows.append(row)
            people += sent
            conversions_total += conversions
        messages[channel] = rows
    # Braze's own day figures: fewer people than rows (some got two channels), conversions counted once.
    conversions = int(conversions_total * 0.9)
    return messages, {
        "conversions_by_send_time": int(conversions * 0.9),
        "conversions1_by_send_time": int(conversions * 0.35),
        "conversions": conversions,
        "conversions1": int(conversions * 0.4),
        "unique_recipients": int(people * 0.8),
        "revenue": round(conversions * 27.5, 2),
    }


def _send_campaign_details(send: SampleSend) -> dict[str, Any]:
    """``/campaigns/details`` of a sample send's campaign, with the keys of Braze's documented example: one
    message per channel and variation (push and email messages carry the variation's name; webhook
    messages have none, as documented)."""
    first = f"{send.first_day.isoformat()}T09:00:00+00:00"
    messages = {
        f"{send.campaign_id}-{channel}-{index}": message_shape(channel, name)
        for channel in send.channels
        for index, name in enumerate(send.variations)
    }
    return {
        "message": "success", "created_at": first, "updated_at": first, "archived": False, "draft": False,
        "enabled": True, "has_post_launch_draft": False, "name": send.campaign_name, "description": "",
        "schedule_type": "api_triggered", "channels": list(send.channels), "first_sent": first,
        "last_sent": first, "tags": [], "teams": [], "messages": messages,
        # events A and B, as the series reports ``conversions`` and ``conversions1``
        "conversion_behaviors": [dict(b) for b in EXAMPLE_BEHAVIORS[:2]],
    }


def series_payload(send: SampleSend, *, length: int, ending: date) -> dict[str, Any]:
    """The ``data_series`` answer for ``length`` days ending on ``ending``, within Braze's retention."""
    data = []
    for offset in range(length - 1, -1, -1):
        day = ending - timedelta(days=offset)
        index = (day - send.first_day).days
        if send.resend_every and index >= 0:
            index %= send.resend_every
        if index < 0 or index > RETENTION_DAYS or index in send.quiet_days:
            continue
        messages, totals = _day_rows(send, index)
        data.append({"time": day.isoformat(), "messages": messages, **totals})
    return {"data": data, "message": "success"}


class SampleBraze(KindEndpoints):
    """Threaded HTTP server holding sample sends, with fault injection and a request log."""

    def __init__(self, api_key: str = "sample-braze-key", *, today: date | None = None) -> None:
        self.api_key = api_key
        self.today = today
        self.sends: dict[tuple[str, str], SampleSend] = {}
        self.requests: list[Recorded] = []
        self.latency = 0.0
        #: Extra latency of one send's ``/sends/data_series`` answers, by send id (a hung send).
        self.send_latency: dict[str, float] = {}
        self.campaign_details_status = 200
        #: Paths answered with one of the documented 403s ("permission" or "plan"), until :meth:`reset`.
        self.refusals: dict[str, str] = {}
        #: How an ID Braze does not know is answered. ASSUMPTION: the docs are silent; "400" answers
        #: ``{"message": "Invalid campaign_id"}`` (as Braze's messaging endpoints document), "empty" answers
        #: 200 with the empty shape of the endpoint. The client must cope with both.
        self.unknown_id_answer = "400"
        #: The company's time zone, in which Braze aggregates Canvas days (Braze → Company Settings).
        self.company_timezone = "UTC"
        self.rate_limits: dict[str, tuple[int, int]] = dict(DEFAULT_RATE_LIMITS)
        self.rate_clock = time.time
        self._spent: dict[str, tuple[int, int]] = {}  # budget → (window start, calls in it)
        self.campaigns: dict[str, SampleCampaign] = {}
        self.canvases: dict[str, SampleCanvas] = {}
        #: Name-only list entries (no analytics), so the list endpoints have several pages.
        self.listed: list[dict[str, Any]] = []
        self.canvas_days_served: list[tuple[date, ...]] = []
        self._faults: list[Fault] = []
        self._misbehaviours: list[Misbehaviour] = []
        #: Set to let hanging and trickling answers go (on reset and stop), so no thread outlives a test.
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SampleBraze:
        # the loop looks for a stop every 0.05 s (socketserver's default 0.5 s is half a second per stop)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sample-braze", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SampleBraze:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_send(self, campaign_id: str, send_id: str, *, days_ago: int = 4, **kwargs: Any) -> SampleSend:
        """Register a send whose first day was ``days_ago`` days before today."""
        send = SampleSend(campaign_id, send_id, self.current_day() - timedelta(days=days_ago), **kwargs)
        self.sends[(campaign_id, send_id)] = send
        return send

    def current_day(self) -> date:
        return self.today or datetime.now(UTC).date()

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (to ``path``, or any) with ``status`` and ``body``
        (dict → JSON, str → raw)."""
        raw = json.dumps(body).encode() if isinstance(body, dict | list) else str(body or "").encode()
        with self._lock:
            self._faults.extend(Fault(status, raw, dict(headers or {}), path) for _ in range(times))

    def misbehave(self, mode: str, **kwargs: Any) -> Misbehaviour:
        """Answer matching requests with a hostile :class:`Misbehaviour` until :meth:`reset`."""
        if mode not in ("hang", "trickle", "huge", "nested"):
            raise ValueError(f"unknown mode {mode!r}")
        item = Misbehaviour(mode, **kwargs)
        with self._lock:
            self._release.clear()
            self._misbehaviours.append(item)
        return item

    def refuse(self, path: str, reason: str = "permission") -> None:
        """Answer every request to ``path`` with Braze's documented 403 for ``reason``: ``"permission"``
        (the key lacks the endpoint's permission) or ``"plan"`` (the rate plan or account doesn't allow it)."""
        if reason not in REFUSALS:
            raise ValueError(f"reason must be one of {sorted(REFUSALS)}")
        self.refusals[path] = reason

    def set_rate_limit(self, budget: str, calls: int, window: int | None = None) -> None:
        """Lower (or raise) a budget: ``"shared"`` or ``"campaigns.data_series"``; calls already counted
        in the current window stay counted."""
        self.rate_limits[budget] = (calls, window or DEFAULT_RATE_LIMITS[budget][1])

    def spent(self, budget: str = "shared") -> int:
        """Calls counted against ``budget`` in its current window."""
        window = self.rate_limits[budget][1]
        start = int(self.rate_clock()) // window * window
        with self._lock:
            began, calls = self._spent.get(budget, (start, 0))
        return calls if began == start else 0

    def reset(self) -> None:
        self._release.set()
        with self._lock:
            self._faults.clear()
            self._misbehaviours.clear()
            self.requests.clear()
            self._spent.clear()
            self.canvas_days_served.clear()
        self.latency = 0.0
        self.send_latency = {}
        self.campaign_details_status = 200
        self.refusals = {}
        self.unknown_id_answer = "400"
        self.company_timezone = "UTC"
        self.rate_limits = dict(DEFAULT_RATE_LIMITS)

    def clear_requests(self) -> None:
        """Forget recorded requests but keep faults and latency (between bench rounds)."""
        with self._lock:
            self.requests.clear()

    def request_counts(self) -> dict[str, int]:
        """How many requests each path received, read under the fake's lock."""
        with self._lock:
            counts: dict[str, int] = {}
            for request in self.requests:
                counts[request.path] = counts.get(request.path, 0) + 1
            return counts

    def series_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/sends/data_series"]

    # -- request handling -----------------------------------------------------------------------

    def _respond(self, path: str, query: dict[str, str], auth: str) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            index = next((i for i, f in enumerate(self._faults) if f.path in (None, path)), None)
            fault = self._faults.pop(index) if index is not None else None
        if fault is not None:
            ctype = "application/json" if fault.body.startswith((b"{", b"[")) else "text/html"
            return fault.status, fault.body, {"Content-Type": ctype, **fault.headers}
        if auth != f"Bearer {self.api_key}":
            return 401, b'{"message": "Invalid API key"}', {}
        if path != SERIES_PATH and path != "/campaigns/details" and path not in KIND_PATHS:
            return 404, b'{"message": "Not found"}', {}
        over, limits = self._count(path)
        if over:
            return 429, RATE_LIMITED_BODY, limits
        if path == "/campaigns/details" and self.campaign_details_status != 200:
            return self.campaign_details_status, b'{"message": "Insufficient permissions"}', limits
        if path in self.refusals:
            return 403, json.dumps({"message": REFUSALS[self.refusals[path]]}).encode(), limits
        status, body, headers = self._route(path, query)
        return status, body, {**limits, **headers}

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if path == SERIES_PATH:
            return self._data_series(query)
        if path == "/campaigns/details":
            send = next((s for (c, _), s in self.sends.items() if c == query.get("campaign_id")), None)
            if send is None and query.get("campaign_id", "") in self.campaigns:
                return self._campaign_details(self.campaigns[query["campaign_id"]])
            if send is None:
                return self._unknown_id("campaign_id", {"message": "success"})
            return 200, json.dumps(_send_campaign_details(send)).encode(), {}
        return self._kind_response(path, query)

    def _unknown_id(self, name: str, empty: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        """An ID Braze does not know (ASSUMPTION, see ``unknown_id_answer``)."""
        if self.unknown_id_answer == "empty":
            return 200, json.dumps(empty).encode(), {}
        return 400, json.dumps({"message": f"Invalid {name}"}).encode(), {}

    def _count(self, path: str) -> tuple[bool, dict[str, str]]:
        """Count one call against its budget's fixed window: (over the limit?, the X-RateLimit headers)."""
        budget = BUDGET_OF_PATH.get(path, "shared")
        limit, window = self.rate_limits[budget]
        now = int(self.rate_clock())
        start = now // window * window
        with self._lock:
            began, calls = self._spent.get(budget, (start, 0))
            calls = calls + 1 if began == start else 1
            self._spent[budget] = (start, calls)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - calls)),
            "X-RateLimit-Reset": str(start + window),
        }
        return calls > limit, headers

    def _data_series(self, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        for name in ("campaign_id", "send_id", "length"):
            if not query.get(name):
                return 400, json.dumps({"message": f"{name} is required"}).encode(), {}
        try:
            length = int(query["length"])
        except ValueError:
            return 400, b'{"message": "length must be an integer"}', {}
        if not 1 <= length <= 100:
            return 400, b'{"message": "length must be between 1 and 100"}', {}
        ending = self.current_day()
        if query.get("ending_at"):
            try:
                ending = datetime.fromisoformat(query["ending_at"].replace("Z", "+00:00")).date()
            except ValueError:
                return 400, b'{"message": "ending_at must be ISO 8601"}', {}
        send = self.sends.get((query["campaign_id"], query["send_id"]))
        if send is None:  # ASSUMPTION: an unknown or expired send is an empty series (docs silent)
            return 200, b'{"data": [], "message": "success"}', {}
        return 200, json.dumps(series_payload(send, length=length, ending=ending)).encode(), {}

    def _misbehave(self, handler: BaseHTTPRequestHandler, bad: Misbehaviour, path: str, query: dict[str, str]) -> None:
        release = self._release
        if bad.mode == "hang":
            release.wait(300)
            return
        if bad.mode == "nested":
            body = b"[" * bad.size
        elif path == SERIES_PATH:
            status, body, _ = self._data_series(query)
            if status != 200:
                body = b'{"data": [], "message": "success"}'
        else:
            body = json.dumps({"name": "a name", "message": "success"}).encode()
        if bad.mode == "huge":
            pad = max(0, bad.size - len(body) - 20)
            body = body[:-1] + b', "padding": "' + b"x" * pad + b'"}'
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            if bad.mode != "trickle":
                handler.wfile.write(body)
                return
            handler.wfile.flush()
            for i in range(len(body)):
                if release.wait(bad.interval):
                    return
                handler.wfile.write(body[i : i + 1])
                handler.wfile.flush()
        except OSError:
            return  # the client gave up, as it should

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with owner._lock:
                    owner.requests.append(Recorded(parts.path, query, dict(self.headers.items())))
                if owner.latency:
                    time.sleep(owner.latency)
                if parts.path == SERIES_PATH and owner.send_latency.get(query.get("send_id", "")):
                    time.sleep(owner.send_latency[query["send_id"]])
                with owner._lock:
                    bad = next((m for m in owner._misbehaviours if m.matches(parts.path, query)), None)
                if bad is not None:
                    owner._misbehave(self, bad, parts.path, query)
                    return
                status, body, headers = owner._respond(parts.path, query, self.headers.get("Authorization", ""))
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet by design
                pass

        return Handler

