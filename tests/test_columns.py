"""The contract's names: built and parsed in one place; reading them imports no model."""

from __future__ import annotations

import subprocess
import sys

import pytest

from meta_agent.columns import (
    SIGNAL_PREFIX,
    attribution_column,
    signal_column,
    signal_columns,
    source_of,
)

HEAVY = ("torch", "shap", "freqtrade.freqai", "stable_baselines3")


def test_signal_columns_are_built_and_parsed_back() -> None:
    assert signal_columns("trend-v1") == [
        "trend-v1__score",
        "trend-v1__confidence",
        "trend-v1__available",
    ]
    assert signal_column("trend-v1", "score", SIGNAL_PREFIX) == "%%-trend-v1__score"
    assert attribution_column("context") == "%%-attr_context"
    for column in ["%%-trend-v1__score", "%-trend-v1__available", "trend-v1__confidence"]:
        assert source_of(column) == "trend-v1"
    assert source_of("%-volatility_1h") is None
    assert source_of("%-raw_close") is None


@pytest.mark.parametrize("module", ["meta_agent.strategy.plotting", "meta_agent.strategy.notify"])
def test_plotting_and_notifications_do_not_import_the_model(module: str) -> None:
    code = f"import sys, {module}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
