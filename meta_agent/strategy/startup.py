"""Later listings in a FreqAI backtest: Freqtrade trims the startup by a count of candles.

With FreqAI, Freqtrade's backtest removes the first ``startup_candle_count + train_period_days``
candles of every pair's analysed frame (``trim_dataframe`` with ``startup_candles``) and indexes
the frame its callbacks see by the same count. That count is right for a pair whose data
reaches back over the training period; a coin listed later has fewer candles before the
timerange, so the count eats into the backtest itself: on the 13-coin universe SOL/USDT
(listed 2020-08) would first trade in 2022-09 of a backtest from 2021-01. Padding such a pair's
analysed frame with placeholder rows before its first candle (no prices, no prediction, no
signal) makes the count land exactly on the timerange's start; the placeholders are trimmed off
and never traded.
"""

from __future__ import annotations

import pandas as pd
from freqtrade.exchange import timeframe_to_seconds


def pad_to_startup(
    frame: pd.DataFrame, start: pd.Timestamp, required: int, timeframe: str
) -> pd.DataFrame:
    """``frame`` with placeholder rows prepended so that exactly ``required`` rows precede
    ``start`` (unchanged when it already has that many). Placeholders carry only a ``date``
    (one candle apart, before the first) and ``do_predict`` 0; every other column is NaN."""
    before = int((frame["date"] < start).sum())
    missing = required - before
    if missing <= 0 or frame.empty:
        return frame
    step = pd.Timedelta(seconds=timeframe_to_seconds(timeframe))
    first = frame["date"].iloc[0]
    dates = pd.date_range(end=first - step, periods=missing, freq=step)
    padding = pd.DataFrame({"date": dates}).reindex(columns=frame.columns)
    padding["date"] = dates
    if "do_predict" in padding:
        padding["do_predict"] = 0
    return pd.concat([padding, frame], ignore_index=True)
