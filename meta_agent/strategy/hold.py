"""The EqualWeightHold baseline: every pair held at its whole equal budget (the wallet over
``max_open_trades``), rebalanced back to it once a month, traded with MetaRL's mechanics.

Over a universe in one wallet this is the equal-weight buy-and-hold of the portfolio issue: each
coin 1/N of the wallet from its first candle (a backtest's start, or a later listing's first
day), and the monthly rebalance sells winners and buys losers back to 1/N. It rebalances on the
candle that closes at 00:00 UTC on the first day of a month.
"""

from __future__ import annotations

import pandas as pd
from freqtrade.exchange import timeframe_to_seconds
from pandas import DataFrame

from meta_agent.strategy.exposure import TargetExposureStrategy
from meta_agent.strategy.trend import decision_candles

TARGET_COLUMN = "hold_target"
DECISION_COLUMN = "hold_decision"


def month_ends(dates: pd.Series, timeframe: str) -> pd.Series:
    """True on the candles that close at 00:00 UTC on the first day of a month."""
    closes = dates + pd.Timedelta(seconds=timeframe_to_seconds(timeframe))
    return decision_candles(dates, timeframe) & (closes.dt.day == 1)


class EqualWeightHoldStrategy(TargetExposureStrategy):
    """Holds every pair at its whole budget, rebalanced at each month's start."""

    target_column = TARGET_COLUMN
    valid_column = DECISION_COLUMN
    reads_live_feed = False  # candles only
    startup_candle_count = 0

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe[TARGET_COLUMN] = 1.0
        decides = month_ends(dataframe["date"], self.timeframe)
        decides.iloc[:1] = True  # bought from the first candle analysed, as BuyAndHold
        dataframe[DECISION_COLUMN] = decides.astype(int)
        return dataframe

    def rebalance_band(self, target: float) -> float:
        """No band: the monthly decision is the rebalance."""
        return 0.0
