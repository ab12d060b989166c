"""A small typed client for the two Braze REST endpoints sendstats reads.

Every failure becomes a :class:`BrazeError` whose ``user_message`` tells a marketer what to do next;
callers never see httpx exceptions. The API key travels only in the Authorization header and is never
part of an exception, a log line or a message.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from reports.models import SendSeries
from reports.parse import parse_series
from reports.summary import RETENTION_DAYS

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
PERMISSIONS_HELP = "Braze dashboard → Settings → APIs and Identifiers → your REST key"


class BrazeError(Exception):
    """A Braze call failed; ``user_message`` is safe to show in Slack and says how to fix it."""

    def __init__(self, user_message: str, *, status: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status


class BrazeNoData(BrazeError):
    """Braze answered fine but has no data for the send in the range asked."""


def no_data(campaign_id: str, send_id: str) -> BrazeNoData:
    return BrazeNoData(
        f"Braze has no data for campaign `{campaign_id}`, send `{send_id}` in this range: "
        f"check both IDs, or the send is older than Braze's {RETENTION_DAYS}-day analytics window."
    )


class _Retryable(Exception):
    """Internal: a failure worth another attempt (5xx, 429, transport error)."""

    def __init__(self, final: BrazeError, *, wait_until: float | None = None) -> None:
        super().__init__(final.user_message)
        self.final = final
        self.wait_until = wait_until


def _braze_message(response: httpx.Response, secret: str) -> str | None:
    """Braze's ``{"message": ...}``, shortened and with the API key masked should a server echo it."""
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return _clean(str(message), secret) if message else None


def _clean(text: str, secret: str) -> str:
    return (text.replace(secret, "[redacted]") if secret else text)[:300]


class BrazeClient:
    """Reads send analytics from one Braze instance.

    ``base_url`` is the instance's REST endpoint (``https://rest.iad-01.braze.com`` and the like).
    Retries 5xx and transport errors with exponential backoff and full jitter, and waits out a 429
    until ``X-RateLimit-Reset`` when that is no further away than ``max_rate_limit_wait`` seconds.
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
        max_rate_limit_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._host = urlsplit(base_url).netloc or base_url
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BrazeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------------------

    def data_series(
        self, campaign_id: str, send_id: str, *, length: int, ending_at: datetime | None = None
    ) -> SendSeries:
        """``GET /sends/data_series``, parsed. Raises :class:`BrazeNoData` when there is no data."""
        body = self.data_series_payload(campaign_id, send_id, length=length, ending_at=ending_at)
        series = parse_series(body, campaign_id=campaign_id, send_id=send_id)
        if not series.days:
            raise no_data(campaign_id, send_id)
        return series

    def data_series_payload(
        self, campaign_id: str, send_id: str, *, length: int, ending_at: datetime | None = None
    ) -> dict[str, Any]:
        """``GET /sends/data_series`` as Braze's JSON, checked but not parsed, so the parsing can run in a
        worker process. Raises :class:`BrazeNoData` when ``data`` is empty."""
        if not 1 <= length <= 100:
            raise ValueError("length must be within 1..100 (Braze's bounds)")
        params: dict[str, str | int] = {"campaign_id": campaign_id, "send_id": send_id, "length": length}
        if ending_at is not None:
            params["ending_at"] = ending_at.astimezone(UTC).isoformat(timespec="seconds")
        body = self._get_json("/sends/data_series", params, permission="sends.data_series")
        if not isinstance(body.get("data"), list) or not body["data"]:
            raise no_data(campaign_id, send_id)
        return body

    def campaign_name(self, campaign_id: str) -> str | None:
        """The campaign's name from ``/campaigns/details``, or None when the key may not read it."""
        try:
            body = self._get_json("/campaigns/details", {"campaign_id": campaign_id}, permission="campaigns.details")
        except BrazeError as exc:
            log.info("campaign name unavailable for %s: %s", campaign_id, exc.status or exc.user_message)
            return None
        name = body.get("name")
        return name.strip()[:150] if isinstance(name, str) and name.strip() else None

    # -- internals ------------------------------------------------------------------------------

    def _get_json(self, path: str, params: dict[str, Any], *, permission: str) -> dict[str, Any]:
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, path, params, permission)
        except _Retryable as exc:
            raise exc.final from None

    def _wait(self, state: RetryCallState) -> float:
        """Until ``X-RateLimit-Reset`` after a 429; else exponential backoff with full jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait_until is not None:
            return max(0.0, exc.wait_until - self._clock()) + random.uniform(0, 0.25)
        ceiling = min(self._backoff_max, self._backoff_initial * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)

    def _attempt(self, path: str, params: dict[str, Any], permission: str) -> dict[str, Any]:
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise _Retryable(
                BrazeError(f"Braze at {self._host} did not answer in time. Try again in a few minutes.")
            ) from exc
        except httpx.TransportError as exc:
            raise _Retryable(
                BrazeError(
                    f"Could not reach Braze at {self._host} ({type(exc).__name__}). "
                    "Check BRAZE_REST_ENDPOINT, or try again in a few minutes."
                )
            ) from exc
        return self._read(response, permission)

    def _read(self, response: httpx.Response, permission: str) -> dict[str, Any]:
        status = response.status_code
        message = _braze_message(response, self._api_key)
        if status == 429:
            raise self._rate_limited(response)
        if status >= 500:
            raise _Retryable(
                BrazeError(
                    f"Braze is having trouble (HTTP {status}) and did not recover after "
                    f"{self._max_attempts} tries. Try again in a few minutes.",
                    status=status,
                )
            )
        if status == 401:
            raise BrazeError(
                f"Braze refused the API key (401) at {self._host}. Most often the key belongs to a "
                "different Braze instance: set BRAZE_REST_ENDPOINT to the REST endpoint shown in your "
                f"dashboard's API settings (e.g. https://rest.iad-01.braze.com). Else the key was revoked.",
                status=status,
            )
        if status == 403:
            raise BrazeError(
                f"The Braze API key lacks the `{permission}` permission (403). Add it in {PERMISSIONS_HELP}.",
                status=status,
            )
        if status == 404:
            raise BrazeError(
                f"Braze answered 404 at {self._host}. Check BRAZE_REST_ENDPOINT: it must be the bare REST "
                "endpoint (e.g. https://rest.iad-01.braze.com), with no path.",
                status=status,
            )
        if status >= 400 or status < 200:
            detail = f": {message}" if message else ""
            raise BrazeError(
                f"Braze rejected the request (HTTP {status}){detail}. Check the campaign and send IDs.",
                status=status,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            kind = response.headers.get("content-type", "no content type")
            raise BrazeError(
                f"Braze answered with something that is not JSON (HTTP {status}, {kind}). "
                "BRAZE_REST_ENDPOINT may point at a web page or proxy instead of the REST API.",
                status=status,
            )
        if body.get("message") not in (None, "success"):
            raise BrazeError(f"Braze answered: {_clean(str(body.get('message')), self._api_key)}", status=status)
        return body

    def _rate_limited(self, response: httpx.Response) -> _Retryable | BrazeError:
        now = self._clock()
        try:
            reset = float(response.headers.get("X-RateLimit-Reset", ""))
        except ValueError:
            reset = now + self._backoff_initial
        wait = reset - now
        when = datetime.fromtimestamp(reset, UTC).strftime("%H:%M:%S UTC")
        final = BrazeError(
            f"Braze's rate limit for this workspace is used up until {when}. Try again after that.",
            status=429,
        )
        if wait > self._max_rate_limit_wait:
            return final
        return _Retryable(final, wait_until=reset)
