"""A small typed client for the Braze REST endpoints sendstats reads (sends, campaigns, Canvases, lists).

Every failure becomes a :class:`BrazeError` whose ``user_message`` tells a marketer what to do next;
callers never see httpx exceptions. The API key travels only in the Authorization header and is never
part of an exception, a log line or a message.

Every call has an overall deadline (retries and waits included). httpx's timeouts are per read, so a
server that trickles one byte every few seconds would otherwise hold a thread forever; here every socket
read and connect is bounded by the time left (:mod:`reports.deadline`). Answers are capped in size, and
JSON nested too deeply to read is a clean :class:`BrazeError`, not a ``RecursionError``.

Rate limits (:mod:`reports.braze_limits`): a 429 whose ``X-RateLimit-Reset`` falls within the call's
deadline is waited out; a later one ends the call at once with :class:`BrazeRateLimited`, which carries
the reset so a digest can be retried then. Every request is counted per budget (:class:`CallCounter`),
and calls made inside :meth:`BrazeClient.spending` are held back (:class:`BrazeDeferred`) before their
purpose passes its share of a budget.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dt_time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from reports import deadline
from reports.braze_errors import (
    PERMISSIONS_HELP,
    BrazeDeferred,
    BrazeError,
    BrazeForbidden,
    BrazeNoData,
    BrazePermissionDenied,
    BrazePlanRefused,
    BrazeRateLimited,
    forbidden,
)
from reports.braze_limits import Budget, CallCounter, budget_for
from reports.listing import (
    PAGE_SIZE,
    CampaignDetails,
    CanvasDetails,
    Kind,
    ListedItem,
    parse_campaign_details,
    parse_canvas_details,
    parse_list_page,
    raw_page_length,
)
from reports.models import NO_LABELS, Labels, Series
from reports.parse import parse_series
from reports.summary import RETENTION_DAYS

log = logging.getLogger(__name__)
#: Who can fix what a marketer cannot: the detail (host, setting) goes to the operator's log only.
OPERATOR = (
    "Ask whoever runs sendstats for your workspace (the person who installed it) to check its Braze settings; "
    "the details are in its log."
)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
#: Longest any one Braze call may take, retries and waits included.
DEFAULT_DEADLINE = 30.0
#: Largest answer we read: 100 days of a many-channel, many-variation send is far below this.
MAX_BODY_BYTES = 10 * 1024 * 1024
#: Error answers are short; we read no more of them than this.
MAX_ERROR_BODY = 64 * 1024
#: Braze's Canvas data_series takes ``length`` 1..14; longer ranges are fetched in pieces of at most this
#: many days (with ``starting_at`` no maximum is documented; the pieces stay within the documented one).
MAX_CANVAS_PIECE = 14
#: Where in its day each Canvas piece's ``starting_at`` and ``ending_at`` lie (see ``canvas_pieces``).
PIECE_ANCHOR = 12
#: What other modules import from here (the error types live in :mod:`reports.braze_errors`).
__all__ = [
    "PERMISSIONS_HELP",
    "BrazeClient",
    "BrazeDeferred",
    "BrazeError",
    "BrazeForbidden",
    "BrazeNoData",
    "BrazePermissionDenied",
    "BrazePlanRefused",
    "BrazeRateLimited",
    "canvas_pieces",
    "decode_json",
    "decode_series",
    "no_data",
    "no_kind_data",
]


def no_kind_data(kind: str, object_id: str) -> BrazeNoData:
    """No data for a campaign or Canvas in the range (Braze knows the ID, or answers as if it did)."""
    return BrazeNoData(
        f"Braze has no data for {kind} `{object_id}` in this range: check the ID (the {kind}'s API identifier, "
        f"shown on its page in the Braze dashboard), or try more days."
    )


@contextmanager
def _explain_unknown(kind: str, object_id: str) -> Iterator[None]:
    """Braze answers an unknown ID with 400 and a terse message; say which ID and where to find it."""
    try:
        yield
    except BrazeError as exc:
        if exc.status != 400:
            raise
        said = exc.user_message.split("): ", 1)[1] if "): " in exc.user_message else ""
        said = said.split(". Check the", 1)[0].rstrip(".")
        raise BrazeError(
            f"Braze does not know {kind} `{object_id}`{f' ({said})' if said else ''}. "
            f"Check the ID: it is the {kind}'s API identifier, shown on its page in the Braze dashboard.",
            status=400,
        ) from None


def _iso(moment: datetime, zone: tzinfo = UTC) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _edited_after(moment: datetime | None) -> dict[str, str]:
    """``last_edit.time[gt]`` in the documented format ``yyyy-MM-DDTHH:mm:ss`` (no zone: UTC, an assumption
    the docs leave open)."""
    if moment is None:
        return {}
    return {"last_edit.time[gt]": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")}


def no_data(campaign_id: str, send_id: str) -> BrazeNoData:
    return BrazeNoData(
        f"Braze has no data for campaign `{campaign_id}`, send `{send_id}` in this range: "
        f"check both IDs, or the send is older than Braze's {RETENTION_DAYS}-day analytics window."
    )


class _GaveUp(Exception):
    """Internal: stop now with ``final`` (past the deadline, or an answer too big to read)."""

    def __init__(self, final: BrazeError) -> None:
        super().__init__(final.user_message)
        self.final = final


class _Retryable(Exception):
    """Internal: a failure worth another attempt (5xx, 429, transport error)."""

    def __init__(self, final: BrazeError, *, wait_until: float | None = None) -> None:
        super().__init__(final.user_message)
        self.final = final
        self.wait_until = wait_until


def _loads(raw: bytes) -> Any:
    """JSON, or None when it isn't JSON; ``RecursionError`` (JSON nested thousands deep) is not JSON here."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _braze_message(raw: bytes, secret: str) -> str | None:
    """Braze's ``{"message": ...}``, shortened and with the API key masked should a server echo it."""
    body = _loads(raw[:MAX_ERROR_BODY])
    message = body.get("message") if isinstance(body, dict) else None
    return _clean(str(message), secret) if message else None


