"""Trend source: moving-average structure measured in volatility units, weighted by ADX."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from meta_agent.signals.contract import SignalSource
from meta_agent.signals.registry import register


def ema_trend(
    candles: pd.DataFrame, fast: int, slow: int, atr_period: int, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``tanh((EMA_fast - EMA_slow) / (scale * ATR))`` of the closes, with the EMA gap and the
    ATR it came from (NaN during their warm-up). The trend of this source and of MetaRL's
    per-timeframe context (:func:`meta_agent.strategy.features.timeframe_context`)."""
    close = candles["close"].to_numpy(dtype="float64")
    high = candles["high"].to_numpy(dtype="float64")
    low = candles["low"].to_numpy(dtype="float64")
    gap = talib.EMA(close, fast) - talib.EMA(close, slow)
    atr = talib.ATR(high, low, close, atr_period)
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.tanh(gap / (scale * atr))
    return trend, gap, atr


class TrendSource(SignalSource):
    """Leans with the gap between a fast and a slow EMA, sized in ATRs.

    ``score = tanh((EMA_fast - EMA_slow) / (scale * ATR))``: a gap of ``scale`` ATRs gives 0.76.
    ``confidence = ADX / adx_full``, clipped to [0, 1]: a strong trend (ADX >= ``adx_full``) is
    trusted fully. Unavailable until every indicator has warmed up.

    Args:
        fast: Fast EMA period in candles.
        slow: Slow EMA period in candles; must exceed ``fast``.
        atr_period: ATR period used to scale the EMA gap.
        scale: ATR multiple of the gap that maps to tanh(1).
        adx_period: ADX period for the confidence.
        adx_full: ADX level at which confidence reaches 1.
    """

    name = "trend"
    version = 1

    def __init__(
        self,
        fast: int = 20,
        slow: int = 50,
        atr_period: int = 14,
        scale: float = 2.0,
        adx_period: int = 14,
        adx_full: float = 50.0,
    ) -> None:
        if not 1 < fast < slow:
            raise ValueError(
                f"The 'fast' and 'slow' parameters of TrendSource must satisfy 1 < fast < slow. "
                f"Got fast={fast}, slow={slow} instead."
            )
        self.fast = fast
        self.slow = slow
        self.atr_period = atr_period
        self.scale = scale
        self.adx_period = adx_period
        self.adx_full = adx_full

    @property
    def startup_candles(self) -> int:
        # EMAs are recursive: three slow periods let the seed's influence fade below 1 %.
        return 3 * max(self.slow, 2 * self.adx_period)

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        score, gap, atr = ema_trend(candles, self.fast, self.slow, self.atr_period, self.scale)
        close = candles["close"].to_numpy(dtype="float64")
        high = candles["high"].to_numpy(dtype="float64")
        low = candles["low"].to_numpy(dtype="float64")
        adx = talib.ADX(high, low, close, self.adx_period)

        warm = np.arange(len(close)) >= self.startup_candles
        available = warm & np.isfinite(gap) & np.isfinite(adx) & np.isfinite(atr) & (atr > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            confidence = np.clip(adx / self.adx_full, 0.0, 1.0)
        return pd.DataFrame(
            {
                "score": np.where(available, score, 0.0),
                "confidence": np.where(available, confidence, 0.0),
                "available": available,
            },
            index=candles.index,
        )


register(
    TrendSource,
    family="technical",
    description="EMA 20/50 gap in ATRs, confidence from ADX",
)
