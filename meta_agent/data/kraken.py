"""Kraken's downloadable OHLCVT history: parse, check, and resample without inventing prices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from freqtrade.exchange import timeframe_to_seconds

from meta_agent.errors import DataImportError

KRAKEN_COLUMNS = ["unix_seconds", "open", "high", "low", "close", "volume", "trades"]
OHLCV = ["date", "open", "high", "low", "close", "volume"]
_EXPECTED = "7 comma-separated numbers: unix_seconds,open,high,low,close,volume,trades"


def read_kraken_ohlcvt(path: Path) -> pd.DataFrame:
    """Read a headerless Kraken OHLCVT CSV into Freqtrade's OHLCV layout (UTC ``date``).

    Hours without trades are absent in the file and stay absent. Raises
    :class:`DataImportError` naming the file and the 1-based line of the first bad row.
    """
    try:
        raw = pd.read_csv(path, header=None, names=KRAKEN_COLUMNS, dtype=str)
    except FileNotFoundError:
        raise DataImportError(f"{path}: file not found.") from None
    except pd.errors.ParserError as err:
        raise DataImportError(f"{path}: expected {_EXPECTED}. {err}") from None
    except pd.errors.EmptyDataError:
        raise DataImportError(f"{path}: file is empty; expected {_EXPECTED}.") from None
    if raw.empty:
        raise DataImportError(f"{path}: file is empty; expected {_EXPECTED}.")

    numeric = raw.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna().any(axis=1)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        got = ",".join("" if pd.isna(v) else str(v) for v in raw.iloc[row])
        raise DataImportError(f"{path}:{row + 1}: expected {_EXPECTED}; got '{got}'.")

    seconds = numeric["unix_seconds"].astype("int64")
    _check_rows(path, raw, numeric, seconds)
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(seconds, unit="s", utc=True),
            **{col: numeric[col].astype("float64") for col in OHLCV[1:]},
        }
    )
    return frame.reset_index(drop=True)


def _check_rows(path: Path, raw: pd.DataFrame, numeric: pd.DataFrame, seconds: pd.Series) -> None:
    checks = [
        (seconds % 3600 != 0, "a timestamp on a whole hour (1h candles)"),
        (seconds.diff() <= 0, "timestamps strictly increasing"),
        ((numeric[["open", "high", "low", "close"]] <= 0).any(axis=1), "positive prices"),
        (numeric["high"] < numeric[["open", "close", "low"]].max(axis=1), "high >= open/close/low"),
        (numeric["low"] > numeric[["open", "close"]].min(axis=1), "low <= open/close"),
        (numeric["volume"] < 0, "a non-negative volume"),
    ]
    for failed, expected in checks:
        if failed.any():
            row = int(failed.to_numpy().argmax())
            raise DataImportError(
                f"{path}:{row + 1}: expected {expected}; got '{','.join(raw.iloc[row].tolist())}'."
            )


def resample_complete(candles: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Resample 1h candles to ``timeframe`` ('4h', '1d'), UTC-aligned.

    A bar is kept only when its whole period lies inside the source's span (first candle's open
    to last candle's close), so there is no partial first or last bar. Periods without any trade
    produce no bar.
    """
    period = pd.Timedelta(seconds=timeframe_to_seconds(timeframe))
    span_start = candles["date"].iloc[0]
    span_end = candles["date"].iloc[-1] + pd.Timedelta("1h")
    grouped = candles.groupby(candles["date"].dt.floor(period), sort=True)
    bars = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    starts = bars.index
    inside = (starts >= span_start) & (starts + period <= span_end)
    bars = bars[inside]
    bars.index.name = "date"
    return bars.reset_index()