def _not_json(status: int, content_type: str) -> BrazeError:
    log.error(
        "Braze answered with something that is not JSON (HTTP %s, %s): BRAZE_REST_ENDPOINT may point at a web "
        "page or proxy instead of the REST API.", status, content_type,
    )
    return BrazeError(
        f"Braze answered with something that is not JSON sendstats can read (HTTP {status}, {content_type}). "
        f"{OPERATOR}",
        status=status,
    )


def decode_json(raw: bytes, *, status: int = 200, content_type: str = "application/json") -> dict[str, Any]:
    """Braze's JSON object, checked: not JSON, not an object, or ``message`` other than success is a
    :class:`BrazeError`. Runs wherever the parsing should happen (a worker process for reports)."""
    body = _loads(raw)
    if not isinstance(body, dict):
        raise _not_json(status, content_type)
    if body.get("message") not in (None, "success"):
        raise BrazeError(f"Braze answered: {str(body.get('message'))[:300]}", status=status)
    return body


def decode_series(raw: bytes, campaign_id: str, send_id: str) -> dict[str, Any]:
    """A ``/sends/data_series`` answer as JSON; :class:`BrazeNoData` when ``data`` is empty."""
    body = decode_json(raw)
    if not isinstance(body.get("data"), list) or not body["data"]:
        raise no_data(campaign_id, send_id)
    return body


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(text: str, secret: str) -> str:
    """Braze's words fit to show: the key masked, control characters and runs of blanks made one space,
    at most 300 characters."""
    text = text.replace(secret, "[redacted]") if secret else text
    return " ".join(_CONTROL.sub(" ", text).split())[:300]


def canvas_pieces(length: int, last: date) -> list[tuple[date, date]]:
    """The ``length`` days ending on ``last`` as consecutive pieces of at most :data:`MAX_CANVAS_PIECE`
    days, newest first, each day in exactly one piece: ``(first day, last day)``."""
    first = last - timedelta(days=length - 1)
    pieces: list[tuple[date, date]] = []
    end = last
    while end >= first:
        start = max(first, end - timedelta(days=MAX_CANVAS_PIECE - 1))
        pieces.append((start, end))
        end = start - timedelta(days=1)
    return pieces


