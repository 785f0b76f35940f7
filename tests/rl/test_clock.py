"""The decision clock: daily decisions on the candle that closes at 00:00 UTC, held between."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from meta_agent.config import MetaRLConfig
from meta_agent.rl.clock import decision_candles, hold_between
from tests.rl.test_model_predict import candles, fresh_model, kitchen
from tests.rl.test_rollout import briefly_trained


def test_daily_clock_decides_on_the_candle_that_closes_the_day() -> None:
    dates = pd.date_range("2022-03-01 00:00", periods=72, freq="1h", tz="UTC")
    decided = decision_candles(dates, "1h", 24)
    assert decided.sum() == 3
    assert set(dates[decided].hour) == {23}
    four_hourly = pd.date_range("2022-03-01 00:00", periods=12, freq="4h", tz="UTC")
    assert list(four_hourly[decision_candles(four_hourly, "4h", 6)].hour) == [20, 20]
    assert decision_candles(dates, "1h", 1).all()
    with pytest.raises(ValueError, match="at least 1"):
        decision_candles(dates, "1h", 0)


def test_hold_between_keeps_the_latest_decision() -> None:
    decided = np.array([False, True, False, False, True, False])
    held = hold_between(decided, np.array([1.0, 0.5]), previous=0.0)
    np.testing.assert_array_equal(held, [0.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="one exposure per decision"):
        hold_between(decided, np.array([1.0]), previous=0.0)


def daily_model(trained):
    model = fresh_model(trained)
    model.meta_config = MetaRLConfig.from_freqtrade({"meta_rl": {"decision_every": 24}})
    model.config = {"fee": 0.004, "timeframe": "1h"}
    return model


def test_daily_clock_backtest_equals_live_and_changes_only_at_decisions() -> None:
    trained = briefly_trained("PPO")
    frame = candles(24 * 8)
    backtest = daily_model(trained)
    window, _ = backtest.predict(frame, kitchen(len(frame)))
    exposures = window["&-action"].to_numpy()
    changed = np.flatnonzero(np.diff(exposures) != 0) + 1
    # A new level appears on the candle after a decision candle (23:00) at the earliest, and
    # only there: between decisions the level is held.
    decided = decision_candles(frame["date"], "1h", 24)
    assert len(changed) > 0, "the test needs an agent that changes its level"
    assert all(decided[t] for t in changed)

    live = daily_model(trained)
    decisions = list(live.predict(frame.iloc[:30], kitchen(30))[0]["&-action"])
    for t in range(30, len(frame)):
        decisions.append(live.predict(frame.iloc[t : t + 1], kitchen(1))[0]["&-action"].iloc[0])
    np.testing.assert_array_equal(exposures, np.array(decisions))
    assert live.agent_state["BTC/USD"].position == backtest.agent_state["BTC/USD"].position


def test_regime_column_is_the_pairs_own_daily_feature() -> None:
    from meta_agent.errors import ConfigError
    from meta_agent.rl.model import regime_column

    columns = [
        "%-trend_regime_gen_ETH/USDT_1d",
        "%-trend_regime_gen_shift-1_BTC/USDT_1d",
        "%-trend_regime_gen_BTC/USDT_1d",
        "%-trend_regime_gen_BTC/USDT_4h",
    ]
    assert regime_column(columns, "BTC/USDT") == "%-trend_regime_gen_BTC/USDT_1d"
    assert regime_column(["%-trend_regime_gen_BTC/USDTUSDT_1d"], "BTC/USDT:USDT")
    with pytest.raises(ConfigError, match="include_timeframes"):
        regime_column(columns[3:], "BTC/USDT")
