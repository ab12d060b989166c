"""Every message kind's Slack payload, recorded: what changes, changes on purpose and shows in the diff.

Two records, both made by ``payload_scenarios`` (fixed data, fixed clock):

* ``payloads/before/`` and ``payloads/registry/``: the payloads just before and just after the kind
  registry replaced the three per-kind copies of every message builder. They are frozen: the test
  below proves the restructuring kept every payload, except the changes listed in ``CHANGES``, each
  with the JSON path, the value before and after, and why. A listed change whose "before" no longer
  matches the recording fails too, so the list cannot drift.
* ``payloads/current/``: what today's code sends. Each scenario is rebuilt and compared with it, so a
  message that changes without anyone meaning it fails here. Changing a message on purpose means
  re-recording, ``PAYLOADS_WRITE=current python -m pytest tests/handlers/test_payloads_kept.py``, and
  the JSON diff of ``payloads/current/`` then shows the change in review.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.handlers.payload_scenarios import SCENARIOS, run
from tests.harness import BotUnderTest

HERE = Path(__file__).parent / "payloads"


@dataclass(frozen=True)
class Change:
    """One intended difference: at ``path`` (``/``-separated keys and list indexes) of ``scenario``, the
    value ``before`` becomes ``after``; for a text, ``before`` may be the part of it that changed (every
    occurrence changes)."""

    scenario: str
    path: str
    before: Any
    after: Any
    why: str


_HELP_UNTIL = (
    "(default 30).",
    "(default 30); `until` ends the range on that day (UTC).",
    "the help is written from the kind registry: campaign and Canvas reports take `until` like a send's",
)
#: Intended changes, few: the restructuring keeps every message as it was.
CHANGES: tuple[Change, ...] = (
    Change("help_text", "acks/0/blocks/0/text/text", *_HELP_UNTIL),
    Change("app_home", "slack/6/params/view/blocks/6/text/text", *_HELP_UNTIL),
)


def _walk(doc: Any, path: str) -> tuple[Any, str | int]:
    *parents, last = path.split("/")
    for key in parents:
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    return doc, int(last) if isinstance(doc, list) else last


def recorded(folder: str, name: str) -> Any:
    return json.loads((HERE / folder / f"{name}.json").read_text())


def expected(name: str) -> Any:
    """The payload before the registry, with the intended changes applied."""
    doc = recorded("before", name)
    for change in (c for c in CHANGES if c.scenario == name):
        parent, key = _walk(doc, change.path)
        value = parent[key]
        if value == change.before:
            parent[key] = copy.deepcopy(change.after)
        else:
            assert isinstance(value, str) and change.before in value, f"{change.path}: no {change.before!r} there"
            parent[key] = value.replace(change.before, change.after)
    return doc


def test_every_change_names_a_recorded_scenario() -> None:
    assert {c.scenario for c in CHANGES} <= set(SCENARIOS)
    for folder in ("before", "registry"):
        assert sorted(p.stem for p in (HERE / folder).glob("*.json")) <= sorted(SCENARIOS)
    assert sorted(p.stem for p in (HERE / "current").glob("*.json")) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(p.stem for p in (HERE / "before").glob("*.json")))
def test_the_registry_kept_every_payload_but_the_listed_changes(name: str) -> None:
    assert recorded("registry", name) == expected(name)


#: Nine posts in one channel: Slack's pace (one a second after a burst of five) makes it wait 4 s.
PACED = {"list_and_unsubscribe"}


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.slow) if name in PACED else name for name in SCENARIOS]
)
def test_payloads_are_the_recorded_ones(bot: BotUnderTest, name: str) -> None:
    rebuilt = run(bot, name)
    folder = os.environ.get("PAYLOADS_WRITE")
    if folder:
        (HERE / folder).mkdir(parents=True, exist_ok=True)
        text = json.dumps(rebuilt, indent=1, ensure_ascii=False) + "\n"
        (HERE / folder / f"{name}.json").write_text(text)
        return
    assert rebuilt == recorded("current", name)
