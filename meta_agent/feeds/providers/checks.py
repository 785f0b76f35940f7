"""The provider boundary: every live answer is checked before a source may read it.

A frame whose timestamps lie outside any plausible range (e.g. milliseconds read as seconds)
or whose values leave their documented range (Fear & Greed outside 0-100, a funding rate of
several hundred percent, a negative price) is refused whole: :class:`~.feed.
LiveFeed` marks its provider down, so its sources read ``available`` 0 instead of trading on it.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping

import pandas as pd

from meta_agent.data.external import EXTERNAL_SERIES, availability_problem
from meta_agent.errors import FeedUnavailableError

#: The first Bitcoin block; nothing a provider serves can describe an earlier moment.
EARLIEST = pd.Timestamp("2009-01-03", tz="UTC")
#: A sanity bound, not a clock: later timestamps are a unit error (milliseconds as seconds).
LATEST = pd.Timestamp("2100-01-01", tz="UTC")
BTC_SUPPLY = 21e6

#: Documented ranges (inclusive) of external series' columns; NaN is refused there too.
SERIES_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "fear_and_greed": {"value": (0.0, 100.0)},
    "btc_open_interest_usd": {"value": (0.0, 1e13)},
    "btc_funding_rate_daily_pct": {"value": (-10.0, 10.0)},
    "btc_exchange_reserves": {"value": (0.0, BTC_SUPPLY)},
    "btc_miner_to_exchange": {"value": (0.0, BTC_SUPPLY)},
    "btc_exchange_inflow_cdd": {"value": (0.0, math.inf)},
}
#: A funding rate is a fraction per settlement; beyond 10 % it is a unit error, not a market.
MAX_FUNDING_RATE = 0.1
PRICE_COLUMNS = ("open", "high", "low", "close")
DAILY_SERIES = frozenset(series.name for series in EXTERNAL_SERIES if series.daily)


def check_frames(provider: str, frames: Mapping[Hashable, pd.DataFrame]) -> None:
    """Raise FeedUnavailableError naming ``provider``, the key, the row, the value and the
    allowed range at the first implausible row of any frame."""
    for key, frame in frames.items():
        problem = frame_problem(key, frame)
        if problem is not None:
            label = " ".join(key) if isinstance(key, tuple) else str(key)
            raise FeedUnavailableError(f"{provider}: {label} {problem}")


def frame_problem(key: Hashable, frame: pd.DataFrame) -> str | None:
    """What is wrong with the first bad row of ``frame`` (served under ``key``), or None."""
    missing = [column for column in ("date", "available_at") if column not in frame.columns]
    if missing:
        return f"has no column(s) {missing}"
    for column in ("date", "available_at"):
        problem = _time_problem(frame, column)
        if problem is not None:
            return problem
    daily = isinstance(key, str) and key in DAILY_SERIES
    found = availability_problem(frame, daily=daily)
    if found is not None:
        return f"row {found[0]}: {found[1]}"
    return _value_problem(frame, _ranges(key))


def _time_problem(frame: pd.DataFrame, column: str) -> str | None:
    times = pd.to_datetime(frame[column], utc=True, errors="coerce")
    bad = times.isna() | (times < EARLIEST) | (times >= LATEST)
    if not bad.any():
        return None
    row = int(bad.to_numpy().argmax())
    return (
        f"row {row}: `{column}` = {times.iloc[row]}; expected a time from "
        f"{EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d}"
    )


def _ranges(key: Hashable) -> dict[str, tuple[float, float]]:
    if isinstance(key, str):
        return SERIES_RANGES.get(key, {})
    candle_type = key[1] if isinstance(key, tuple) and len(key) == 2 else None
    if candle_type == "funding_rate":
        return {"open": (-MAX_FUNDING_RATE, MAX_FUNDING_RATE)}
    if candle_type is not None:
        return {column: (1e-12, math.inf) for column in PRICE_COLUMNS} | {"volume": (0, math.inf)}
    return {}


def _value_problem(frame: pd.DataFrame, ranges: dict[str, tuple[float, float]]) -> str | None:
    for column, (low, high) in ranges.items():
        if column not in frame.columns:
            return f"has no column `{column}`"
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values < low) | (values > high)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            return (
                f"row {row}: `{column}` = {_shown(frame[column].iloc[row])}; expected a number in "
                f"[{low:g}, {high:g}]"
            )
    numeric = frame.select_dtypes("number")
    infinite = numeric.isin([math.inf, -math.inf]).any(axis=1)
    if infinite.any():
        row = int(infinite.to_numpy().argmax())
        column = numeric.columns[numeric.iloc[row].isin([math.inf, -math.inf])][0]
        return (
            f"row {row}: `{column}` = {_shown(numeric[column].iloc[row])}; expected a finite number"
        )
    return None


def _shown(value: object) -> str:
    """A cell as the user wrote it: ``150.0``, ``'x'`` (numpy scalars as Python's)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)
