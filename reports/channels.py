"""Braze's channel keys grouped into families, each read with its own metrics and rates.

One table for every report kind that has channels (a send's rows and a campaign's rows are parsed
alike): email opens are email opens, push opens are push opens, and nothing is summed across families
under one name. A channel key Braze adds later (or that we don't know) is its own family, shown with
whatever counters it carries, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Per-day figures Braze reports beside ``messages`` for a send or campaign (and, in multivariate
#: answers, on each row): people and conversions are counted once per day, not per channel.
LEVEL_METRICS: tuple[str, ...] = (
    "unique_recipients",
    "conversions",
    "conversions_by_send_time",
    "conversions1",
    "conversions1_by_send_time",
    "conversions2",
    "conversions2_by_send_time",
    "conversions3",
    "conversions3_by_send_time",
    "revenue",
)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is unknown or the denominator is zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Family:
    """How one group of Braze channel keys is read: its metrics in reading order, and its rates."""

    key: str
    label: str
    metrics: tuple[str, ...]
    #: (label, numerator, denominator); a rate is shown only when both are reported.
    rates: tuple[tuple[str, str, str], ...] = ()
    #: What measures its volume: ``sent``, or ``impressions`` for in-app messages.
    volume: str = "sent"
    #: Its name mid-sentence ("email", "push", "SMS", "Content Cards"); empty: the label.
    word: str = ""
    #: A table column's heading (a phone shows about 40 columns); the label when short already.
    short: str = ""

    @property
    def noun(self) -> str:
        return self.word or self.label

    @property
    def heading(self) -> str:
        return self.short or self.label


#: Push: ``/campaigns/data_series`` documents sent, opens, bounces and body clicks; ``/sends/data_series``
#: adds delivered, undelivered and delivery_failed (its example row is push-shaped).
PUSH = Family(
    "push",
    "Push",
    ("sent", "delivered", "undelivered", "delivery_failed", "direct_opens", "total_opens", "body_clicks", "bounces"),
    (("delivery rate", "delivered", "sent"), ("direct open rate", "direct_opens", "sent"),
     ("total open rate", "total_opens", "sent"), ("bounce rate", "bounces", "sent")),
    word="push",
)
FAMILIES: dict[str, Family] = {
    "email": Family(
        "email",
        "Email",
        ("sent", "delivered", "opens", "unique_opens", "clicks", "unique_clicks", "unsubscribes", "bounces",
         "reported_spam"),
        (
            ("delivery rate", "delivered", "sent"),
            ("unique open rate", "unique_opens", "delivered"),
            ("unique click rate", "unique_clicks", "delivered"),
            ("click-to-open", "unique_clicks", "unique_opens"),
            ("unsubscribe rate", "unsubscribes", "delivered"),
            ("spam rate", "reported_spam", "delivered"),
            ("bounce rate", "bounces", "sent"),
        ),
        word="email",
    ),
    "push": PUSH,
    "sms": Family(
        "sms",
        "SMS",
        ("sent", "sent_to_carrier", "delivered", "undelivered", "rejected", "delivery_failed", "clicks", "opt_out",
         "help"),
        (("delivery rate", "delivered", "sent"), ("failure rate", "delivery_failed", "sent"),
         ("opt-out rate", "opt_out", "delivered")),
    ),
    "webhook": Family("webhook", "Webhook", ("sent", "errors"), (("error rate", "errors", "sent"),), word="webhook"),
    "in_app_message": Family(
        "in_app_message",
        "In-app message",
        ("impressions", "clicks", "first_button_clicks", "second_button_clicks", "enrolled"),
        (("click rate", "clicks", "impressions"),),
        volume="impressions",
        word="in-app message",
        short="In-app",
    ),
    "content_cards": Family(
        "content_cards",
        "Content Cards",
        ("sent", "total_impressions", "unique_impressions", "total_clicks", "unique_clicks", "total_dismissals",
         "unique_dismissals"),
        (("unique click rate", "unique_clicks", "unique_impressions"),
         ("unique dismissal rate", "unique_dismissals", "unique_impressions")),
        short="Cards",
    ),
    "whats_app": Family(
        "whats_app",
        "WhatsApp",
        ("sent", "delivered", "failed", "read"),
        (("delivery rate", "delivered", "sent"), ("read rate", "read", "delivered")),
    ),
}
_ALIASES = {"trigger_in_app_message": "in_app_message", "content_card": "content_cards", "whatsapp": "whats_app"}


def family_of(channel: str) -> Family:
    """The family of a Braze channel key; every ``*_push`` is push, an unknown key is its own family
    (shown with whatever counters it carries, never dropped)."""
    key = channel.lower()
    key = _ALIASES.get(key, key)
    if key.endswith("_push"):
        return PUSH
    return FAMILIES.get(key) or Family(key, channel.replace("_", " ").capitalize(), ())


#: Braze's channel keys as people say them (every label of a channel comes from here).
CHANNEL_LABELS: dict[str, str] = {
    "email": "Email",
    "ios_push": "iOS push",
    "android_push": "Android push",
    "web_push": "Web push",
    "kindle_push": "Kindle push",
    "sms": "SMS",
    "webhook": "Webhook",
    "in_app_message": "In-app message",
    "trigger_in_app_message": "In-app message",
    "content_cards": "Content Cards",
    "content_card": "Content Cards",
    "whats_app": "WhatsApp",
    "whatsapp": "WhatsApp",
}


def channel_label(channel: str) -> str:
    """``ios_push`` → "iOS push"; a key we don't know reads as words ("line_message" → "Line message")."""
    key = channel.lower()
    if key in CHANNEL_LABELS:
        return CHANNEL_LABELS[key]
    if key.endswith("_push"):
        return f"{key[: -len('_push')].replace('_', ' ').capitalize()} push"
    return family_of(channel).label


def heading_of(label: str) -> str:
    """A table column's heading for a family's label ("In-app message" → "In-app")."""
    return next((family.heading for family in FAMILIES.values() if family.label == label), label)
