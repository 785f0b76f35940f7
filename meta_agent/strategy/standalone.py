"""Signal sources as Freqtrade strategies, with hyperoptable thresholds.

Each file in ``strategies/`` (``TrendMA``, ``FundingRateExtremes``, ...) subclasses
:class:`SourceStrategy` and names its source; ``EqualWeightVote`` subclasses
:class:`VoteStrategy`, the mean of the configured sources. Entries when the signal is
available, leans at least ``entry_score`` and is at least ``min_confidence`` sure; exits when
it leans no more than ``exit_score`` or stops knowing. Long/flat in spot; in futures mode the
mirror image goes short.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from freqtrade.strategy import DecimalParameter
from pandas import DataFrame

from meta_agent.columns import FEATURE_PREFIX, signal_column
from meta_agent.strategy.base import MetaStrategy
from meta_agent.strategy.features import source_features


class SignalStrategy(MetaStrategy):
    """Trades a signal frame (score, confidence, available) with hyperoptable thresholds;
    subclasses say where the frame comes from (:meth:`signal`, :meth:`signal_startup`)."""

    INTERFACE_VERSION = 3

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
        self.startup_candle_count = max(self.signal_startup(), 1)

    def signal(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        """Columns ``score``, ``confidence``, ``available`` for ``dataframe``."""
        raise NotImplementedError

    def signal_startup(self) -> int:
        """Candles the signal needs before its first value."""
        raise NotImplementedError

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        frame = self.signal(dataframe, metadata)
        for column in ("score", "confidence", "available"):
            dataframe[column] = frame[column].to_numpy()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        sure = dataframe["available"] & (dataframe["confidence"] >= self.min_confidence.value)
        threshold = self.entry_score.value
        dataframe.loc[sure & (dataframe["score"] >= threshold), ["enter_long", "enter_tag"]] = (
            1,
            type(self).__name__,
        )
        if self.can_short:
            dataframe.loc[
                sure & (dataframe["score"] <= -threshold), ["enter_short", "enter_tag"]
            ] = (1, type(self).__name__)
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        unknown = ~dataframe["available"]
        limit = self.exit_score.value
        dataframe.loc[unknown | (dataframe["score"] <= limit), "exit_long"] = 1
        if self.can_short:
            dataframe.loc[unknown | (dataframe["score"] >= -limit), "exit_short"] = 1
        return dataframe


class SourceStrategy(SignalStrategy):
    """Trades one registered source; subclasses set :attr:`source_id`."""

    source_id: ClassVar[str]

    def source_ids(self) -> list[str]:
        return [self.source_id]

    def signal_startup(self) -> int:
        return int(self.sources_for(pair="")[0].startup_candles)

    def signal(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        frame = self.sources_for(metadata["pair"])[0].signal(dataframe)
        return frame.set_axis(["score", "confidence", "available"], axis=1)


class VoteStrategy(SignalStrategy):
    """The equal-weight vote of ``meta_rl.sources``: the mean score of the sources available
    on a candle; confidence is the share of sources available; unavailable when none is."""

    def signal_startup(self) -> int:
        return max(source.startup_candles for source in self.sources_for(pair=""))

    def signal(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        sources = self.meta_config.sources
        features = source_features(dataframe, self.sources_for(metadata["pair"]))
        score = features[[signal_column(s, "score", FEATURE_PREFIX) for s in sources]].to_numpy()
        count = (
            features[[signal_column(s, "available", FEATURE_PREFIX) for s in sources]]
            .to_numpy()
            .sum(axis=1)
        )
        mean = np.divide(score.sum(axis=1), count, out=np.zeros(len(dataframe)), where=count > 0)
        return DataFrame(
            {"score": mean, "confidence": count / len(sources), "available": count > 0},
            index=dataframe.index,
        )
