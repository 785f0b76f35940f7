"""Existing Freqtrade strategies as sources: position from signals, ROI and stoploss."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals import SourceContext, make, spec
from meta_agent.signals.wrapped import position_from_signals, register_wrapped


def signals(**columns: list[int]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_long_from_entry_until_exit_and_flips() -> None:
    frame = signals(
        enter_long=[0, 1, 0, 0, 0, 0, 0],
        exit_long=[0, 0, 0, 1, 0, 0, 0],
        enter_short=[0, 0, 0, 0, 1, 0, 0],
        exit_short=[0, 0, 0, 0, 0, 0, 1],
    )
    np.testing.assert_array_equal(position_from_signals(frame), [0, 1, 1, 0, -1, -1, 0])
    flip = signals(enter_long=[1, 0, 0], enter_short=[0, 0, 1])
    np.testing.assert_array_equal(position_from_signals(flip), [1, 1, -1])
    np.testing.assert_array_equal(position_from_signals(flip, can_short=False), [1, 1, 1])


def test_roi_table_and_stoploss_end_positions() -> None:
    frame = signals(enter_long=[1, 0, 0, 1, 0, 0], exit_long=[0] * 6)
    close = np.array([100.0, 101.0, 103.0, 103.0, 95.0, 90.0])
    roi = {0: 0.05, 60: 0.02}  # after one 1h candle, 2 % is enough
    position = position_from_signals(frame, close, roi, stoploss=-0.06)
    # +1 % at age 60 min < 2 %; +3 % at 120 min >= 2 %: out. Re-entry at 103; -7.8 % at 95: out.
    np.testing.assert_array_equal(position, [1, 1, 0, 1, 0, 0])


def test_freqtrades_sample_strategy_is_a_registered_source(
    btc_candles: pd.DataFrame, btc_context: SourceContext
) -> None:
    assert spec("strategy_sample_strategy-v1").family == "wrapped"
    frame = make("strategy_sample_strategy-v1", context=btc_context).signal(btc_candles)
    score = frame["strategy_sample_strategy-v1__score"]
    assert set(score.unique()) == {0.0, 1.0}  # SampleStrategy is long-only
    assert score.diff().abs().sum() >= 10, "it opens and closes positions"


def test_a_users_strategy_is_wrapped_from_the_config(
    btc_candles: pd.DataFrame, btc_context: SourceContext, tmp_path
) -> None:
    from meta_agent.config import MetaRLConfig

    (tmp_path / "AlwaysIn.py").write_text(
        "from freqtrade.strategy import IStrategy\n\n\n"
        "class AlwaysIn(IStrategy):\n"
        "    timeframe = '1h'\n    minimal_roi = {'0': 100}\n    stoploss = -0.99\n"
        "    startup_candle_count = 5\n\n"
        "    def populate_indicators(self, df, metadata):\n        return df\n\n"
        "    def populate_entry_trend(self, df, metadata):\n"
        "        df['enter_long'] = 1\n        return df\n\n"
        "    def populate_exit_trend(self, df, metadata):\n"
        "        df['exit_long'] = 0\n        return df\n"
    )
    config = {
        "strategy_path": str(tmp_path),
        "meta_rl": {"wrap_strategies": ["AlwaysIn"], "sources": ["strategy_always_in-v1"]},
    }
    assert register_wrapped(config) == ["strategy_always_in-v1"]
    assert MetaRLConfig.from_freqtrade(config).sources == ["strategy_always_in-v1"]
    register_wrapped(config)  # registering twice is harmless
    frame = make("strategy_always_in-v1", context=btc_context).signal(btc_candles)
    assert (frame["strategy_always_in-v1__score"].iloc[5:] == 1.0).all()
