"""The portfolio trend book: Donchian breakouts, the ensemble share, volatility sizing, and no
value that depends on a later day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from meta_agent.config import MetaRLConfig
from meta_agent.errors import ConfigError
from meta_agent.signals.trend_book import (
    TrendBookConfig,
    book_weight,
    breakout_signal,
    donchian_state,
    volatility_scale,
)


def candles(close: list[float]) -> pd.DataFrame:
    """Daily candles whose high and low equal the close (the channel is the closes')."""
    values = np.asarray(close, dtype="float64")
    dates = pd.date_range("2022-01-01", periods=len(values), freq="1D", tz="UTC")
    return pd.DataFrame({"date": dates, "open": values, "high": values, "low": values,
                         "close": values})  # fmt: skip


def test_a_breakout_goes_long_and_a_close_below_the_midpoint_goes_flat() -> None:
    close = np.array([10, 11, 10, 12, 11.5, 11.2, 10.9, 10.0, 13.0])
    state = donchian_state(close, close, close, lookback=3)
    # Days 0-2: no 3-day channel yet. Day 3: 12 breaks above 11 (the high of 10, 11, 10): long.
    # Days 4-5: 11.5 and 11.2 stay above the midpoint 11 of 10..12: held. Day 6: 10.9 closes
    # below the midpoint 11.6 of 11.2..12: flat. Day 7: still below. Day 8: 13 breaks out again.
    np.testing.assert_array_equal(state[:3], [np.nan] * 3)
    np.testing.assert_array_equal(state[3:], [1, 1, 1, 0, 0, 1])


def test_the_signal_is_the_share_of_long_lookbacks_once_enough_are_defined() -> None:
    rising = candles(list(np.linspace(100, 200, 40)))
    signal = breakout_signal(rising, lookbacks=[5, 10, 30], min_lookbacks=2)
    assert signal.iloc[:10].isna().all()  # fewer than 2 channels defined
    assert (signal.iloc[10:30] == 1).all()  # both defined channels long on a steady rise
    assert (signal.iloc[30:] == 1).all()
    falling = candles(list(np.linspace(200, 100, 40)))
    assert (breakout_signal(falling, [5, 10, 30], 2).iloc[10:] == 0).all()


def test_volatility_sizing_targets_the_annual_volatility_and_never_levers() -> None:
    rng = np.random.default_rng(0)
    returns = rng.normal(0, 0.04, 400)  # about 76 % a year
    close = pd.Series(100 * np.exp(np.cumsum(returns)))
    scale = volatility_scale(close, vol_target=0.25, vol_window=60)
    assert scale.iloc[:60].isna().all()
    realised = np.log(close).diff().iloc[-60:].std() * np.sqrt(365)
    assert scale.iloc[-1] == pytest.approx(0.25 / realised)
    assert (volatility_scale(close, vol_target=5.0, vol_window=60).dropna() == 1.0).all()


def test_a_later_day_never_changes_an_earlier_weight(shared_data: Path) -> None:
    hourly = pd.read_feather(shared_data / "binance" / "SOL_USDT-1h.feather").set_index("date")
    daily = hourly.resample("1D").agg({"high": "max", "low": "min", "close": "last"}).dropna()
    daily = daily.reset_index()
    settings = TrendBookConfig()
    full = book_weight(daily, settings)
    cut = 700
    shocked = daily.copy()
    shocked.loc[cut:, ["high", "low", "close"]] *= 3
    np.testing.assert_array_equal(book_weight(shocked, settings)[:cut], full[:cut])
    # SOL lists in 2020-08: it trades once four channels (60 days) and the volatility exist.
    assert full.iloc[: settings.vol_window].isna().all()
    assert full.iloc[settings.vol_window + 1 :].notna().all()
    assert full.min() >= 0 and full.max() <= 1 and full.iloc[cut:].nunique() > 10


def test_settings_are_strict_and_named_by_their_dotted_key() -> None:
    settings = MetaRLConfig.from_freqtrade({"meta_rl": {"book": {"vol_target": 0.4}}}).book
    assert settings.vol_target == 0.4 and settings.lookbacks[-1] == 360
    assert settings.startup_days() == 720
    with pytest.raises(ConfigError, match=r"`meta_rl\.book\.lookbacks` = \[1, 5\]"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"book": {"lookbacks": [1, 5]}}})
    with pytest.raises(ConfigError, match=r"`meta_rl\.book\.window` is not a known key"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"book": {"window": 30}}})
    with pytest.raises(ConfigError, match=r"`meta_rl\.book\.band` = 1"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"book": {"band": 1}}})
