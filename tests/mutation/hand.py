"""Hand mutations of what mutmut 3 leaves alone: module-level constants, regexes and format widths.

mutmut only mutates code inside functions, so a wrong retention period, a regex that lost ``re.ASCII``
or a dropped rate formula would never be tried. Each mutation below is applied to a copy of the
project, the fast unit tests (the same selection as ``[tool.mutmut]`` in pyproject.toml) are run
with ``-x``, and the mutation counts as killed when they fail. Run from the project root:

    python tests/mutation/hand.py              # all; exit status 1 if any survived or no longer applies
    python tests/mutation/hand.py -k grammar   # only those whose file or description contains "grammar"
    python tests/mutation/hand.py --jobs 2     # two copies side by side (the machine's cores are shared)

Not a pytest module (its name does not start with ``test_``): a run takes minutes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("bot", "catalogue", "digests", "fakes", "handlers", "reports", "tests", "pyproject.toml")


@dataclass(frozen=True)
class Mutation:
    path: str
    old: str
    new: str
    why: str


M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # -- reports/parse.py
    M(
        'reports/parse.py',
        'TEXT_FIELDS = frozenset({"variation_name", "variation_api_id", "name"})',
        'TEXT_FIELDS = frozenset({"variation_name", "variation_api_id"})',
        "a Canvas variant's name read as a count",
    ),
    M("reports/parse.py", "_MAX_COUNT = 10**15", "_MAX_COUNT = 10**15 - 1", "count cap one lower"),
    M("reports/parse.py", "_MAX_COUNT = 10**15", "_MAX_COUNT = 10**16", "count cap higher"),
    M("reports/parse.py", 'DEFAULT_VARIATION = "(no variation)"', 'DEFAULT_VARIATION = ""', "blank default variation"),
    # -- reports/summary.py
    M("reports/summary.py", "RETENTION_DAYS = 14", "RETENTION_DAYS = 13", "retention 13 days"),
    M("reports/summary.py", "RETENTION_DAYS = 14", "RETENTION_DAYS = 15", "retention 15 days"),
    M(
        'reports/channels.py',
        '    "unique_recipients",\n    "conversions",\n',
        '    "conversions",\n',
        'day-level unique_recipients ignored',
    ),
    M(
        'reports/channels.py',
        '    "conversions3_by_send_time",\n    "revenue",\n',
        '    "conversions3_by_send_time",\n',
        'day-level revenue ignored',
    ),
    M(
        'reports/channels.py',
        '    "conversions_by_send_time",\n    "conversions1",\n',
        '    "conversions1",\n',
        'day-level conversions by send time ignored',
    ),
    M(
        'reports/channels.py',
        '    "conversions1",\n',
        '',
        'day-level conversions1 ignored',
    ),
    # -- reports/kinds/send.py: the digest's compared figures and the analytics window
    M(
        'reports/kinds/send.py',
        'WINDOW_DAYS = RETENTION_DAYS + 1',
        'WINDOW_DAYS = RETENTION_DAYS',
        'window of 14 days',
    ),
    M(
        'reports/kinds/send.py',
        'WINDOW_DAYS = RETENTION_DAYS + 1',
        'WINDOW_DAYS = RETENTION_DAYS + 2',
        'window of 16 days',
    ),
    # -- reports/stats.py
    M("reports/stats.py", 'CONTROL_NAME = "control"', 'CONTROL_NAME = "Control"', "stats: control name case-sensitive"),
    M("reports/stats.py", "MIN_EXPECTED = 5", "MIN_EXPECTED = 4", "stats: four expected successes suffice"),
    M("reports/stats.py", "MIN_EXPECTED = 5", "MIN_EXPECTED = 6", "stats: six expected successes needed"),
    M("reports/stats.py", "ANOMALY_THRESHOLD = 3.0", "ANOMALY_THRESHOLD = 2.9", "stats: anomaly at 2.9 MADs"),
    M("reports/stats.py", "ANOMALY_THRESHOLD = 3.0", "ANOMALY_THRESHOLD = 3.1", "stats: anomaly at 3.1 MADs"),
    M("reports/stats.py", "ANOMALY_WINDOW = 7", "ANOMALY_WINDOW = 6", "stats: 6-day anomaly window"),
    M("reports/stats.py", "ANOMALY_WINDOW = 7", "ANOMALY_WINDOW = 8", "stats: 8-day anomaly window"),
    M("reports/stats.py", "ANOMALY_MIN_DAYS = 5", "ANOMALY_MIN_DAYS = 4", "stats: anomalies on 4 days"),
    M("reports/stats.py", "ANOMALY_MIN_DAYS = 5", "ANOMALY_MIN_DAYS = 6", "stats: anomalies need 6 days"),
    M("reports/stats.py", "math.sqrt(math.pi / 2)", "math.sqrt(2 / math.pi)", "stats: MAD stand-in ratio inverted"),
    M("reports/stats.py", "NormalDist().inv_cdf(0.75) *", "", "stats: MAD stand-in is the mean deviation × 1.25"),
    M("reports/stats.py", "FLAT_TOLERANCE = 0.01", "FLAT_TOLERANCE = 0.005", "stats: flat tolerance 0.5%"),
    M("reports/stats.py", "FLAT_TOLERANCE = 0.01", "FLAT_TOLERANCE = 0.02", "stats: flat tolerance 2%"),
    M("reports/stats.py", "FLAT_TOLERANCE = 0.01", "FLAT_TOLERANCE = 0.0", "stats: no flat tolerance"),
    M("reports/stats.py", "_STANDARD_NORMAL = NormalDist()", "_STANDARD_NORMAL = NormalDist(0, 1.01)", "stats: z off"),
    # -- handlers/grammar.py
    M("handlers/grammar.py", "MAX_ID_LENGTH = 64", "MAX_ID_LENGTH = 63", "ID limit 63"),
    M("handlers/grammar.py", "MAX_ID_LENGTH = 64", "MAX_ID_LENGTH = 65", "ID limit 65"),
    M(
        'reports/kinds/send.py',
        '    default_days = RETENTION_DAYS\n',
        '    default_days = 7\n',
        'default range 7 days',
    ),
    M(
        'reports/kinds/base.py',
        'MAX_DAYS = 100',
        'MAX_DAYS = 99',
        'days up to 99',
    ),
    M(
        'reports/kinds/base.py',
        'MAX_DAYS = 100',
        'MAX_DAYS = 101',
        'days up to 101',
    ),
    M("handlers/grammar.py", 'r"[!-~]{1,64}"', 'r"[ -~]{1,64}"', "IDs may contain spaces"),
    M("handlers/grammar.py", 'r"[!-~]{1,64}"', 'r"[!-}]{1,64}"', "IDs may not contain ~"),
    M("handlers/grammar.py", 'r"[!-~]{1,64}"', 'r"[\\"-~]{1,64}"', "IDs may not contain !"),
    M("handlers/grammar.py", 'r"[!-~]{1,64}"', 'r"[!-~]{1,65}"', "ID pattern allows 65"),
    M("handlers/grammar.py", 'r"[!-~]{1,64}"', 'r"[!-~]{2,64}"', "ID pattern needs 2"),
    *(
        M("handlers/grammar.py", 'set("<>&`*|")', f'set("{"<>&`*|".replace(c, "")}")', f"{c} allowed in IDs")
        for c in "<>&`*|"
    ),
    M(
        "handlers/grammar.py",
        '_DAYS = re.compile(r"\\d{1,3}", re.ASCII)',
        '_DAYS = re.compile(r"\\d{1,3}")',
        "days: any digit",
    ),
    M(
        "handlers/grammar.py",
        '_DAYS = re.compile(r"\\d{1,3}", re.ASCII)',
        '_DAYS = re.compile(r"\\d{1,2}", re.ASCII)',
        "days: 2 digits",
    ),
    M("handlers/grammar.py", 'r"\\d{4}-\\d{2}-\\d{2}", re.ASCII)', 'r"\\d{4}-\\d{2}-\\d{2}")', "date: any digit"),
    M(
        "handlers/grammar.py",
        'r"\\d{4}-\\d{2}-\\d{2}", re.ASCII)',
        'r"\\d{4}-\\d{1,2}-\\d{1,2}", re.ASCII)',
        "date: short fields",
    ),
    M("handlers/grammar.py", 'r"(\\d{1,2}):(\\d{2})", re.ASCII)', 'r"(\\d{1,2}):(\\d{2})")', "time: any digit"),
    M(
        "handlers/grammar.py",
        'r"(\\d{1,2}):(\\d{2})", re.ASCII)',
        'r"(\\d{2}):(\\d{2})", re.ASCII)',
        "time: 2-digit hour",
    ),
    M(
        "handlers/grammar.py",
        'r"(\\d{1,2}):(\\d{2})", re.ASCII)',
        'r"(\\d{1,2}):(\\d{1,2})", re.ASCII)',
        "time: 1-digit minute",
    ),
    M(
        "handlers/grammar.py",
        '_NUMBER = re.compile(r"\\d{1,9}", re.ASCII)',
        '_NUMBER = re.compile(r"\\d{1,9}")',
        "id: any digit",
    ),
    M(
        "handlers/grammar.py",
        '_NUMBER = re.compile(r"\\d{1,9}", re.ASCII)',
        '_NUMBER = re.compile(r"\\d{1,10}", re.ASCII)',
        "id: 10 digits",
    ),
    M(
        "handlers/grammar.py",
        '_NUMBER = re.compile(r"\\d{1,9}", re.ASCII)',
        '_NUMBER = re.compile(r"\\d{1,8}", re.ASCII)',
        "id: 8 digits",
    ),
    M(
        'handlers/grammar.py',
        '{ids} [days] [until YYYY-MM-DD]`"',
        '{ids} [days]`"',
        'report usage without until',
    ),
    M(
        'reports/kinds/send.py',
        'example = "9ef1c2d0-campaign spring-launch 7"',
        'example = "9ef1c2d0-campaign 7"',
        'report example invalid',
    ),
    M(
        'handlers/grammar.py',
        'BARE.ids)} [at HH:MM] [time zone]`"',
        'BARE.ids)} [at HH:MM]`"',
        'subscribe usage without zone',
    ),
    M(
        "handlers/grammar.py",
        "spring-launch at 08:30 Europe/Berlin`",
        "spring-launch at 8.30 Europe/Berlin`",
        "subscribe example invalid",
    ),
    M(
        "handlers/grammar.py",
        "or `/sendstats unsubscribe NUMBER` (from `list`)",
        "",
        "unsubscribe usage without id form",
    ),
    # Not tried: dropping the zone regex's re.ASCII (its pattern has no \w or \d) or its letter-first rule
    # (no IANA zone starts with a digit, so ZoneInfo refuses such a name anyway): neither can be seen.
    M("handlers/grammar.py", '{0,2}", re.ASCII)', '{0,1}", re.ASCII)', "zone: one slash only"),
    M("handlers/grammar.py", "_+\\-]*(?:/", "_+]*(?:/", "zone: no hyphen (America/Port-au-Prince)"),
    M("handlers/grammar.py", "MAX_ZONE_LENGTH = 64", "MAX_ZONE_LENGTH = 8", "zone length 8"),
    M(
        "handlers/grammar.py",
        "EARLIEST_DAY = date(2000, 1, 1)",
        "EARLIEST_DAY = date(2000, 1, 2)",
        "earliest day later",
    ),
    M(
        "handlers/grammar.py",
        "EARLIEST_DAY = date(2000, 1, 1)",
        "EARLIEST_DAY = date(1999, 12, 31)",
        "earliest day sooner",
    ),
    M(
        'reports/kinds/base.py',
        '    default_days: ClassVar[int] = 30\n',
        '    default_days: ClassVar[int] = 14\n',
        'kind default 14 days',
    ),
    M(
        'handlers/grammar.py',
        '{KIND_WORDS} ID [at HH:MM] [time zone]`"',
        'campaign ID`"',
        'kind subscribe usage',
    ),
    M(
        "handlers/grammar.py",
        "subscribe canvas 0ad1e1a4-canvas at 08:30",
        "subscribe canvas at 08:30",
        "kind subscribe example",
    ),
    M("handlers/grammar.py", '"`/sendstats find WORDS OF THE NAME`"', '"`/sendstats find`"', "find usage"),
    M("handlers/grammar.py", '"`/sendstats find spring sale`"', '"`/sendstats find`"', "find example"),
    M(
        "handlers/grammar.py",
        '{ids} [days] [until YYYY-MM-DD]`"',
        '{ids} [until YYYY-MM-DD]`"',
        "report usage without days",
    ),
    M(
        'reports/kinds/campaign.py',
        '4505edf3e064 30"',
        '4505edf3e064 thirty"',
        'campaign example invalid',
    ),
    M(
        'reports/kinds/canvas.py',
        'IdField("CANVAS_ID", "Canvas ID")',
        'IdField("ID", "Canvas ID")',
        'canvas usage',
    ),
    M(
        'reports/kinds/canvas.py',
        '"0ad1e1a4-canvas 60 until 2026-03-31"',
        '"0ad1e1a4-canvas 60 until 2026-3-31"',
        'canvas example invalid',
    ),
    M(
        'handlers/grammar.py',
        'usage, example = report_usage(kind), report_example(kind)',
        'usage, example = report_usage(BARE), report_example(kind)',
        "kind errors show the send's usage",
    ),
    M(
        'handlers/grammar.py',
        'usage, example = report_usage(kind), report_example(kind)',
        'usage, example = report_usage(kind), report_example(BARE)',
        "kind errors show the send's example",
    ),
    M(
        "handlers/grammar.py",
        "    usage: str = REPORT_USAGE",
        "    usage: str = SUBSCRIBE_USAGE",
        "default usage wrong",
    ),
    M(
        "handlers/grammar.py",
        "    example: str = REPORT_EXAMPLE",
        "    example: str = SUBSCRIBE_EXAMPLE",
        "default example wrong",
    ),
    # -- handlers/layout/text.py and reports/views.py
    M(
        "handlers/layout/text.py",
        r'r"@(channel|here|everyone)\b"',
        r'r"@(channel|here|everyone)"',
        "broadcast without word end",
    ),
    M("handlers/layout/text.py", r'r"@(channel|here|everyone)\b"', r'r"@(channel|here)\b"', "@everyone not defused"),
    M("handlers/layout/text.py", r'r"@(channel|here|everyone)\b"', r'r"@(channel|everyone)\b"', "@here not defused"),
    M("handlers/layout/text.py", r'r"@(channel|here|everyone)\b"', r'r"@(here|everyone)\b"', "@channel not defused"),
    M("handlers/layout/text.py", ", re.IGNORECASE)", ")", "broadcast case-sensitive"),
    M(
        'reports/views.py',
        'DASH = "–"',
        'DASH = "-"',
        'hyphen for unknown',
    ),
    M(
        'reports/views.py',
        'DASH = "–"',
        'DASH = "0"',
        'zero for unknown',
    ),
    # -- handlers/layout/blocks.py
    M("handlers/layout/blocks.py", "MAX_TABLE_ROWS = 12", "MAX_TABLE_ROWS = 11", "11 table rows"),
    M("handlers/layout/blocks.py", "MAX_TABLE_ROWS = 12", "MAX_TABLE_ROWS = 13", "13 table rows"),
    M(
        'reports/kinds/send.py',
        'rerun_days = (7, RETENTION_DAYS, 30)',
        'rerun_days = (7, 14)',
        'no 30-day button',
    ),
    M(
        'reports/kinds/send.py',
        'rerun_days = (7, RETENTION_DAYS, 30)',
        'rerun_days = (7, 15, 30)',
        '15-day button',
    ),
    M(
        "handlers/layout/blocks.py",
        'SUBSCRIBE = "sendstats_subscribe"',
        'SUBSCRIBE = "sendstats_sub"',
        "subscribe action ID",
    ),
    M(
        "handlers/layout/blocks.py",
        'UNSUBSCRIBE = "sendstats_unsubscribe"',
        'UNSUBSCRIBE = "sendstats_unsub"',
        "unsubscribe action ID",
    ),
    M(
        'reports/views.py',
        'Conversion rate = conversions (primary event) ÷ that sum.',
        'Conversion rate = conversions (primary event) ÷ sent.',
        'conversion rate denominator',
    ),
    M(
        'reports/views.py',
        'return Figure("Unique recipients", f"{fmt_count(value)}  (sum of daily figures)")',
        'return Figure("Unique recipients", fmt_count(value))',
        'multi-day unique recipients not said to be a sum',
    ),
    M(
        'handlers/layout/blocks.py',
        'lines = [" " * label_width + ',
        'lines = [" " * (label_width - 1) + ',
        'header label column one short',
    ),
    M(
        'handlers/layout/blocks.py',
        'cell(name, label_width, left=True)',
        'cell(name, label_width - 1, left=True)',
        'row label column one short',
    ),
    M(
        'handlers/layout/blocks.py',
        'if parts[-1] and used + 1 + w > TABLE_WIDTH:',
        'if parts[-1] and used + w > TABLE_WIDTH:',
        'table parts one column too wide',
    ),
    M("handlers/layout/blocks.py", "TABLE_WIDTH = 40", "TABLE_WIDTH = 41", "tables 41 columns wide"),
    M(
        "handlers/layout/blocks.py",
        "if label_width + sum(1 + w for w in widths) > TABLE_WIDTH and label_width > SHORT_LABEL:",
        "if label_width + sum(w for w in widths) > TABLE_WIDTH and label_width > SHORT_LABEL:",
        "legend one column late",
    ),
    M(
        'reports/views.py',
        '1: "B (2nd)"',
        '1: "1"',
        '2nd conversion event unlabelled',
    ),
    M(
        'reports/views.py',
        '2: "C (3rd)"',
        '2: "B (3rd)"',
        '3rd conversion event as B',
    ),
    M(
        'reports/views.py',
        '3: "D (4th)"',
        '3: "D (3rd)"',
        '4th conversion event as 3rd',
    ),
    # -- reports/kinds/send.py and campaign.py: the figures and the sent headline
    M(
        'reports/kinds/send.py',
        'f"{fmt_count(sent.total)} sent" if sent else ""',
        '""',
        'a send digest loses its total sent',
    ),
    M(
        'reports/campaigns.py',
        'ordered = sorted(sent, key=lambda item: -item[1])',
        'ordered = sorted(sent, key=lambda item: item[1])',
        'sent headline least first',
    ),
    M(
        'reports/views.py',
        'noun = "message" if self.total == 1 else "messages"',
        'noun = "messages"',
        'one message called messages',
    ),
    # -- reports/channels.py (the channel families) and reports/parse.py
    M(
        'reports/parse.py',
        'DEFAULT_VARIATION = "(no variation)"',
        'DEFAULT_VARIATION = ""',
        'blank variation',
    ),
    M(
        'reports/channels.py',
        '    "unique_recipients",\n    "conversions",\n',
        '    "unique_recipients",\n',
        'conversions not level',
    ),
    M(
        'reports/parse.py',
        'frozenset({"variation_name", "variation_api_id", "name"})',
        'frozenset({"variation_name", "name"})',
        'variation ID as a count',
    ),
    M(
        'reports/parse.py',
        'frozenset({"variation_name", "variation_api_id", "name"})',
        'frozenset({"variation_api_id", "name"})',
        'variation name as a count',
    ),
    M(
        'reports/channels.py',
        '("direct open rate", "direct_opens", "sent")',
        '("direct open rate", "direct_opens", "total_opens")',
        'push open rate',
    ),
    M(
        'reports/channels.py',
        '("sent", "delivered", "undelivered", "delivery_failed", "direct_opens"',
        '("delivered", "sent", "undelivered", "delivery_failed", "direct_opens"',
        'push metric order',
    ),
    M(
        'reports/channels.py',
        '("click-to-open", "unique_clicks", "unique_opens")',
        '("click-to-open", "clicks", "unique_opens")',
        'click-to-open formula',
    ),
    M(
        'reports/channels.py',
        '("spam rate", "reported_spam", "delivered")',
        '("spam rate", "reported_spam", "sent")',
        'spam rate formula',
    ),
    M(
        'reports/channels.py',
        '("opt-out rate", "opt_out", "delivered")',
        '("opt-out rate", "opt_out", "sent")',
        'opt-out formula',
    ),
    M(
        'reports/channels.py',
        '(("error rate", "errors", "sent"),)',
        '()',
        'no webhook error rate',
    ),
    M(
        'reports/channels.py',
        '(("click rate", "clicks", "impressions"),)',
        '(("click rate", "clicks", "sent"),)',
        'in-app click rate',
    ),
    M(
        'reports/channels.py',
        '("read rate", "read", "delivered")',
        '("read rate", "read", "sent")',
        'WhatsApp read rate',
    ),
    M(
        'reports/channels.py',
        '"In-app message",\n        ("impressions",',
        '"In-app",\n        ("impressions",',
        'in-app label',
    ),
    M(
        'reports/channels.py',
        '"WhatsApp",\n        ("sent", "delivered", "failed", "read"),',
        '"Whatsapp",\n        ("sent", "delivered", "failed", "read"),',
        'WhatsApp label',
    ),
    M(
        'reports/channels.py',
        '"trigger_in_app_message": "in_app_message", ',
        '',
        'triggered in-app unknown',
    ),
    M(
        'reports/channels.py',
        '"content_card": "content_cards", ',
        '',
        'content_card unknown',
    ),
    M(
        'reports/channels.py',
        ', "whatsapp": "whats_app"}',
        '}',
        'whatsapp unknown',
    ),
    M(
        "reports/campaigns.py",
        '("push", "direct_opens", "Push direct opens")',
        '("push", "total_opens", "Push direct opens")',
        "push engagement metric",
    ),
    M("reports/campaigns.py", '("sms", "clicks", "SMS clicks")', '("sms", "clicks", "SMS")', "SMS engagement label"),
    M("reports/campaigns.py", "MAX_SERIES = 7", "MAX_SERIES = 6", "6 chart series"),
    M("reports/campaigns.py", "MAX_SERIES = 7", "MAX_SERIES = 8", "8 chart series"),
    # -- reports/canvases.py
    M("reports/canvases.py", "MAX_VARIANT_SERIES = 6", "MAX_VARIANT_SERIES = 5", "5 variant series"),
    M("reports/canvases.py", "MAX_VARIANT_SERIES = 6", "MAX_VARIANT_SERIES = 7", "7 variant series"),
    # -- reports/daily.py: campaign and Canvas digests
    M(
        'reports/daily.py',
        'RECENT_DAYS = 14',
        'RECENT_DAYS = 13',
        'kind window 13 days',
    ),
    M(
        'reports/daily.py',
        'RECENT_DAYS = 14',
        'RECENT_DAYS = 15',
        'kind window 15 days',
    ),
    M(
        'reports/daily.py',
        'QUIET_DAYS_TO_END = 14',
        'QUIET_DAYS_TO_END = 13',
        'ends after 13 quiet days',
    ),
    M(
        'reports/daily.py',
        'QUIET_DAYS_TO_END = 14',
        'QUIET_DAYS_TO_END = 15',
        'ends after 15 quiet days',
    ),
    # -- the kinds' ranges, words and buttons (reports/kinds, handlers/layout/blocks.py)
    M(
        'reports/kinds/base.py',
        'rerun_days: ClassVar[tuple[int, ...]] = (7, 30, 90)',
        'rerun_days: ClassVar[tuple[int, ...]] = (7, 30)',
        'no 90-day button',
    ),
    M(
        'reports/kinds/base.py',
        'rerun_days: ClassVar[tuple[int, ...]] = (7, 30, 90)',
        'rerun_days: ClassVar[tuple[int, ...]] = (7, 31, 90)',
        '31-day button',
    ),
    M(
        'handlers/layout/blocks.py',
        'RERUN_PREFIX = "sendstats_rerun_"',
        'RERUN_PREFIX = "sendstats_"',
        're-run prefix',
    ),
    M(
        'reports/kinds/campaign.py',
        'Words("campaign", "Campaign",',
        'Words("campaign", "campaign",',
        'campaign noun',
    ),
    M(
        'reports/kinds/canvas.py',
        'Words("Canvas", "Canvas",',
        'Words("Canvas", "Campaign",',
        'Canvas noun',
    ),
    M(
        'handlers/layout/blocks.py',
        'KIND_SUBSCRIBE = "sendstats_subscribe_kind"',
        'KIND_SUBSCRIBE = "sendstats_subscribe"',
        'kind subscribe action ID',
    ),
    # -- reports/kinds/campaign.py
    M(
        'reports/kinds/campaign.py',
        'MAX_CHANNELS = 12',
        'MAX_CHANNELS = 11',
        '11 channels',
    ),
    M(
        'reports/kinds/campaign.py',
        'MAX_CHANNELS = 12',
        'MAX_CHANNELS = 13',
        '13 channels',
    ),
    M(
        'reports/kinds/campaign.py',
        'MAX_VARIATIONS = 10',
        'MAX_VARIATIONS = 9',
        '9 variations',
    ),
    M(
        'reports/kinds/campaign.py',
        'MAX_VARIATIONS = 10',
        'MAX_VARIATIONS = 11',
        '11 variations',
    ),
    M(
        'reports/kinds/campaign.py',
        '"across channels. " + RECIPIENTS_NOTE',
        '"across channels. "',
        'campaign footer loses the denominators',
    ),
    # -- reports/kinds/canvas.py; table rows (handlers/layout/blocks.py)
    M(
        'handlers/layout/blocks.py',
        'MAX_TABLE_ROWS = 12',
        'MAX_TABLE_ROWS = 11',
        '11 table rows (variants, channels)',
    ),
    M(
        'handlers/layout/blocks.py',
        'MAX_TABLE_ROWS = 12',
        'MAX_TABLE_ROWS = 13',
        '13 table rows (variants, channels)',
    ),
    M(
        'reports/kinds/canvas.py',
        'Conversion rate = conversions ÷ entries.',
        'Conversion rate = conversions ÷ sent.',
        'Canvas footer formula',
    ),
    # -- reports/campaigns.py: a channel's volume
    M(
        'reports/campaigns.py',
        'VOLUME_METRICS = ("sent", "impressions")',
        'VOLUME_METRICS = ("sent",)',
        'in-app volume lost',
    ),
    M(
        'reports/campaigns.py',
        'VOLUME_METRICS = ("sent", "impressions")',
        'VOLUME_METRICS = ("impressions", "sent")',
        'impressions before sent',
    ),
    # -- handlers/layout/catalogue_blocks.py
    M(
        "handlers/layout/catalogue_blocks.py",
        'FIND_REPORT = "sendstats_find_report"',
        'FIND_REPORT = "sendstats_find"',
        "find report action ID",
    ),
    M(
        "handlers/layout/catalogue_blocks.py",
        'MODAL_CALLBACK = "sendstats_report_modal"',
        'MODAL_CALLBACK = "sendstats_modal"',
        "modal callback ID",
    ),
    M(
        "handlers/layout/catalogue_blocks.py",
        '"sendstats_target", "sendstats_target"',
        '"sendstats_target", "target"',
        "target action ID",
    ),
    M(
        "handlers/layout/catalogue_blocks.py",
        '"sendstats_send", "sendstats_send"',
        '"send", "sendstats_send"',
        "send block ID",
    ),
    M(
        "handlers/layout/catalogue_blocks.py",
        '"sendstats_days", "sendstats_days"',
        '"sendstats_days", "days"',
        "days action ID",
    ),
    M(
        'reports/kinds/campaign.py',
        'Words("campaign", "Campaign", "campaigns", "📣")',
        'Words("campaign", "Campaign", "campaigns", "🧭")',
        "campaign icon is the Canvas's",
    ),
    M("handlers/layout/catalogue_blocks.py", "MAX_OPTIONS = 20", "MAX_OPTIONS = 19", "19 options"),
    M("handlers/layout/catalogue_blocks.py", "MAX_OPTIONS = 20", "MAX_OPTIONS = 21", "21 options"),
    # -- catalogue/fold.py
    *(
        M("catalogue/fold.py", f'"{letter}": "{plain}"', f'"{letter}": "{letter}"', f"{letter} not folded")
        for letter, plain in (
            ("ø", "o"),
            ("æ", "ae"),
            ("œ", "oe"),
            ("ł", "l"),
            ("đ", "d"),
            ("ð", "d"),
            ("þ", "th"),
            ("ı", "i"),
        )
    ),
    M("catalogue/fold.py", "MAX_WORDS = 8", "MAX_WORDS = 7", "7 search words"),
    M("catalogue/fold.py", "MAX_WORDS = 8", "MAX_WORDS = 9", "9 search words"),
    M("catalogue/fold.py", "MAX_WORD_LENGTH = 64", "MAX_WORD_LENGTH = 63", "words cut at 63"),
    M("catalogue/fold.py", "MAX_WORD_LENGTH = 64", "MAX_WORD_LENGTH = 65", "words cut at 65"),
)


#: The bugs issue 12 names, inside functions (mutmut tries most of them too); kept here so that the
#: tests written for them are shown to fail on them after any refactoring.
NAMED_BUGS: tuple[Mutation, ...] = (
    M(
        'handlers/layout/blocks.py',
        'wrapped(view.footer) + (f"\\n{chart_note}" if chart_note else "")',
        'wrapped(view.footer) + f"\\n{chart_note}"',
        'issue 12: footer ends in None without a chart note',
    ),
    M(
        'reports/parse.py',
        'if not isinstance(channel, str) or not channel.strip():\n            continue',
        'if not isinstance(channel, str) or not channel.strip():\n            break',
        'issue 12: nameless channel stops the day',
    ),
    M(
        'reports/kinds/send.py',
        'return point.has_data and day_totals(point) != EMPTY',
        'return point.has_data',
        'issue 12: rows without numbers count as activity',
    ),
    M(
        'reports/kinds/send.py',
        '            context.append(\n                f" · day {number}',
        '            context.count(\n                f" · day {number}',
        'issue 12: day N of the window vanishes',
    ),
    M(
        'reports/kinds/send.py',
        'return max(1, min(100, length)), last',
        'return min(100, length), last',
        'issue 12: fetch_span asks for 0 days',
    ),
    M(
        'reports/kinds/send.py',
        'return max(1, min(100, length)), last',
        'return max(1, length), last',
        'issue 12: fetch_span asks for over 100 days',
    ),
    M(
        "handlers/grammar.py",
        "            usage,\n            example,\n        )\n    return None",
        "            usage,\n            None,\n        )\n    return None",
        "issue 12: For example: None for an ID that is not an ID",
    ),
    M(
        "handlers/grammar.py",
        'at most 64.", usage, example)',
        'at most 64.", usage, None)',
        "issue 12: For example: None for an ID that is too long",
    ),
    M(
        "reports/summary.py",
        "and length > RETENTION_DAYS)",
        "and length >= RETENTION_DAYS)",
        "issue 12: a 14-day range claims the send's first day",
    ),
)


def pytest_args() -> list[str]:
    """The unit tests and pytest options mutmut uses, read from pyproject.toml so the two never drift apart."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return [*config["pytest_add_cli_args"], *config["pytest_add_cli_args_test_selection"]]


