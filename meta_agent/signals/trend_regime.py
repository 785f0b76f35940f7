"""The daily trend regime: the robust base MetaRL's agent adjusts, and the TrendRegime baseline.

An ensemble of slow trend rules on daily closes, after Baz et al. (2015, "Dissecting investment
strategies in the cross section and time series") as used by Lim et al. (2019, "Enhancing time
series momentum strategies using deep neural networks"): for each pair of exponential moving
averages (8/24, 16/48 and 32/96 days) the sign of the fast minus the slow one. The regime is
their mean, in [-1, 1]. Long/flat markets use its positive part, the share of rules that are
long. Optionally the result is scaled by volatility targeting: ``vol_target`` over the realised
annualised volatility of the last ``vol_window`` daily log returns, never above 1.

The defaults are the published ones, not tuned on this project's data. The regime uses daily
candles only: a value belongs to the day whose close it saw, and Freqtrade's
``merge_informative_pair`` makes it usable from the hourly candle that closes with that day.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: (fast, slow) EMA spans in days (Baz et al. 2015).
DEFAULT_SPANS: tuple[tuple[int, int], ...] = ((8, 24), (16, 48), (32, 96))
DEFAULT_VOL_WINDOW = 30
#: The timeframe whose candles the regime is computed on.
REGIME_TIMEFRAME = "1d"
DAYS_PER_YEAR = 365


def regime_startup(spans: Sequence[Sequence[int]] = DEFAULT_SPANS) -> int:
    """Daily candles before the slowest EMA is considered settled (its span)."""
    return max(int(slow) for _, slow in spans)


def trend_regime(
    close: pd.Series,
    spans: Sequence[Sequence[int]] = DEFAULT_SPANS,
    *,
    long_only: bool = True,
    vol_target: float | None = None,
    vol_window: int = DEFAULT_VOL_WINDOW,
    warmup_nan: bool = True,
) -> pd.Series:
    """Target exposure in [-1, 1] (long-only: [0, 1]) per daily close; NaN during warm-up.

    Args:
        close: Daily closes, oldest first.
        spans: (fast, slow) EMA spans in days; each pair votes the sign of fast - slow.
        long_only: Spot markets: the share of long votes instead of the signed mean.
        vol_target: Annualised volatility to scale towards (e.g. 0.5); None: no scaling.
        vol_window: Daily returns in the realised-volatility estimate.
        warmup_nan: NaN until the slowest EMA has seen its span of closes. False: the EMAs'
            values from the first close on (a feature must not be NaN where FreqAI trains on a
            short window; with history before the window the values are the same).
    """
    if not spans:
        raise ValueError("trend_regime needs at least one (fast, slow) span pair; got none.")
    for fast, slow in spans:
        if not 0 < fast < slow:
            raise ValueError(f"Each span pair must be 0 < fast < slow; got ({fast}, {slow}).")
    values = close.astype("float64")
    votes = []
    for fast, slow in spans:
        gap = (
            values.ewm(span=fast, adjust=False).mean() - values.ewm(span=slow, adjust=False).mean()
        )
        vote = np.sign(gap)
        votes.append(vote.clip(lower=0) if long_only else vote)
    regime = pd.concat(votes, axis=1).mean(axis=1)
    if warmup_nan:
        regime.iloc[: regime_startup(spans) - 1] = np.nan
    if vol_target is not None:
        if vol_target <= 0:
            raise ValueError(f"vol_target must be positive; got {vol_target}.")
        log_returns = np.log(values).diff()
        realised = log_returns.rolling(vol_window, min_periods=vol_window).std()
        scale = (vol_target / (realised * np.sqrt(DAYS_PER_YEAR))).clip(upper=1.0)
        regime = regime * scale
    return regime.rename("trend_regime")


def nearest_level_index(values: np.ndarray, levels: Sequence[float] | np.ndarray) -> np.ndarray:
    """Index of the level closest to each value (ties towards flat); NaN maps to flat."""
    arr = np.asarray(levels, dtype=np.float64)
    flat = int(np.flatnonzero(arr == 0)[0]) if np.any(arr == 0) else 0
    filled = np.where(np.isfinite(values), values, 0.0)
    distance = np.abs(filled[:, None] - arr[None, :]) + 1e-9 * np.abs(arr[None, :])
    index = np.argmin(distance, axis=1)
    index[~np.isfinite(values)] = flat
    return index
