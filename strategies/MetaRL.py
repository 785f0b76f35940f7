"""MetaRL: a FreqAI reinforcement-learning agent allocates between signal sources.

The agent (``freqaimodels/MetaRLModel.py``) returns a target exposure per candle in ``&-action``;
this strategy realises it with Freqtrade's own mechanisms: entries sized by
``custom_stake_amount``, scaling in and out with ``adjust_trade_position``, and exits.
Logic lives in ``meta_agent``; this file only wires it into Freqtrade's hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy
from pandas import DataFrame

from meta_agent.config import MetaRLConfig
from meta_agent.execution import pair_budget, rebalance_amount
from meta_agent.features import (
    raw_prices,
    signal_features,
    startup_candles,
    time_features,
    timeframe_context,
)
from meta_agent.feeds import is_trading, refresh_live_feed, source_context
from meta_agent.notify import notify_exposure_change
from meta_agent.plotting import plot_config

TARGET = "&-action"


class MetaRL(IStrategy):
    INTERFACE_VERSION = 3

    timeframe = "1h"
    # The agent decides exits; ROI is off and the stoploss only guards against catastrophe.
    minimal_roi = {"0": 100.0}
    stoploss = -0.30
    use_exit_signal = True
    exit_profit_only = False
    process_only_new_candles = True
    position_adjustment_enable = True
    max_entry_position_adjustment = -1
    can_short = False
    startup_candle_count = 200

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.meta_config = MetaRLConfig.from_freqtrade(config)
        self.can_short = str(config.get("trading_mode", "spot")) == "futures"
        freqai = config.get("freqai", {})
        self.startup_candle_count = startup_candles(
            self.meta_config.sources,
            config.get("timeframe", self.timeframe),
            freqai.get("feature_parameters", {}).get("include_timeframes", []),
            source_context(config, pair=""),
            self.meta_config.source_params,
        )

    # --- FreqAI: features and the (placeholder) RL label --------------------------------------
    def feature_engineering_expand_basic(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        """Trend and volatility on every timeframe in ``freqai.feature_parameters``."""
        context = timeframe_context(dataframe)
        dataframe[context.columns] = context
        return dataframe

    def feature_engineering_standard(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        """Signal frames of the enabled sources, time of day/week, raw prices."""
        features = [
            signal_features(
                dataframe,
                self.meta_config.sources,
                source_context(self.config, metadata["pair"]),
                self.meta_config.source_params,
            ),
            time_features(dataframe),
            raw_prices(dataframe),
        ]
        for frame in features:
            dataframe[frame.columns] = frame
        return dataframe

    def set_freqai_targets(self, dataframe: DataFrame, metadata: dict, **kwargs: Any) -> DataFrame:
        dataframe[TARGET] = 0.0
        return dataframe

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        refresh_live_feed(self.config)  # dry-run / live: this cycle's external data, once

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe = self.freqai.start(dataframe, metadata, self)
        if is_trading(self.config):
            notify_exposure_change(dataframe, metadata["pair"], self.dp.send_msg)
        return dataframe

    @property
    def plot_config(self) -> dict[str, Any]:  # type: ignore[override]
        """Exposure and each source's attribution as subplots (FreqUI, plot-dataframe)."""
        return plot_config(self.meta_config.sources)

    # --- Signals -------------------------------------------------------------------------------
    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        valid = dataframe["do_predict"] == 1
        dataframe.loc[valid & (dataframe[TARGET] > 0), ["enter_long", "enter_tag"]] = (1, "long")
        if self.can_short:
            dataframe.loc[valid & (dataframe[TARGET] < 0), ["enter_short", "enter_tag"]] = (
                1,
                "short",
            )
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        valid = dataframe["do_predict"] == 1
        dataframe.loc[valid & (dataframe[TARGET] <= 0), ["exit_long", "exit_tag"]] = (1, "flat")
        if self.can_short:
            dataframe.loc[valid & (dataframe[TARGET] >= 0), ["exit_short", "exit_tag"]] = (
                1,
                "flat",
            )
        return dataframe

    # --- Sizing --------------------------------------------------------------------------------
    def _target(self, pair: str) -> float | None:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if dataframe.empty or dataframe["do_predict"].iloc[-1] != 1:
            return None
        return float(dataframe[TARGET].iloc[-1])

    def _budget(self) -> float:
        return pair_budget(self.wallets.get_total_stake_amount(), self.config["max_open_trades"])

    def custom_stake_amount(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_stake: float,
        min_stake: float | None,
        max_stake: float,
        leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> float:
        target = self._target(pair)
        if not target:
            return 0.0
        return min(abs(target) * self._budget(), max_stake)

    def adjust_trade_position(
        self,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        min_stake: float | None,
        max_stake: float,
        current_entry_rate: float,
        current_exit_rate: float,
        current_entry_profit: float,
        current_exit_profit: float,
        **kwargs: Any,
    ) -> float | None:
        target = self._target(trade.pair)
        if target is None or trade.has_open_orders:
            return None
        return rebalance_amount(
            target_exposure=target,
            position_value=trade.amount * current_rate / trade.leverage,
            budget=self._budget(),
            threshold=self.meta_config.rebalance_threshold,
            min_stake=min_stake,
            max_stake=max_stake,
        )
