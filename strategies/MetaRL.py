"""MetaRL: a FreqAI reinforcement-learning agent allocates between signal sources.

The agent (``freqaimodels/MetaRLModel.py``) returns a target exposure per candle in ``&-action``;
``meta_agent.strategy.exposure.TargetExposureStrategy`` realises it with Freqtrade's own
mechanisms: entries sized by ``custom_stake_amount``, scaling in and out with
``adjust_trade_position``, and exits. Entries are marked on the agent's decision candles only
(``meta_rl.decision_every``; daily as shipped). This file only wires features and FreqAI in.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from freqtrade.configuration import TimeRange
from pandas import DataFrame, Series

from meta_agent.columns import SIGNAL_PREFIX, TARGET, VALID
from meta_agent.feeds.runtime import is_trading
from meta_agent.rl.clock import decision_candles
from meta_agent.signals.trend_book import book_weight
from meta_agent.signals.trend_regime import REGIME_TIMEFRAME
from meta_agent.strategy.exposure import TargetExposureStrategy
from meta_agent.strategy.features import (
    raw_prices,
    regime_features,
    source_features,
    startup_candles,
    time_features,
    timeframe_context,
)
from meta_agent.strategy.notify import notify_exposure_change
from meta_agent.strategy.plotting import plot_config, without_label_statistics
from meta_agent.strategy.startup import pad_to_startup


class MetaRL(TargetExposureStrategy):
    """Holds the exposure level the RL agent chose for each candle (``&-action``)."""

    target_column = TARGET
    valid_column = VALID
    startup_candle_count = 200

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        freqai = config.get("freqai", {})
        self.startup_candle_count = startup_candles(
            self.sources_for(pair=""),
            config.get("timeframe", self.timeframe),
            freqai.get("feature_parameters", {}).get("include_timeframes", []),
        )

    # --- FreqAI: features and the (placeholder) RL label --------------------------------------
    def feature_engineering_expand_basic(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        """Trend and volatility on every timeframe in ``freqai.feature_parameters``; the daily
        trend regime on the 1d timeframe."""
        context = timeframe_context(dataframe)
        dataframe[context.columns] = context
        if metadata.get("tf") == REGIME_TIMEFRAME:
            params = self.meta_config.trend_regime
            regime = regime_features(
                dataframe,
                long_only=not self.can_short,
                spans=params.spans,
                vol_target=params.vol_target,
                vol_window=params.vol_window,
            )
            dataframe[regime.columns] = regime
            if self.meta_config.base == "book":
                # The weight the pooled agent scales (MetaRLPortfolioModel), of the pair's own
                # daily candles as TrendBook computes it.
                dataframe["%-book_weight"] = book_weight(
                    dataframe, self.meta_config.book
                ).to_numpy()
        return dataframe

    def feature_engineering_standard(
        self, dataframe: DataFrame, metadata: dict, **kwargs: Any
    ) -> DataFrame:
        """Signal frames of the enabled sources (``%%-``: also shown in FreqUI), time of
        day/week, raw prices."""
        features = [
            source_features(dataframe, self.sources_for(metadata["pair"]), prefix=SIGNAL_PREFIX),
            time_features(dataframe),
            raw_prices(dataframe),
        ]
        for frame in features:
            dataframe[frame.columns] = frame
        return dataframe

    def set_freqai_targets(self, dataframe: DataFrame, metadata: dict, **kwargs: Any) -> DataFrame:
        dataframe[TARGET] = 0.0
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe = without_label_statistics(self.freqai.start(dataframe, metadata, self))
        if is_trading(self.config):
            notify_exposure_change(dataframe, metadata["pair"], self.dp.send_msg)
        return dataframe

    def advise_all_indicators(self, data: dict[str, DataFrame]) -> dict[str, DataFrame]:
        """Freqtrade's, with a later listing padded so that the backtest's count-based startup
        trim lands on the timerange's start (:mod:`meta_agent.strategy.startup`)."""
        analysed = super().advise_all_indicators(data)
        if not self.config.get("freqai", {}).get("enabled") or not self.config.get("timerange"):
            return analysed
        start = TimeRange.parse_timerange(self.config["timerange"]).startdt
        if start is None:
            return analysed
        required = self.dp.get_required_startup(self.timeframe)
        return {
            pair: pad_to_startup(frame, pd.Timestamp(start), required, self.timeframe)
            for pair, frame in analysed.items()
        }

    def valid_candles(self, dataframe: DataFrame) -> Series:
        """With the book as base, the decision candles only: positions are opened, resized and
        closed once a day, exactly as TrendBook does (so a closed gate trades TrendBook's
        trades); otherwise every predicted candle."""
        valid = super().valid_candles(dataframe)
        if self.meta_config.base == "book":
            return valid & self.entry_candles(dataframe)
        return valid

    def entry_candles(self, dataframe: DataFrame) -> Series:
        """The agent's decision candles (``meta_rl.decision_every``): a long target marks
        ``enter_long`` once per decision, and a position a stoploss closed or a lock refused is
        taken up again at the next decision that still wants it."""
        every = self.meta_config.decision_every
        decides = decision_candles(dataframe["date"], self.timeframe, every)
        return Series(decides, index=dataframe.index)

    def rebalance_band(self, target: float) -> float:
        """With the book as base, its band relative to the target (``meta_rl.book.band``): the
        book's volatility-sized weights are small fractions of the budget."""
        if self.meta_config.base == "book":
            return self.meta_config.book.band * abs(target)
        return super().rebalance_band(target)

    @property
    def plot_config(self) -> dict[str, Any]:  # type: ignore[override]
        """Exposure, each source's signal and attribution as subplots (FreqUI, plot-dataframe)."""
        return plot_config(self.meta_config.sources)
