"""Baseline and ``make bench``'s reference: Freqtrade's documented ReinforcementLearner setup.

FreqAI's stock ``ReinforcementLearner`` (``Base5ActionRLEnv``: 0 neutral, 1 enter long, 2 exit
long, 3 enter short, 4 exit short) with the features of Freqtrade's own example strategy
(``FreqaiExampleStrategy``) and the raw prices its environment needs, as in Freqtrade's RL
documentation. Spot: long only. ``python -m meta_agent evaluate`` runs it with
``freqaimodel`` ``ReinforcementLearner`` and its own FreqAI identifier
(:meth:`meta_agent.evaluation.plan.Plan.overrides`).
"""

from __future__ import annotations

from typing import Any

import talib.abstract as ta
from freqtrade.strategy import IStrategy
from pandas import DataFrame


class StockRL(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1h"
    minimal_roi = {"0": 100.0}
    stoploss = -0.30
    process_only_new_candles = True
    use_exit_signal = True
    startup_candle_count = 40
    can_short = False

    def feature_engineering_expand_all(
        self, dataframe: DataFrame, period: int, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        dataframe["%-rsi-period"] = ta.RSI(dataframe, timeperiod=period)
        dataframe["%-mfi-period"] = ta.MFI(dataframe, timeperiod=period)
        dataframe["%-adx-period"] = ta.ADX(dataframe, timeperiod=period)
        dataframe["%-sma-period"] = ta.SMA(dataframe, timeperiod=period)
        dataframe["%-ema-period"] = ta.EMA(dataframe, timeperiod=period)
        dataframe["%-roc-period"] = ta.ROC(dataframe, timeperiod=period)
        dataframe["%-relative_volume-period"] = (
            dataframe["volume"] / dataframe["volume"].rolling(period).mean()
        )
        return dataframe

    def feature_engineering_expand_basic(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        dataframe["%-pct-change"] = dataframe["close"].pct_change()
        dataframe["%-raw_volume"] = dataframe["volume"]
        return dataframe

    def feature_engineering_standard(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        dataframe["%-day_of_week"] = dataframe["date"].dt.dayofweek
        dataframe["%-hour_of_day"] = dataframe["date"].dt.hour
        for column in ("open", "high", "low", "close"):
            dataframe[f"%-raw_{column}"] = dataframe[column]
        return dataframe

    def set_freqai_targets(self, dataframe: DataFrame, metadata: dict, **kwargs: Any) -> DataFrame:
        dataframe["&-action"] = 0
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return self.freqai.start(dataframe, metadata, self)

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        enter = (dataframe["do_predict"] == 1) & (dataframe["&-action"] == 1)
        dataframe.loc[enter, ["enter_long", "enter_tag"]] = (1, "long")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        exit_ = (dataframe["do_predict"] == 1) & (dataframe["&-action"] == 2)
        dataframe.loc[exit_, "exit_long"] = 1
        return dataframe
