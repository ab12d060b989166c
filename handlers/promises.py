"""A request Slack has had acked is a promise to its requester: kept here until its work answers.

Reports, subscribes and button presses are acked at once and worked on after the ack. Each gets a
:class:`Promise`, carried in its :class:`~handlers.flows.reporting.Origin`. The work *answers* it at the
moment it shows the requester something: the report is posted, the subscription is stored (its
confirmation follows), or an error is explained. When the process stops (a deploy's SIGTERM),
whatever has not answered within the grace period is *released*: its requester is told privately,
through the same path errors take, to run it again
(:func:`handlers.flows.stopping.tell_unfinished`). Work that gets to its answer after that stays silent,
so nobody gets both the report and "run it again".

Digests are not promises of this kind: the store holds them, and the next process resumes them.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from handlers.grammar import ReportRequest, SubscribeRequest
from reports.kinds.registry import kind_of

log = logging.getLogger(__name__)
OriginT = TypeVar("OriginT")
#: A promise still open after this long was forgotten by a bug, not kept by slow work: it is dropped
#: (and logged) rather than told at the next restart, hours later.
FORGOTTEN_AFTER = 3600.0


class Promise:
    """One acked request: ``open`` until its work answers (``answered``) or a shutdown gives it up
    (``released``, and its requester is told ``again``: what to run again)."""

    def __init__(self, owner: Promises, ident: int, origin: Any, again: str, made: float) -> None:
        self._owner = owner
        self.ident = ident
        #: Where to tell the requester (an ``Origin`` without this promise).
        self.origin = origin
        #: What the requester should do again, e.g. "run `/sendstats cmp send 7` again".
        self.again = again
        self.made = made
        self.state = "open"

    def answer(self) -> bool:
        """The work is about to show its result. False when the requester was already told to run it
        again (a shutdown released it): then the work must stay silent."""
        return self._owner.settle(self)


class Promises:
    """Every open promise of this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open: dict[int, Promise] = {}
        self._ids = itertools.count(1)

    def make(self, origin: Any, again: str) -> Promise:
        now = self._clock()
        with self._lock:
            forgotten = [p for p in self._open.values() if now - p.made > FORGOTTEN_AFTER]
            for promise in forgotten:
                log.warning("dropping promise %d (%s): open for over an hour", promise.ident, promise.again)
                promise.state = "answered"
                del self._open[promise.ident]
            promise = Promise(self, next(self._ids), origin, again, now)
            self._open[promise.ident] = promise
            return promise

    def settle(self, promise: Promise) -> bool:
        with self._lock:
            if promise.state == "released":
                return False
            promise.state = "answered"
            self._open.pop(promise.ident, None)
            return True

    def open_count(self) -> int:
        with self._lock:
            return len(self._open)

    def release_open(self) -> list[Promise]:
        """Give up every open promise (shutting down); from now on their work stays silent."""
        with self._lock:
            released = list(self._open.values())
            self._open.clear()
            for promise in released:
                promise.state = "released"
            return released


def promised(promises: Promises, origin: OriginT, again: str) -> OriginT:
    """``origin`` (an ``Origin``) carrying a new promise from ``promises``: the request it answers was just acked."""
    return dataclasses.replace(origin, promise=promises.make(origin, again))  # type: ignore[type-var]


def command_text(request: ReportRequest | SubscribeRequest) -> str:
    """The ``/sendstats`` text that makes ``request`` again (``grammar.parse`` reads it back to it)."""
    target = kind_of(request.target.kind).args(request.target)
    if isinstance(request, ReportRequest):
        words = [target, str(request.days)]
        words += ["until", request.until.isoformat()] if request.until else []
    else:
        words = ["subscribe", target]
        words += [f"at {request.at:%H:%M}"] if request.at else []
        words += [request.timezone] if request.timezone else []
    return "/sendstats " + " ".join(words)


def run_again(command: str) -> str:
    """``again`` for a typed command: "run `/sendstats …` again"."""
    return f"run `{command}` again"


def mention_again(command: str) -> str:
    """``again`` for a mention: "mention me again: `@sendstats …`"."""
    return f"mention me again: `{command.replace('/sendstats', '@sendstats', 1)}`"


#: ``again`` for a button: its message is still there.
PRESS_AGAIN = "press the button again"
