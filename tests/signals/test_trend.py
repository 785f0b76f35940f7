"""Trend source behaviour on constructed price paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from meta_agent.signals.trend import TrendSource


def candles_from(close: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2022-01-01", periods=len(close), freq="1h", tz="UTC"),
            "open": close,
            "high": close * 1.002,
            "low": close * 0.998,
            "close": close,
            "volume": np.ones(len(close)),
        }
    )


@pytest.mark.parametrize(("drift", "sign"), [(0.002, 1), (-0.002, -1)])
def test_score_follows_a_steady_trend(drift: float, sign: int) -> None:
    close = 100 * np.exp(drift * np.arange(600))
    frame = TrendSource().compute(candles_from(close))
    tail = frame.iloc[-100:]
    assert tail["available"].all()
    assert (np.sign(tail["score"]) == sign).all()
    assert (tail["confidence"] > 0.5).all(), "a steady trend is a strong trend for ADX"


def test_unavailable_during_warm_up() -> None:
    source = TrendSource()
    frame = source.compute(candles_from(np.linspace(100, 120, 400)))
    assert not frame["available"].iloc[: source.startup_candles].any()
    assert frame["available"].iloc[source.startup_candles :].all()


def test_invalid_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="1 < fast < slow"):
        TrendSource(fast=50, slow=20)
