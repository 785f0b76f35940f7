"""The TrendBook baseline: the portfolio trend book alone, traded with MetaRL's own mechanics.

:func:`meta_agent.signals.trend_book.book_weight` on each pair's daily candles (Freqtrade's
``@informative("1d")``, so day D's weight reaches the hourly frame on the candle that closes with
D, never earlier) is the pair's target exposure, a fraction of its equal budget (the wallet over
``max_open_trades``), held by :class:`~meta_agent.strategy.exposure.TargetExposureStrategy`.
Run it over the whole universe in one wallet: ``max_open_trades`` equal to the number of pairs
gives each coin 1/N of the wallet, and what the book does not hold stays in cash. It decides once
a day, on the candle that closes at 00:00 UTC; a position is resized only when it is off its
target by more than ``meta_rl.book.band`` of the target. Parameters come from ``meta_rl.book``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from freqtrade.strategy import informative
from pandas import DataFrame

from meta_agent.signals.trend_book import book_weight
from meta_agent.strategy.exposure import TargetExposureStrategy
from meta_agent.strategy.trend import decision_candles

#: The merged daily weight (``@informative``'s ``{column}_{timeframe}`` name).
WEIGHT_COLUMN = "book_weight_1d"
TARGET_COLUMN = "book_target"
DECISION_COLUMN = "book_decision"


class TrendBookStrategy(TargetExposureStrategy):
    """Holds each pair's trend-book weight, decided once a day."""

    target_column = TARGET_COLUMN
    valid_column = DECISION_COLUMN
    reads_live_feed = False  # candles only

    plot_config = {
        "main_plot": {},
        "subplots": {"trend book": {TARGET_COLUMN: {"color": "#2e7d32"}}},
    }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.settings = self.meta_config.book
        # Counted in candles of every timeframe: it is the daily frame that needs them.
        self.startup_candle_count = self.settings.startup_days()

    @informative("1d")
    def populate_indicators_1d(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        """The book's weight of each daily close (merged as ``book_weight_1d``)."""
        dataframe["book_weight"] = book_weight(dataframe, self.settings).to_numpy()
        return dataframe

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        weight = dataframe[WEIGHT_COLUMN].to_numpy(dtype="float64")
        dataframe[TARGET_COLUMN] = np.where(np.isfinite(weight), weight, 0.0)
        decides = decision_candles(dataframe["date"], self.timeframe) & np.isfinite(weight)
        dataframe[DECISION_COLUMN] = decides.astype(int)
        return dataframe

    def rebalance_band(self, target: float) -> float:
        """``meta_rl.book.band`` of the target: the book's weights are small fractions of the
        budget, which an absolute band as wide as ``rebalance_threshold`` would never resize."""
        return self.settings.band * abs(target)
