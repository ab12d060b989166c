"""Slack's client under the one deadline mechanism (:mod:`reports.deadline`), as Braze's client is.

slack_sdk bounds each socket operation by ``timeout`` (urllib's per-read timeout) and retries through
its retry handlers, sleeping between attempts, with no bound on the whole. Here, in the operation's
deadline: every connect, read and write gets at most the time left (urllib's opener), and a retry
handler neither retries past the deadline nor sleeps beyond it.

A retry handler also never repeats a call that posts (:data:`POSTING_METHODS`): after a 5xx or a
dropped connection Slack may already have posted, and a repeat would post twice. Those calls' lost
answers are the adapter's to resolve, by looking before posting again
(:mod:`handlers.adapter.delivery`).
"""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from reports import deadline

#: Web API methods whose repeat, after Slack did the work but its answer was lost, would show people
#: something twice: a second message, a second ephemeral note, a second completion of an upload (which
#: Slack documents can be completed once). No retry handler repeats them.
POSTING_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"})


def method_of(url: str) -> str:
    """The Web API method a request URL calls (``…/api/chat.postMessage`` → ``chat.postMessage``)."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class WithinDeadline(RetryHandler):
    """Another slack_sdk retry handler (connection errors, 5xx), kept inside the operation's deadline: no
    retry once it has passed, and no backoff longer than the time left; and never for a call that posts
    (:data:`POSTING_METHODS`). It waits as slack_sdk's handlers do, by their interval calculator;
    slack_sdk's 429 handler, which waits by ``Retry-After``, is never used here (429s are
    :class:`PacedWebClient`'s own)."""

    def __init__(self, inner: RetryHandler) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if method_of(request.url) in POSTING_METHODS:
            return False  # Slack may have posted: the adapter looks before posting again
        left = deadline.remaining()
        if left is not None and left <= 0:
            return False
        return self.inner.can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        pause = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        left = deadline.remaining()
        time.sleep(max(0.0, pause if left is None else min(pause, left)))
        state.increment_current_attempt()


def bound(client: WebClient) -> None:
    """Put ``client`` (its calls, uploads and retries) under the operation's deadline."""
    deadline.install_urllib_opener()
    client.retry_handlers = [WithinDeadline(h) for h in client.retry_handlers]
