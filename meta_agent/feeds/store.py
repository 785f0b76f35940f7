"""The feed protocol, the backtest store, the ``available_at`` rule, and the one place external
values meet candles.

External sources read a :class:`Feed`. In backtests :class:`StoreFeed` reads the imported data
(the external store and Freqtrade's candles of a reference market); live, a feed backed by the
providers in :mod:`meta_agent.feeds.providers` serves the same frames. :func:`align` attaches
external rows to candles without lookahead: a row is usable at candle ``t`` only if it was
available strictly before ``t`` closed, and only until it is older than the source's staleness
limit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

import pandas as pd
from freqtrade.data.history import load_pair_history
from freqtrade.enums import CandleType
from freqtrade.exchange import timeframe_to_minutes

from meta_agent.data.external import external_path, load_external
from meta_agent.errors import DataImportError


def known_after(candle_type: str) -> pd.Timedelta:
    """How long after its open a reference market's 1h row becomes known: a candle once it has
    closed, a funding rate at once (when it is set). The one rule for the store and the live
    providers."""
    return pd.Timedelta(0) if candle_type == "funding_rate" else pd.Timedelta("1h")


def with_available_at(frame: pd.DataFrame, candle_type: str) -> pd.DataFrame:
    """``frame`` (1h rows of ``candle_type``) with its ``available_at`` column set, in place."""
    frame["available_at"] = frame["date"] + known_after(candle_type)
    return frame


class Feed(Protocol):
    """Where external sources get their data. Frames are never modified by the caller."""

    def series(self, name: str) -> pd.DataFrame:
        """An external-store series (columns ``date``, ``available_at``, values)."""
        ...

    def reference_candles(self, pair: str, candle_type: str) -> pd.DataFrame | None:
        """1h candles of a reference market (``futures``, ``mark``, ``funding_rate``, ``spot``)
        with an ``available_at`` column; None when that market has no data."""
        ...


class StoreFeed:
    """Feed over imported data: ``<data_root>/external`` and ``<data_root>/<exchange>``.

    A missing external series is an error naming the file (run the importer); a reference
    market without data is None (its sources are unavailable for that pair).
    """

    def __init__(self, data_root: Path, reference_exchange: str = "binance") -> None:
        self.data_root = Path(data_root)
        self.reference_exchange = reference_exchange

    def series(self, name: str) -> pd.DataFrame:
        return _cached_series(self.data_root, name)

    def reference_candles(self, pair: str, candle_type: str) -> pd.DataFrame | None:
        return _cached_reference(self.data_root / self.reference_exchange, pair, candle_type)


@cache
def _cached_series(data_root: Path, name: str) -> pd.DataFrame:
    try:
        return load_external(data_root, name)
    except FileNotFoundError:
        raise DataImportError(
            f"{external_path(data_root, name)}: missing; run `python -m meta_agent data import`."
        ) from None


@cache
def _cached_reference(datadir: Path, pair: str, candle_type: str) -> pd.DataFrame | None:
    frame = load_pair_history(
        pair,
        "1h",
        datadir,
        data_format="feather",
        candle_type=CandleType(candle_type),
        fill_up_missing=False,
    )
    if frame.empty:
        return None
    return with_available_at(frame.copy(), candle_type)


def candle_close(candles: pd.DataFrame, timeframe: str) -> pd.Series:
    """When each candle closes (Freqtrade dates candles by their open)."""
    return candles["date"] + pd.Timedelta(minutes=timeframe_to_minutes(timeframe))


def align(
    candles: pd.DataFrame,
    timeframe: str,
    rows: pd.DataFrame,
    columns: list[str],
    max_age: pd.Timedelta,
) -> pd.DataFrame:
    """For each candle, the latest row available strictly before the candle closed.

    Returns ``columns`` plus ``fresh`` (bool): False where no row was available yet or the
    latest is older than ``max_age`` at the candle's close; values there are NaN, never a
    stale carry-over.
    """
    utc_ns = "datetime64[ns, UTC]"  # one resolution for both keys of the as-of merge
    closes = candle_close(candles, timeframe).astype(utc_ns).rename("close_time").to_frame()
    closes["order"] = range(len(closes))
    table = rows[["available_at", *columns]].dropna(subset=columns, how="all")
    table = table.astype({"available_at": utc_ns})
    table = table.sort_values("available_at", kind="stable")
    merged = pd.merge_asof(
        closes.sort_values("close_time"),
        table,
        left_on="close_time",
        right_on="available_at",
        allow_exact_matches=False,
    ).sort_values("order")
    fresh = ((merged["close_time"] - merged["available_at"]) <= max_age).to_numpy(dtype=bool)
    out = merged[columns].reset_index(drop=True)
    out.loc[~fresh, columns] = float("nan")
    out["fresh"] = fresh
    out.index = candles.index
    return out
