"""What can go wrong talking to Braze, as types a caller can act on; each ``user_message`` is plain text,
safe to show (Braze's own words in it are shortened and never carry the API key), and says what to do.

- :class:`BrazeError`: the base; anything Braze-related that failed.
- :class:`BrazeNoData`: Braze answered, with no data for the range asked.
- :class:`BrazeForbidden` (403) and its two documented kinds, told apart by Braze's message:
  :class:`BrazePermissionDenied` (the key lacks the endpoint's permission: the only one that names it)
  and :class:`BrazePlanRefused` (the rate plan doesn't allow the call, or the account is inactive).
- :class:`BrazeRateLimited` (429): a budget is used up until ``reset_at``.
- :class:`BrazeDeferred`: the bot itself held a call back to keep a purpose within its budget share.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from reports.braze_limits import SHARED, Budget

PERMISSIONS_HELP = "Braze dashboard → Settings → APIs and Identifiers → your REST key"
#: Braze's errors page (``_docs/_api/errors.md``) names the two 403s "Access Denied" (the key "does not
#: have sufficient permissions") and "Forbidden" ("the rate plan doesn't support, or the account is
#: otherwise inactivated"). Its exact wording in a body is not documented, so both are matched loosely.
_PERMISSION_WORDS = re.compile(r"access denied|permission|not authori[sz]ed|scope", re.IGNORECASE)
_PLAN_WORDS = re.compile(r"forbidden|plan\b|inactiv|deactivat|suspend|not (?:enabled|available|supported)",
                         re.IGNORECASE)


class BrazeError(Exception):
    """A Braze call failed; ``user_message`` is safe to show in Slack and says how to fix it."""

    def __init__(self, user_message: str, *, status: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status


class BrazeNoData(BrazeError):
    """Braze answered fine but has no data for the send in the range asked."""


class BrazeForbidden(BrazeError):
    """A 403 whose kind Braze's message does not tell: both causes are named, the permission as a maybe."""

    def __init__(self, user_message: str, *, braze_said: str | None) -> None:
        super().__init__(user_message, status=403)
        self.braze_said = braze_said


class BrazePermissionDenied(BrazeForbidden):
    """403 "Access Denied": the REST key lacks ``permission`` (the endpoint's, as its docs page names it)."""

    def __init__(self, permission: str, *, braze_said: str | None) -> None:
        said = f", Braze said: “{braze_said}”" if braze_said else ""
        super().__init__(
            f"The Braze API key lacks the `{permission}` permission (403{said}). Add it in {PERMISSIONS_HELP}.",
            braze_said=braze_said,
        )
        self.permission = permission


class BrazePlanRefused(BrazeForbidden):
    """403 "Forbidden": the workspace's rate plan does not allow this call, or the account is inactive.
    No permission would help, so none is named."""

    def __init__(self, *, braze_said: str | None) -> None:
        said = f" (403, Braze said: “{braze_said}”)" if braze_said else " (403)"
        super().__init__(
            f"Braze refused this call{said}: your Braze plan does not include it, or the account is "
            "inactive. A Braze admin or your Braze account manager can tell which.",
            braze_said=braze_said,
        )


def forbidden(permission: str, braze_said: str | None) -> BrazeForbidden:
    """The 403 Braze meant, read from its (already cleaned) message."""
    text = braze_said or ""
    if _PERMISSION_WORDS.search(text):
        return BrazePermissionDenied(permission, braze_said=braze_said)
    if _PLAN_WORDS.search(text):
        return BrazePlanRefused(braze_said=braze_said)
    said = f", Braze said: “{braze_said}”" if braze_said else ""
    return BrazeForbidden(
        f"Braze refused this call (403{said}). Either the API key lacks the `{permission}` permission "
        f"(add it in {PERMISSIONS_HELP}), or your Braze plan or account does not allow the call.",
        braze_said=braze_said,
    )


def _clock_time(moment: datetime) -> str:
    return moment.strftime("%H:%M" if moment.second == 0 else "%H:%M:%S")


class BrazeRateLimited(BrazeError):
    """429: Braze's ``budget`` for this workspace is used up until ``reset_at`` (None: Braze didn't say).

    ``user_message`` states the reset in UTC; :meth:`message_in` in a person's own zone, and
    :meth:`slack_mrkdwn` lets Slack show it in each reader's zone.
    """

    def __init__(self, reset_at: datetime | None, *, budget: Budget = SHARED, now: datetime | None = None) -> None:
        self.reset_at = reset_at.astimezone(UTC) if reset_at is not None else None
        self.budget = budget
        self._now = (now or datetime.now(UTC)).astimezone(UTC)
        super().__init__(self.message_in(UTC), status=429)

    def _until(self, zone: tzinfo) -> str:
        assert self.reset_at is not None
        local, today = self.reset_at.astimezone(zone), self._now.astimezone(zone).date()
        name = "UTC" if zone is UTC else str(zone)
        when = f"{_clock_time(local)} {name}"
        days = (local.date() - today).days
        if days == 1:
            when += " tomorrow"
        elif days > 1:
            when += f" on {local:%d %b}"
        return when

    def message_in(self, zone: tzinfo) -> str:
        """The message with the reset in ``zone`` ("… used up until 15:00 Europe/Berlin …")."""
        if self.reset_at is None:
            return f"Braze's {self.budget.label} for this workspace is used up for now. Try again in a few minutes."
        return (
            f"Braze's {self.budget.label} for this workspace is used up until {self._until(zone)} "
            "(every tool using the workspace's REST API counts). Try again after that."
        )

    def slack_mrkdwn(self) -> str:
        """The message as Slack mrkdwn with a ``<!date>`` token: Slack shows the reset in each reader's
        own time zone (the UTC text is the fallback). Contains no text from Braze, so it needs no escaping."""
        if self.reset_at is None:
            return self.user_message
        stamp = int(self.reset_at.timestamp())
        return (
            f"Braze's {self.budget.label} for this workspace is used up until "
            f"<!date^{stamp}^{{time}} {{date_short_pretty}}|{self._until(UTC)}> "
            "(every tool using the workspace's REST API counts). Try again after that."
        )


class BrazeDeferred(BrazeError):
    """The bot held a call back itself: ``purpose`` has spent its share of ``budget`` in the last window.
    Nothing was sent; trying again after ``retry_in`` seconds fits the share."""

    def __init__(self, purpose: str, *, budget: Budget, allowance: int, share: float, retry_in: float) -> None:
        super().__init__(
            f"The {purpose} may use {share:.0%} of Braze's {budget.label} ({allowance:,} calls) and has used "
            f"it; it goes on in {max(1, round(retry_in / 60))} min."
        )
        self.purpose = purpose
        self.budget = budget
        self.allowance = allowance
        self.retry_in = retry_in