def make_copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix="sendstats-hand-"))
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name, ignore=ignore)
        else:
            shutil.copy2(source, where / name)
    return where


def run_tests(copy: Path, tests: list[str]) -> int:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", *tests], cwd=copy, capture_output=True, text=True, timeout=600
    ).returncode


def run_one(copy: Path, mutation: Mutation, tests: list[str]) -> str:
    """'killed', 'SURVIVED', 'ERROR' (pytest could not run), or 'NOT FOUND' (the code changed: update the list)."""
    target = copy / mutation.path
    original = target.read_text()
    if original.count(mutation.old) != 1:
        return "NOT FOUND"
    target.write_text(original.replace(mutation.old, mutation.new))
    try:
        code = run_tests(copy, tests)
    finally:
        target.write_text(original)
    # pytest exits 1 when a test failed and 2 when a test module failed to import: the mutant was
    # caught. 0 means every test passed with it; 3-5 (internal error, usage, nothing collected) are
    # a broken set-up, never a kill.
    return {0: "SURVIVED", 1: "killed", 2: "killed"}.get(code, "ERROR")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only mutations whose file or description contains this text")
    parser.add_argument("--jobs", type=int, default=1, help="copies tested side by side (default 1)")
    args = parser.parse_args(argv)
    chosen = [m for m in (*MUTATIONS, *NAMED_BUGS) if args.k in m.path or args.k in m.why]
    tests = pytest_args()
    copies: Queue[Path] = Queue()
    made = [make_copy() for _ in range(max(1, args.jobs))]
    for copy in made:
        copies.put(copy)
    if (code := run_tests(made[0], tests)) != 0:
        print(f"The unmutated code fails its tests (pytest exit {code}): fix that first.")
        for copy in made:
            shutil.rmtree(copy, ignore_errors=True)
        return 2

    def job(mutation: Mutation) -> tuple[Mutation, str]:
        copy = copies.get()
        try:
            return mutation, run_one(copy, mutation, tests)
        finally:
            copies.put(copy)

    outcomes: dict[str, list[tuple[Mutation, str]]] = {}
    try:
        with ThreadPoolExecutor(max_workers=len(made)) as pool:
            for mutation, outcome in pool.map(job, chosen):
                print(f"{outcome:<10} {mutation.path}: {mutation.why}", flush=True)
                outcomes.setdefault(mutation.path, []).append((mutation, outcome))
    finally:
        for copy in made:
            shutil.rmtree(copy, ignore_errors=True)
    print()
    bad = 0
    for path, results in sorted(outcomes.items()):
        killed = sum(outcome == "killed" for _, outcome in results)
        bad += len(results) - killed
        print(f"{path:<36}{killed:>4} of {len(results):<4} killed")
    print(f"{'all':<36}{len(chosen) - bad:>4} of {len(chosen):<4} killed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
