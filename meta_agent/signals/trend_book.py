"""The portfolio trend book: each coin long or flat by a breakout ensemble, sized to a volatility
target, one equal share of the wallet per coin, the rest in cash.

After Zarattini, Pagani & Barbon (2025, "Catching crypto trends", SSRN 5209907): for each
lookback of the ensemble a Donchian rule on daily candles goes long when the close breaks above
the highest high of the previous ``n`` days and back to flat when it closes below the channel's
midpoint (the mean of that highest high and the lowest low). The coin's signal is the share of
lookbacks that are long, in [0, 1]. Its weight is the signal times ``vol_target`` over the
coin's realised annualised volatility, at most 1: a fraction of the coin's equal budget (the
wallet over the number of coins), so the book's total exposure never exceeds the wallet and
what it does not hold is cash.

The book is deterministic and uses daily candles only: a value belongs to the day whose close it
saw (Freqtrade's ``merge_informative_pair`` makes it usable from the hourly candle that closes
with that day). The defaults are the paper's lookbacks and a 25 % volatility target, not tuned
on this project's data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Donchian lookbacks in days (Zarattini, Pagani & Barbon 2025).
DEFAULT_LOOKBACKS: tuple[int, ...] = (10, 20, 30, 60, 90, 150, 250, 360)
DAYS_PER_YEAR = 365
#: Longest lookbacks of daily history a backtest loads before its start (see ``startup_days``).
SETTLE_LOOKBACKS = 2


class TrendBookConfig(BaseModel):
    """``meta_rl.book``: the portfolio trend book (:mod:`meta_agent.signals.trend_book`).

    Attributes:
        lookbacks: Donchian channel lengths in daily candles; each votes long or flat.
        min_lookbacks: Channels that must be defined (enough history) before a coin trades, so a
            newly listed coin enters once its shorter channels have seen enough days.
        vol_target: Annualised volatility each coin's position is sized to (0.25: 25 %), never
            above the coin's full budget; ``None``: no sizing, the signal alone.
        vol_window: Daily log returns in the realised-volatility estimate.
        band: No-trade band relative to the target: a position is resized only when it is off
            its target by at least this fraction of the target (entries and exits always trade).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    lookbacks: list[int] = Field(default_factory=lambda: list(DEFAULT_LOOKBACKS), min_length=1)
    min_lookbacks: int = Field(default=4, ge=1)
    vol_target: float | None = Field(default=0.25, gt=0)
    vol_window: int = Field(default=60, ge=2)
    band: float = Field(default=0.2, ge=0, lt=1)

    @field_validator("lookbacks")
    @classmethod
    def _positive_and_distinct(cls, value: list[int]) -> list[int]:
        if any(n < 2 for n in value) or len(set(value)) != len(value):
            raise ValueError(f"lookbacks must be distinct whole days of at least 2; got {value}")
        return sorted(value)

    def startup_days(self) -> int:
        """Daily candles before a weight no longer depends on where the data starts.

        A breakout state is held between its channel's midpoint and its top, so it depends on
        history before the channel: on Binance BTC, ETH, XRP and LTC 2021-2022, 361 days of
        history (the longest channel) left 1-14 of 49 sampled weights different from those
        computed on all history since 2018, 540 days none. Twice the longest lookback.
        """
        return max(SETTLE_LOOKBACKS * max(self.lookbacks), self.vol_window + 1)


def donchian_state(
    close: np.ndarray, high: np.ndarray, low: np.ndarray, lookback: int
) -> np.ndarray:
    """1 while the breakout rule of one lookback is long, 0 while flat, NaN before its channel
    exists (the first ``lookback`` days).

    Long from a close above the previous ``lookback`` days' highest high; flat again from a
    close below that channel's midpoint. In between the state is held.
    """
    highs = pd.Series(high).rolling(lookback).max().shift(1).to_numpy()
    lows = pd.Series(low).rolling(lookback).min().shift(1).to_numpy()
    middle = (highs + lows) / 2
    state = np.full(len(close), np.nan)
    long = False
    for t in range(len(close)):
        if not np.isfinite(highs[t]):
            continue
        if close[t] > highs[t]:
            long = True
        elif close[t] < middle[t]:
            long = False
        state[t] = 1.0 if long else 0.0
    return state


def breakout_signal(daily: pd.DataFrame, lookbacks: Sequence[int], min_lookbacks: int) -> pd.Series:
    """Share of the defined lookbacks that are long, per daily candle; NaN while fewer than
    ``min_lookbacks`` channels are defined."""
    close, high, low = (daily[col].to_numpy(dtype="float64") for col in ("close", "high", "low"))
    states = np.vstack([donchian_state(close, high, low, n) for n in lookbacks])
    defined = np.isfinite(states).sum(axis=0)
    longs = np.nansum(states, axis=0)
    ready = defined >= min(min_lookbacks, len(lookbacks))
    share = np.divide(longs, defined, out=np.zeros(len(close)), where=defined > 0)
    return pd.Series(np.where(ready, share, np.nan), index=daily.index, name="book_signal")


def volatility_scale(close: pd.Series, vol_target: float, vol_window: int) -> pd.Series:
    """``vol_target`` over the realised annualised volatility of the last ``vol_window`` daily
    log returns, at most 1; NaN until the window is full."""
    realised = np.log(close.astype("float64")).diff().rolling(vol_window).std()
    scale = vol_target / (realised * np.sqrt(DAYS_PER_YEAR))
    return scale.clip(upper=1.0).rename("book_scale")


def book_weight(daily: pd.DataFrame, settings: TrendBookConfig) -> pd.Series:
    """The book's target exposure per daily candle, a fraction in [0, 1] of the coin's budget;
    NaN while the coin lacks the history to trade."""
    signal = breakout_signal(daily, settings.lookbacks, settings.min_lookbacks)
    if settings.vol_target is None:
        return signal.rename("book_weight")
    scale = volatility_scale(daily["close"], settings.vol_target, settings.vol_window)
    return (signal * scale).rename("book_weight")
