"""The decision clock: on which candles the agent decides, and holding its level in between.

``meta_rl.decision_every`` = k decides on the candles whose close is a multiple of k candles
since the Unix epoch: with 1h candles and k = 24, the candle that closes at 00:00 UTC, the
first moment a day's daily values are known. Between decisions the decided level is held.
Training steps the environment on the same candles, so the agent learns the market it trades.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from freqtrade.exchange import timeframe_to_seconds


def decision_candles(dates: pd.Series | pd.DatetimeIndex, timeframe: str, every: int) -> np.ndarray:
    """Bool per candle (``dates`` are open times): does the agent decide on it?"""
    if every < 1:
        raise ValueError(f"decision_every must be at least 1; got {every}.")
    if every == 1:
        return np.ones(len(dates), dtype=bool)
    step = timeframe_to_seconds(timeframe)
    stamps = pd.to_datetime(pd.Series(dates), utc=True)
    epoch = pd.Timestamp(0, tz="UTC")
    seconds = ((stamps - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    return ((seconds + step) % (step * every)) == 0


def hold_between(decided: np.ndarray, exposures: np.ndarray, previous: float) -> np.ndarray:
    """Per candle, the level of the latest decision at or before it (``previous`` before the
    first). ``exposures`` has one value per True in ``decided``."""
    if int(decided.sum()) != len(exposures):
        raise ValueError(
            f"hold_between needs one exposure per decision: {int(decided.sum())} decisions, "
            f"{len(exposures)} exposures."
        )
    held = np.full(len(decided), previous, dtype=np.float64)
    if len(exposures):
        which = np.cumsum(decided) - 1
        held[which >= 0] = np.asarray(exposures, dtype=np.float64)[which[which >= 0]]
    return held