class BrazeClient:
    """Reads send analytics from one Braze instance.

    ``base_url`` is the instance's REST endpoint (``https://rest.iad-01.braze.com`` and the like).
    Retries 5xx and transport errors with exponential backoff and full jitter. A 429 is waited out until
    ``X-RateLimit-Reset`` when that falls within the call's deadline (``deadline_seconds``, and at most
    ``max_rate_limit_wait`` when given); a later reset raises :class:`BrazeRateLimited` at once.
    ``company_timezone`` is the zone Braze aggregates Canvas days in (the company's, set in Braze).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 4,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        max_rate_limit_wait: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        deadline_seconds: float = DEFAULT_DEADLINE,
        max_body_bytes: int = MAX_BODY_BYTES,
        company_timezone: tzinfo | str = UTC,
        usage: CallCounter | None = None,
    ) -> None:
        self._host = urlsplit(base_url).netloc or base_url
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport or deadline.transport(),
            follow_redirects=False,
        )
        self.deadline_seconds = deadline_seconds
        self._max_body = max_body_bytes
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._max_rate_limit_wait = deadline_seconds if max_rate_limit_wait is None else max_rate_limit_wait
        self._sleep = sleep
        self._clock = clock
        self.company_timezone = ZoneInfo(company_timezone) if isinstance(company_timezone, str) else company_timezone
        #: Every request sent, per budget and purpose, over the last hour (see :meth:`spending`).
        self.usage = usage or CallCounter()
        self._spender = threading.local()

    @contextmanager
    def spending(self, purpose: str, *, share: float) -> Iterator[None]:
        """Count this thread's calls in the block as ``purpose``, and make none that would take
        ``purpose``'s calls in a budget's window past ``share`` of its limit: such a call raises
        :class:`BrazeDeferred` without reaching Braze (retries count, so a retried call may be held back)."""
        if not 0 < share <= 1:
            raise ValueError("share must be within (0, 1]")
        previous = getattr(self._spender, "current", None)
        self._spender.current = (purpose, share)
        try:
            yield
        finally:
            self._spender.current = previous

    def _admit(self, budget: Budget) -> None:
        """Count one request against ``budget``; held back (:class:`BrazeDeferred`) past a purpose's share."""
        purpose, share = getattr(self._spender, "current", None) or (None, 1.0)
        if purpose is not None:
            allowance = int(self.usage.limit(budget) * share)
            if self.usage.used(budget, purpose=purpose) >= allowance:
                retry_in = self.usage.free_in(budget, purpose, allowance)
                raise _GaveUp(BrazeDeferred(purpose, budget=budget, allowance=allowance, share=share,
                                            retry_in=retry_in))
        self.usage.record(budget, purpose)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BrazeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------------

    def data_series(
        self, campaign_id: str, send_id: str, *, length: int, ending_at: datetime | None = None
    ) -> Series:
        """``GET /sends/data_series``, parsed. Raises :class:`BrazeNoData` when there is no data."""
        body = self.data_series_payload(campaign_id, send_id, length=length, ending_at=ending_at)
        series = parse_series(body, campaign_id=campaign_id, send_id=send_id)
        if not series.days:
            raise no_data(campaign_id, send_id)
        return series

    def data_series_payload(
        self, campaign_id: str, send_id: str, *, length: int, ending_at: datetime | None = None
    ) -> dict[str, Any]:
        """``GET /sends/data_series`` as Braze's JSON, checked but not parsed. Raises :class:`BrazeNoData`
        when ``data`` is empty."""
        return decode_series(self.data_series_raw(campaign_id, send_id, length=length, ending_at=ending_at),
                             campaign_id, send_id)

    def data_series_raw(
        self, campaign_id: str, send_id: str, *, length: int, ending_at: datetime | None = None
    ) -> bytes:
        """``GET /sends/data_series`` as the bytes of a 2xx answer, so that even the JSON decoding runs in a
        worker process (:func:`decode_series`): a 10 MB answer costs the acking process no CPU."""
        if not 1 <= length <= 100:
            raise ValueError("length must be within 1..100 (Braze's bounds)")
        params: dict[str, str | int] = {"campaign_id": campaign_id, "send_id": send_id, "length": length}
        if ending_at is not None:
            params["ending_at"] = ending_at.astimezone(UTC).isoformat(timespec="seconds")
        return self._get("/sends/data_series", params, permission="sends.data_series")

    def campaign_labels(self, campaign_id: str) -> Labels:
        """What ``/campaigns/details`` names, in one call: the campaign's name, its message variations'
        names and its conversion events'. Empty when the key may not read it or Braze's answer is unusable:
        names are a nicety, and IDs and letters are fine labels."""
        try:
            raw = self._get("/campaigns/details", {"campaign_id": campaign_id}, permission="campaigns.details")
            body = decode_json(raw)
        except BrazeError as exc:
            log.info("campaign names unavailable for %s: %s", campaign_id, exc.status or exc.user_message[:120])
            return NO_LABELS
        return parse_campaign_details(body, campaign_id).labels()

    def campaign_name(self, campaign_id: str) -> str | None:
        """The campaign's name from ``/campaigns/details`` (see :meth:`campaign_labels`), or None."""
        return self.campaign_labels(campaign_id).name

    # -- campaigns and Canvases -------------------------------------------------------------------

    def campaign_series_payload(
        self, campaign_id: str, *, length: int, ending_at: datetime | None = None
    ) -> dict[str, Any]:
        """``GET /campaigns/data_series`` as Braze's JSON (checked, not parsed: parsing runs in a worker).
        Raises :class:`BrazeNoData` when ``data`` is empty, :class:`BrazeError` naming the campaign when
        Braze does not know the ID."""
        if not 1 <= length <= 100:
            raise ValueError("length must be within 1..100 (Braze's bounds)")
        params: dict[str, str | int] = {"campaign_id": campaign_id, "length": length}
        if ending_at is not None:
            params["ending_at"] = _iso(ending_at)
        with _explain_unknown("campaign", campaign_id):
            body = self._get_json("/campaigns/data_series", params, permission="campaigns.data_series")
        if not isinstance(body.get("data"), list) or not body["data"]:
            raise no_kind_data("campaign", campaign_id)
        return body

    def canvas_series_payload(self, canvas_id: str, *, length: int, ending_at: datetime) -> dict[str, Any]:
        """``GET /canvas/data_series`` for the ``length`` days (1..100) ending on ``ending_at``'s date (as
        given, in ``ending_at``'s own zone), with the variant breakdown and without the step breakdown.

        Braze aggregates Canvas days in the company's time zone and normalises ``starting_at`` and
        ``ending_at`` to midnight, so each piece (:func:`canvas_pieces`: at most 14 days, none sharing a
        day) is asked for by ``starting_at`` and ``ending_at`` at noon of its first and last day in
        ``company_timezone`` (the newest piece ends at ``ending_at`` instead when that is earlier), never
        by ``length``, whose count around a normalised ``ending_at`` the docs leave open. Noon keeps each
        instant inside its day even when ``company_timezone`` is left at UTC and the company's zone is
        anything from UTC-12 to UTC+11. The pieces are joined into one answer of Braze's own shape:
        ``{"data": {"name", "stats": [...]}, "message": "success"}``.
        """
        if not 1 <= length <= 100:
            raise ValueError("length must be within 1..100")
        stats: list[Any] = []
        name: Any = None
        zone = self.company_timezone
        for start, end in canvas_pieces(length, ending_at.date()):
            ends = min(datetime.combine(end, dt_time(PIECE_ANCHOR), zone), ending_at)
            starts = min(datetime.combine(start, dt_time(PIECE_ANCHOR), zone), ends)
            params = {
                "canvas_id": canvas_id,
                "starting_at": _iso(starts, zone),
                "ending_at": _iso(ends, zone),
                "include_variant_breakdown": "true",
            }
            with _explain_unknown("Canvas", canvas_id):
                body = self._get_json("/canvas/data_series", params, permission="canvas.data_series")
            data = body.get("data")
            if isinstance(data, dict):
                name = name or data.get("name")
                if isinstance(data.get("stats"), list):
                    stats = data["stats"] + stats
        if not stats:
            raise no_kind_data("Canvas", canvas_id)
        return {"data": {"name": name, "stats": stats}, "message": "success"}

    def campaign_details(self, campaign_id: str) -> CampaignDetails:
        """``GET /campaigns/details``, typed (name, archived, draft, first/last sent, channels)."""
        with _explain_unknown("campaign", campaign_id):
            body = self._get_json("/campaigns/details", {"campaign_id": campaign_id}, permission="campaigns.details")
        return parse_campaign_details(body, campaign_id)

    def canvas_details(self, canvas_id: str) -> CanvasDetails:
        """``GET /canvas/details``, typed (name, archived, enabled, variants…)."""
        with _explain_unknown("Canvas", canvas_id):
            body = self._get_json("/canvas/details", {"canvas_id": canvas_id}, permission="canvas.details")
        return parse_canvas_details(body, canvas_id)

    def canvas_name(self, canvas_id: str) -> str | None:
        """The Canvas's name from ``/canvas/details``, or None when the key may not read it."""
        try:
            return self.canvas_details(canvas_id).name
        except BrazeError as exc:
            log.info("Canvas name unavailable for %s: %s", canvas_id, exc.status or exc.user_message)
            return None

    def campaign_list_pages(
        self, *, edited_after: datetime | None = None, include_archived: bool = False, max_pages: int = 1000
    ) -> Iterator[tuple[ListedItem, ...]]:
        """Every page of ``GET /campaigns/list`` (100 per page, ``page=0,1,…``), one page per step, so a
        catalogue can store as it reads. ``edited_after`` asks only for campaigns edited since then
        (``last_edit.time[gt]``), for an incremental refresh."""
        extra = _edited_after(edited_after)
        return self._pages("/campaigns/list", "campaign", "campaigns.list", extra, include_archived, max_pages)

    def canvas_list_pages(
        self, *, edited_after: datetime | None = None, include_archived: bool = False, max_pages: int = 1000
    ) -> Iterator[tuple[ListedItem, ...]]:
        """Every page of ``GET /canvas/list`` (100 per page, ``page=0,1,…``); ``edited_after`` asks only for
        Canvases edited since then (``last_edit.time[gt]``, as for campaigns)."""
        extra = _edited_after(edited_after)
        return self._pages("/canvas/list", "canvas", "canvas.list", extra, include_archived, max_pages)

    def list_pages(
        self, kind: Kind, *, edited_after: datetime | None = None, include_archived: bool = False
    ) -> Iterator[tuple[ListedItem, ...]]:
        """Every page of the campaign or Canvas list (see :meth:`campaign_list_pages`)."""
        read = {"campaign": self.campaign_list_pages, "canvas": self.canvas_list_pages}[kind]
        return read(edited_after=edited_after, include_archived=include_archived)

    def campaign_list(self, **kwargs: Any) -> list[ListedItem]:
        """All campaigns (see :meth:`campaign_list_pages`)."""
        return [item for page in self.campaign_list_pages(**kwargs) for item in page]

    def canvas_list(self, **kwargs: Any) -> list[ListedItem]:
        """All Canvases (see :meth:`canvas_list_pages`)."""
        return [item for page in self.canvas_list_pages(**kwargs) for item in page]

    def _pages(
        self, path: str, kind: Kind, permission: str, extra: dict[str, str], include_archived: bool, max_pages: int
    ) -> Iterator[tuple[ListedItem, ...]]:
        for page in range(max_pages):
            params: dict[str, Any] = {"page": page, **extra}
            if include_archived:
                params["include_archived"] = "true"
            body = self._get_json(path, params, permission=permission)
            yield parse_list_page(body, kind)
            if raw_page_length(body, kind) < PAGE_SIZE:
                return
        log.warning("%s: stopped after %d pages", path, max_pages)

    # -- internals ------------------------------------------------------------------------------

    def _get_json(self, path: str, params: dict[str, Any], *, permission: str) -> dict[str, Any]:
        return decode_json(self._get(path, params, permission=permission))

    def _get(self, path: str, params: dict[str, Any], *, permission: str) -> bytes:
        """The body of a 2xx answer, with retries, all within ``deadline_seconds``."""
        ends = time.monotonic() + self.deadline_seconds
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            with deadline.until(ends):
                return retrying(self._attempt, path, params, permission, ends)
        except _Retryable as exc:
            raise exc.final from None
        except _GaveUp as exc:
            raise exc.final from None

    def _wait(self, state: RetryCallState) -> float:
        """Until ``X-RateLimit-Reset`` after a 429; else exponential backoff with full jitter. A wait that
        would run past the call's deadline ends the call instead, with the last error."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait_until is not None:
            wait = max(0.0, exc.wait_until - self._clock()) + random.uniform(0, 0.25)
        else:
            ceiling = min(self._backoff_max, self._backoff_initial * 2 ** (state.attempt_number - 1))
            wait = random.uniform(0, ceiling)
        left = deadline.remaining()
        if left is not None and wait >= left and isinstance(exc, _Retryable):
            raise _GaveUp(exc.final)
        return wait

    def _too_late(self) -> BrazeError:
        return BrazeError(
            f"Braze at {self._host} did not finish answering within {self.deadline_seconds:.0f} s, so I stopped "
            "waiting. Try again in a few minutes; if it keeps happening, Braze may be having trouble."
        )

    def _attempt(self, path: str, params: dict[str, Any], permission: str, ends: float) -> bytes:
        if time.monotonic() >= ends:
            raise _GaveUp(self._too_late())
        budget = budget_for(path)
        self._admit(budget)
        try:
            with self._http.stream("GET", path, params=params) as response:
                raw = self._body(response)
        except httpx.TimeoutException as exc:
            if time.monotonic() >= ends - 0.05:
                raise _GaveUp(self._too_late()) from exc
            log.warning("Braze at %s did not answer in time", self._host)
            raise _Retryable(BrazeError("Braze did not answer in time. Try again in a few minutes.")) from exc
        except httpx.TransportError as exc:
            log.warning(
                "could not reach Braze at %s (%s): check BRAZE_REST_ENDPOINT", self._host, type(exc).__name__
            )
            raise _Retryable(
                BrazeError(
                    f"Could not reach Braze ({type(exc).__name__}). Try again in a few minutes; if it keeps "
                    f"happening: {OPERATOR}"
                )
            ) from exc
        self.usage.learn(budget, response.headers)
        return self._read(response, raw, permission, budget)

    def _body(self, response: httpx.Response) -> bytes:
        """The answer's bytes, refusing more than the cap (an error answer gets a much smaller one)."""
        cap = self._max_body if 200 <= response.status_code < 300 else MAX_ERROR_BODY
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap and cap == self._max_body:
            raise _GaveUp(self._too_big(int(declared)))
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                if cap == self._max_body:
                    raise _GaveUp(self._too_big(size))
                break  # an error answer: its first bytes say enough
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, size: int) -> BrazeError:
        log.error("Braze's answer at %s was %s bytes: check BRAZE_REST_ENDPOINT points at Braze's REST API",
                  self._host, size)
        return BrazeError(
            f"Braze's answer was larger than {self._max_body // (1024 * 1024)} MB "
            f"({'at least ' if size else ''}{size / (1024 * 1024):.0f} MB), far more than any send's analytics, "
            f"so I did not read it. {OPERATOR}"
        )

    def _read(self, response: httpx.Response, raw: bytes, permission: str, budget: Budget) -> bytes:
        status = response.status_code
        message = _braze_message(raw, self._api_key) if status >= 400 else None
        if status == 429:
            raise self._rate_limited(response, budget)
        if status >= 500:
            raise _Retryable(
                BrazeError(
                    f"Braze is having trouble (HTTP {status}) and did not recover after "
                    f"{self._max_attempts} tries. Try again in a few minutes.",
                    status=status,
                )
            )
        if status == 401:
            log.error(
                "Braze refused the API key (401) at %s. Most often the key belongs to a different Braze instance: "
                "set BRAZE_REST_ENDPOINT to the REST endpoint shown in the dashboard's API settings "
                "(e.g. https://rest.iad-01.braze.com). Else the key was revoked.",
                self._host,
            )
            raise BrazeError(
                "Braze did not accept sendstats' API key (HTTP 401), so I could not read these numbers. Nothing "
                f"you typed is wrong: {OPERATOR}",
                status=status,
            )
        if status == 403:
            raise forbidden(permission, message)
        if status == 404:
            log.error(
                "Braze answered 404 at %s. Check BRAZE_REST_ENDPOINT: it must be the bare REST endpoint "
                "(e.g. https://rest.iad-01.braze.com), with no path.",
                self._host,
            )
            raise BrazeError(
                f"sendstats is not pointed at Braze's REST API correctly (HTTP 404). {OPERATOR}",
                status=status,
            )
        if status >= 400 or status < 200:
            detail = f": {message}" if message else ""
            raise BrazeError(
                f"Braze rejected the request (HTTP {status}){detail}. Check the campaign and send IDs.",
                status=status,
            )
        kind = response.headers.get("content-type", "no content type")
        if raw.lstrip()[:1] not in (b"{", b"["):
            raise _not_json(status, kind)
        # Should a server echo the key, it must not reach a message (the decoding happens elsewhere).
        return raw.replace(self._api_key.encode(), b"[redacted]") if self._api_key else raw

    def _rate_limited(self, response: httpx.Response, budget: Budget) -> _Retryable | BrazeRateLimited:
        """Wait for a reset that falls within the call's deadline (and ``max_rate_limit_wait``); a later
        one ends the call now, its reset in the error. Without a readable reset: retried after
        ``backoff_initial`` (plus jitter), up to ``max_attempts`` tries."""
        now = self._clock()
        moment = datetime.fromtimestamp(now, UTC)
        header = response.headers.get("X-RateLimit-Reset", "").strip()
        try:
            reset = float(header)
            reset_at = datetime.fromtimestamp(reset, UTC)
        except (ValueError, OverflowError, OSError):
            return _Retryable(BrazeRateLimited(None, budget=budget, now=moment), wait_until=now + self._backoff_initial)
        final = BrazeRateLimited(reset_at, budget=budget, now=moment)
        wait, left = reset - now, deadline.remaining()
        if wait > self._max_rate_limit_wait or (left is not None and wait >= left):
            return final
        return _Retryable(final, wait_until=reset)
