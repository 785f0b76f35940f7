"""The external-data store: non-candle series normalised to one feather file per series.

Every file in ``<datadir>/external/`` has a UTC ``date`` column (what the row describes: the day
for daily series, the publication time for events) and a UTC ``available_at`` column (the first
moment the row may be used without lookahead: the end of day D for daily series, the publication
time for headlines). Values follow. Rows are sorted by ``date`` with no duplicates.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from meta_agent.errors import DataImportError

logger = logging.getLogger(__name__)

DAY = pd.Timedelta("1D")


@dataclass(frozen=True)
class ExternalSeries:
    """One series of the store: where it comes from and how it is read."""

    name: str
    source: str  # path relative to the data source folder
    description: str
    reader: Callable[[Path], pd.DataFrame]
    daily: bool = True  # a value per day, usable from the end of its day; else timed events


def _bad_row(
    path: Path, row: int, header_lines: int, expected: str, got: object
) -> DataImportError:
    return DataImportError(f"{path}:{row + 1 + header_lines}: expected {expected}; got {got!r}.")


def _read_csv(path: Path, required: list[str], **kwargs: object) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise DataImportError(f"{path}: file not found.") from None
    except pd.errors.EmptyDataError:
        raise DataImportError(f"{path}: file is empty; expected columns {required}.") from None
    except pd.errors.ParserError as err:
        raise DataImportError(f"{path}: malformed CSV: {err}") from None
    missing = [col for col in required if col not in frame.columns]
    if missing:
        raise DataImportError(f"{path}:1: expected header columns {required}; missing {missing}.")
    return frame


def _parse_dates(path: Path, values: pd.Series, fmt: str, expected: str) -> pd.Series:
    parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if parsed.isna().any():
        row = int(parsed.isna().to_numpy().argmax())
        raise _bad_row(path, row, 1, expected, values.iloc[row])
    return parsed


def _parse_numbers(path: Path, values: pd.Series, column: str) -> pd.Series:
    """Numbers of ``column``; an empty cell is a missing observation (NaN), text is an error."""
    numbers = pd.to_numeric(values, errors="coerce")
    malformed = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
    if malformed.any():
        row = int(malformed.to_numpy().argmax())
        raise _bad_row(path, row, 1, f"a number in column '{column}'", values.iloc[row])
    return numbers.astype("float64")


def _daily(path: Path, dates: pd.Series, values: dict[str, pd.Series]) -> pd.DataFrame:
    """Daily rows, usable from the end of their day; days with no value at all are dropped
    (the publisher had none: a gap, never a filled-in number)."""
    frame = pd.DataFrame({"date": dates, "available_at": dates + DAY, **values})
    numeric = [name for name, series in values.items() if series.dtype.kind == "f"]
    empty = frame[numeric].isna().all(axis=1)
    if empty.any():
        logger.info("%s: %d day(s) without a value dropped.", path, int(empty.sum()))
        frame = frame[~empty]
    return _sorted_unique(path, frame)


def _sorted_unique(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
    dup = frame["date"].duplicated()
    if dup.any():
        raise DataImportError(
            f"{path}: expected one row per date; {frame['date'][dup].iloc[0]} appears twice."
        )
    return frame


def read_date_data_csv(path: Path) -> pd.DataFrame:
    """``Date,Data`` daily CSV with dates like ``2019.3.30``."""
    raw = _read_csv(path, ["Date", "Data"], dtype=str)
    dates = _parse_dates(path, raw["Date"], "%Y.%m.%d", "a date like 2019.3.30 in column 'Date'")
    return _daily(path, dates, {"value": _parse_numbers(path, raw["Data"], "Data")})


def read_fear_and_greed(path: Path) -> pd.DataFrame:
    """alternative.me Fear & Greed CSV (newest first) into ascending daily rows."""
    raw = _read_csv(path, ["value", "value_classification", "timestamp"], dtype=str)
    dates = _parse_dates(
        path, raw["timestamp"], "%Y-%m-%d", "a date YYYY-MM-DD in column 'timestamp'"
    )
    values = {
        "value": _parse_numbers(path, raw["value"], "value"),
        "classification": raw["value_classification"].astype(str),
    }
    return _daily(path, dates, values)


def read_social_index(path: Path) -> pd.DataFrame:
    """Daily BTC social index: every numeric column, names in snake_case."""
    raw = _read_csv(path, ["Date"], dtype=str)
    dates = _parse_dates(path, raw["Date"], "%Y-%m-%d", "a date YYYY-MM-DD in column 'Date'")
    values = {
        col.strip().lower().replace(" ", "_"): _parse_numbers(path, raw[col], col)
        for col in raw.columns
        if col != "Date"
    }
    return _daily(path, dates, values)


def read_news(path: Path) -> pd.DataFrame:
    """Headlines (``;``-separated, dates day-month-year, treated as UTC) as timestamped events."""
    raw = _read_csv(
        path, ["date", "sentiment", "source", "subject", "text", "title", "url"], sep=";", dtype=str
    )
    dates = _parse_dates(
        path, raw["date"], "%d-%m-%Y %H:%M", "a date like 5-7-2022 04:24 in column 'date'"
    )
    polarity = []
    for row, text in enumerate(raw["sentiment"]):
        try:
            polarity.append(float(ast.literal_eval(text)["polarity"]))
        except (ValueError, SyntaxError, KeyError, TypeError):
            raise _bad_row(
                path, row, 1, "a dict with a 'polarity' in column 'sentiment'", text
            ) from None
    frame = pd.DataFrame(
        {
            "date": dates,
            "available_at": dates,
            "source": raw["source"].fillna(""),
            "subject": raw["subject"].fillna(""),
            "title": raw["title"].fillna(""),
            "text": raw["text"].fillna(""),
            "url": raw["url"].fillna(""),
            "textblob_polarity": polarity,
        }
    )
    # Several headlines can share a minute: keep them all, ordered by time, then title.
    return frame.sort_values(["date", "title"], kind="stable").reset_index(drop=True)


EXTERNAL_SERIES: tuple[ExternalSeries, ...] = (
    ExternalSeries(
        "btc_exchange_reserves",
        "onchain/btc_exchange_reserves.csv",
        "BTC held on all exchanges (daily); netflow is the day-over-day change",
        read_date_data_csv,
    ),
    ExternalSeries(
        "btc_exchange_inflow_cdd",
        "onchain/btc_exchange_inflow_cdd.csv",
        "coin-days destroyed by exchange inflows (daily)",
        read_date_data_csv,
    ),
    ExternalSeries(
        "btc_miner_to_exchange",
        "onchain/btc_miner_to_exchange.csv",
        "BTC moved from miners to exchanges (daily)",
        read_date_data_csv,
    ),
    ExternalSeries(
        "btc_open_interest_usd",
        "onchain/btc_open_interest_usd.csv",
        "all-exchange BTC futures open interest in USD (daily)",
        read_date_data_csv,
    ),
    ExternalSeries(
        "btc_funding_rate_daily_pct",
        "onchain/btc_funding_rate_daily_pct.csv",
        "all-exchange BTC funding rate in percent (daily)",
        read_date_data_csv,
    ),
    ExternalSeries(
        "fear_and_greed",
        "sentiment/fear_and_greed.csv",
        "Crypto Fear & Greed index 0-100 and its classification (daily)",
        read_fear_and_greed,
    ),
    ExternalSeries(
        "btc_social_index",
        "sentiment/btc_social_index.csv",
        "Stocktwits/Reddit post and comment counts and sentiment, search volume, CRIX (daily)",
        read_social_index,
    ),
    ExternalSeries(
        "cryptonews",
        "news/cryptonews.csv",
        "crypto headlines with source, text, url and a third-party TextBlob polarity (events)",
        read_news,
        daily=False,
    ),
)


def availability_problem(frame: pd.DataFrame, daily: bool) -> tuple[int, str] | None:
    """The first row whose ``available_at`` is missing or earlier than the row may be known
    (the end of its ``date`` for daily series, ``date`` itself for events), as (row, why)."""
    dates, available = (
        pd.to_datetime(frame[column], utc=True, errors="coerce")
        for column in ("date", "available_at")
    )
    earliest = dates + (DAY if daily else pd.Timedelta(0))
    bad = available.isna() | dates.isna() | (available < earliest)
    if not bad.any():
        return None
    row = int(bad.to_numpy().argmax())
    rule = "the end of its `date` (a daily value)" if daily else "its `date` (an event)"
    return row, (
        f"`available_at` = {frame['available_at'].iloc[row]} with `date` = "
        f"{frame['date'].iloc[row]}; expected a time no earlier than {rule}"
    )


def check_series(path: Path, frame: pd.DataFrame, daily: bool) -> pd.DataFrame:
    """``frame`` if it is a usable series of the store; DataImportError naming ``path`` and the
    row otherwise (no rows, no ``date``/``available_at``, or a row usable before it is known)."""
    missing = [column for column in ("date", "available_at") if column not in frame.columns]
    if missing:
        raise DataImportError(f"{path}: expected columns date, available_at; missing {missing}.")
    if frame.empty:
        raise DataImportError(f"{path}: no rows; expected at least one dated value.")
    problem = availability_problem(frame, daily)
    if problem is not None:
        raise DataImportError(f"{path}: row {problem[0] + 1}: {problem[1]} (no lookahead).")
    return frame


def external_path(datadir: Path, name: str) -> Path:
    """Path of series ``name`` in the store under ``datadir`` (e.g. ``user_data/data``)."""
    return datadir / "external" / f"{name}.feather"


def load_external(datadir: Path, name: str) -> pd.DataFrame:
    """Read series ``name`` from the store; a missing file says how to create it, and a file
    that is unreadable, empty or has a row usable before it was known is a DataImportError
    naming it."""
    known = {series.name: series for series in EXTERNAL_SERIES}
    if name not in known:
        raise KeyError(f"Unknown external series '{name}'. Known: {', '.join(sorted(known))}.")
    path = external_path(datadir, name)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run `python -m meta_agent data import` first."
        )
    try:
        frame = pd.read_feather(path)
    except Exception as err:  # pyarrow raises several kinds for a damaged file
        raise DataImportError(
            f"{path}: not a readable feather file ({type(err).__name__}: {err}); re-run "
            "`python -m meta_agent data import`."
        ) from None
    return check_series(path, frame, known[name].daily)
