"""Pytest plugin for mutation runs: property-based (hypothesis) tests run after the example tests.

mutmut hands pytest each mutant's tests in no particular order and stops at the first failure
(``-x``); one 200-example property test run first costs seconds for a mutant that an example test
would have killed in milliseconds. Loaded only by ``[tool.mutmut] pytest_add_cli_args`` and
tests/mutation/hand.py, never by the normal suite.
"""

from __future__ import annotations

import pytest


def _is_property_test(item: pytest.Item) -> bool:
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_is_property_test)  # stable: the order within each group is kept
