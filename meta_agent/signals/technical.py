"""Technical sources besides trend: volatility breakout and VWAP / range mean reversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from meta_agent.signals.contract import SignalSource
from meta_agent.signals.registry import register
from meta_agent.signals.scoring import signal_frame, squash, trailing_zscore


class BreakoutSource(SignalSource):
    """Leans with a close beyond the previous Donchian channel, trusted when volatility expands.

    ``score``: the close's position in the channel of the previous ``channel`` candles, -1 at
    the low and +1 at the high, clipped (a breakout is at or beyond +-1). ``confidence``: the
    ratio of the short to the long mean true range (volatility expansion), 0 at ``calm`` and 1
    at ``2 * calm``.
    """

    name = "breakout"
    version = 2

    def __init__(
        self, channel: int = 48, atr_short: int = 14, atr_long: int = 168, calm: float = 0.8
    ) -> None:
        self.channel = channel
        self.atr_short = atr_short
        self.atr_long = atr_long
        self.calm = calm

    @property
    def startup_candles(self) -> int:
        return self.atr_long + self.channel

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        high, low, close = (candles[c].astype("float64") for c in ("high", "low", "close"))
        upper = high.rolling(self.channel).max().shift(1)
        lower = low.rolling(self.channel).min().shift(1)
        half = (upper - lower) / 2
        position = (close - (upper + lower) / 2) / half.where(half > 0)
        # Plain means of the true range: exact after their window, unlike Wilder's recursive
        # ATR, whose 168-candle version takes ~800 candles to forget its seed.
        true_range = pd.Series(talib.TRANGE(high.to_numpy(), low.to_numpy(), close.to_numpy()))
        short = true_range.rolling(self.atr_short).mean()
        long = true_range.rolling(self.atr_long).mean()
        expansion = (short / long.where(long > 0)).to_numpy()
        confidence = (expansion - self.calm) / self.calm
        warm = np.arange(len(candles)) >= self.startup_candles
        return signal_frame(candles.index, position, confidence, warm)


class ReversionSource(SignalSource):
    """Leans against stretched prices: VWAP deviation z-score, RSI extremes, range position.

    Each component is scaled to [-1, 1] (price stretched up = +1); ``score`` is minus their
    mean (contrarian) and ``confidence`` the strongest component's magnitude.
    """

    name = "reversion"
    version = 1

    def __init__(
        self, vwap: int = 24, z_window: int = 168, rsi: int = 14, range_window: int = 48
    ) -> None:
        self.vwap = vwap
        self.z_window = z_window
        self.rsi = rsi
        self.range_window = range_window

    @property
    def startup_candles(self) -> int:
        return self.vwap + self.z_window

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        close = candles["close"].astype("float64")
        typical = (candles["high"] + candles["low"] + close) / 3
        volume = candles["volume"].astype("float64")
        traded = volume.rolling(self.vwap).sum()
        vwap = (typical * volume).rolling(self.vwap).sum() / traded.where(traded > 0)
        deviation = (close - vwap) / vwap
        stretch = squash(trailing_zscore(deviation, self.z_window))
        rsi = (talib.RSI(close.to_numpy(), self.rsi) - 50) / 50
        low = candles["low"].rolling(self.range_window).min()
        high = candles["high"].rolling(self.range_window).max()
        span = high - low
        in_range = 2 * (close - low) / span.where(span > 0) - 1
        parts = np.vstack([stretch, rsi, in_range.to_numpy()])
        warm = np.arange(len(candles)) >= self.startup_candles
        return signal_frame(candles.index, -parts.mean(axis=0), np.abs(parts).max(axis=0), warm)


register(
    BreakoutSource,
    family="technical",
    description="Donchian 48 channel position, confidence from true-range 14/168 expansion",
)
register(
    ReversionSource,
    family="technical",
    description="against VWAP-24 deviation z, RSI-14 and 48-candle range position",
)
