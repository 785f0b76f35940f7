"""What MetaRL feeds FreqAI: the signal frame of every enabled source plus market context.

FreqAI treats columns containing ``%`` as features; ``%-raw_*`` are the prices its RL training
environment reads (and drops from the features, ``drop_ohlc_from_features``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals import make

VOLATILITY_WINDOW = 24  # candles: one day of 1h candles


def signal_features(candles: pd.DataFrame, source_ids: list[str]) -> pd.DataFrame:
    """``%-<id>__score``, ``__confidence`` and ``__available`` (0/1) for each source."""
    frames = []
    for source_id in source_ids:
        frame = make(source_id).signal(candles)
        frames.append(frame.astype("float64").add_prefix("%-"))
    return pd.concat(frames, axis=1)


def context_features(candles: pd.DataFrame) -> pd.DataFrame:
    """Market context: realised volatility (std of 1h log returns over a day) and raw prices."""
    log_returns = np.log(candles["close"]).diff()
    volatility = log_returns.rolling(VOLATILITY_WINDOW, min_periods=VOLATILITY_WINDOW).std()
    return pd.DataFrame(
        {
            "%-volatility": volatility,
            "%-raw_open": candles["open"],
            "%-raw_high": candles["high"],
            "%-raw_low": candles["low"],
            "%-raw_close": candles["close"],
        },
        index=candles.index,
    )


def startup_candles(source_ids: list[str]) -> int:
    """Candles every enabled source and the context need before their first value."""
    return max([VOLATILITY_WINDOW + 1, *(make(s).startup_candles for s in source_ids)])
