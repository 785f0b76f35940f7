"""One signal source as a Freqtrade strategy, with hyperoptable thresholds.

Each file in ``strategies/`` (``TrendMA``, ``FundingRateExtremes``, ...) subclasses
:class:`SourceStrategy` and names its source. Entries when the source is available, leans at
least ``entry_score`` and is at least ``min_confidence`` sure; exits when it leans no more than
``exit_score`` or stops knowing. Long/flat in spot; in futures mode the mirror image goes short.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from freqtrade.strategy import DecimalParameter, IStrategy
from pandas import DataFrame

from meta_agent.config import MetaRLConfig
from meta_agent.feeds import refresh_live_feed, source_context
from meta_agent.signals import make


class SourceStrategy(IStrategy):
    """Trades one registered source; subclasses set :attr:`source_id`."""

    INTERFACE_VERSION = 3
    source_id: ClassVar[str]

    timeframe = "1h"
    minimal_roi = {"0": 100.0}  # the signal decides exits
    stoploss = -0.25
    use_exit_signal = True
    exit_profit_only = False
    process_only_new_candles = True
    can_short = False
    startup_candle_count = 200

    entry_score = DecimalParameter(0.05, 0.9, default=0.3, decimals=2, space="buy")
    min_confidence = DecimalParameter(0.0, 0.9, default=0.2, decimals=2, space="buy")
    exit_score = DecimalParameter(-0.9, 0.3, default=0.0, decimals=2, space="sell")

    plot_config = {
        "main_plot": {},
        "subplots": {"signal": {"score": {"color": "#ef6c00"}, "confidence": {"color": "#999"}}},
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.source_params = MetaRLConfig.from_freqtrade(config).params_for(self.source_id)
        self.can_short = str(config.get("trading_mode", "spot")) == "futures"
        source = make(self.source_id, context=source_context(config, pair=""), **self.source_params)
        self.startup_candle_count = max(source.startup_candles, 1)

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        refresh_live_feed(self.config)  # dry-run / live: this cycle's external data, once

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        context = source_context(self.config, metadata["pair"])
        frame = make(self.source_id, context=context, **self.source_params).signal(dataframe)
        dataframe["score"], dataframe["confidence"], dataframe["available"] = (
            frame[column] for column in frame.columns
        )
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        sure = dataframe["available"] & (dataframe["confidence"] >= self.min_confidence.value)
        threshold = self.entry_score.value
        dataframe.loc[sure & (dataframe["score"] >= threshold), ["enter_long", "enter_tag"]] = (
            1,
            self.source_id,
        )
        if self.can_short:
            dataframe.loc[
                sure & (dataframe["score"] <= -threshold), ["enter_short", "enter_tag"]
            ] = (1, self.source_id)
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        unknown = ~dataframe["available"]
        limit = self.exit_score.value
        dataframe.loc[unknown | (dataframe["score"] <= limit), "exit_long"] = 1
        if self.can_short:
            dataframe.loc[unknown | (dataframe["score"] >= -limit), "exit_short"] = 1
        return dataframe
