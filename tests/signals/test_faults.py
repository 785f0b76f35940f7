"""Faults: missing or empty files, gaps, stale data, a live feed that has nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from meta_agent.data.importer import import_data
from meta_agent.errors import DataImportError, FeedUnavailableError
from meta_agent.feeds.store import StoreFeed
from meta_agent.signals import SourceContext, make


class FrameFeed:
    """A feed over in-memory frames (the Feed protocol); a missing name is an outage."""

    def __init__(self, series: dict[str, pd.DataFrame]) -> None:
        self._series = series

    def series(self, name: str) -> pd.DataFrame:
        if name not in self._series:
            raise FeedUnavailableError(f"{name}: provider down")
        return self._series[name]

    def reference_candles(self, pair: str, candle_type: str) -> pd.DataFrame | None:
        raise FeedUnavailableError("reference market down")


def hourly(start: str, hours: int) -> pd.DataFrame:
    dates = pd.date_range(start, periods=hours, freq="1h", tz="UTC")
    return pd.DataFrame(
        {"date": dates, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}
    )


def fear_greed(days: list[str], values: list[float]) -> pd.DataFrame:
    dates = pd.to_datetime(days, utc=True)
    return pd.DataFrame(
        {"date": dates, "available_at": dates + pd.Timedelta("1D"), "value": values}
    )


def test_daily_value_is_used_only_after_its_day_and_not_past_max_age() -> None:
    series = fear_greed(["2022-01-01"], [10.0])  # extreme fear: bullish
    context = SourceContext("BTC/USD", "1h", FrameFeed({"fear_and_greed": series}))
    candles = hourly("2022-01-01 00:00", 24 * 4)
    frame = make("fear_greed-v1", context=context).signal(candles).set_index(candles["date"])
    available = frame["fear_greed-v1__available"]
    assert not available[:"2022-01-01 23:00"].any(), "not on its own day"
    assert available["2022-01-02 00:00"]
    assert frame["fear_greed-v1__score"]["2022-01-02 00:00"] > 0
    # max_age 2 days: a value available at Jan 2 00:00 may be used by candles closing up to
    # Jan 4 00:00 and never after, however long the gap (no stale forward-fill).
    assert available[:"2022-01-03 23:00"].iloc[24:].all()
    assert not available["2022-01-04 00:00":].any()


def test_gap_in_a_daily_series_turns_the_source_off_then_on() -> None:
    series = fear_greed(["2022-01-01", "2022-01-06"], [90.0, 90.0])
    context = SourceContext("BTC/USD", "1h", FrameFeed({"fear_and_greed": series}))
    candles = hourly("2022-01-02 00:00", 24 * 6)
    available = make("fear_greed-v1", context=context).signal(candles)["fear_greed-v1__available"]
    available.index = candles["date"]
    assert available["2022-01-02 00:00"] and not available["2022-01-05 00:00"]
    assert available["2022-01-07 00:00"]


def test_nan_values_in_a_series_are_unavailable_not_zero_or_filled() -> None:
    series = fear_greed(["2022-01-01", "2022-01-02"], [90.0, float("nan")])
    context = SourceContext("BTC/USD", "1h", FrameFeed({"fear_and_greed": series}))
    candles = hourly("2022-01-03 00:00", 3)
    frame = make("fear_greed-v1", context=context).signal(candles)
    # Jan 2 is NaN: the last usable value is Jan 1's, and it is still within max_age.
    assert frame["fear_greed-v1__available"].all()
    assert (frame["fear_greed-v1__score"] < 0).all()


@pytest.mark.parametrize("source_id", ["fear_greed-v1", "funding-v1", "exchange_flows-v1"])
def test_live_outage_makes_the_source_unavailable(source_id: str) -> None:
    context = SourceContext("BTC/USD", "1h", FrameFeed({}))
    frame = make(source_id, context=context).signal(hourly("2022-01-01", 5))
    assert not frame[f"{source_id}__available"].any()


def test_missing_store_file_names_the_file(tmp_path: Path) -> None:
    context = SourceContext("BTC/USD", "1h", StoreFeed(tmp_path))
    with pytest.raises(DataImportError, match=r"external/fear_and_greed\.feather: missing"):
        make("fear_greed-v1", context=context).signal(hourly("2022-01-01", 5))


def test_reference_market_without_data_is_unavailable(btc_context: SourceContext) -> None:
    doge = SourceContext("DOGE/USD", "1h", btc_context.feed)  # no DOGE perpetual in the data
    frame = make("funding-v1", context=doge).signal(hourly("2022-01-01", 5))
    assert not frame["funding-v1__available"].any()


def test_empty_input_file_names_the_file(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "sentiment").mkdir(parents=True)
    (source / "sentiment" / "fear_and_greed.csv").write_text("")
    with pytest.raises(DataImportError, match=r"fear_and_greed\.csv: file is empty"):
        import_data(source, tmp_path / "data")
