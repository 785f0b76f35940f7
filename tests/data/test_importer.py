"""The offline importer on the real files, gaps, resampling and malformed input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from freqtrade.data.history import load_pair_history
from freqtrade.exchange import timeframe_to_seconds

from meta_agent.data.external import EXTERNAL_SERIES, load_external
from meta_agent.data.importer import import_data
from meta_agent.data.kraken import read_kraken_ohlcvt, resample_complete
from meta_agent.errors import DataImportError


def test_kraken_hours_without_trades_stay_absent(shared_data: Path, imported: Path) -> None:
    csv = shared_data / "kraken" / "raw" / "XBTUSD_60.csv"
    raw_lines = sum(1 for _ in csv.open())
    hourly = pd.read_feather(imported / "kraken" / "BTC_USD-1h.feather")
    assert len(hourly) == raw_lines
    gaps = hourly["date"].diff().dropna()
    assert (gaps > pd.Timedelta("1h")).any(), "the raw file has hours without trades"
    assert (gaps >= pd.Timedelta("1h")).all()


def test_freqtrade_reads_the_imported_pairs(imported: Path) -> None:
    for pair, timeframe in [("BTC/USD", "1h"), ("ETH/USD", "4h"), ("BTC/USD", "1d")]:
        frame = load_pair_history(pair, timeframe, imported / "kraken", data_format="feather")
        assert not frame.empty
        assert str(frame["date"].dt.tz) == "UTC"
    futures = load_pair_history(
        "BTC/USDT:USDT", "1h", imported / "binance", data_format="feather", candle_type="futures"
    )
    assert futures["date"].iloc[0] < pd.Timestamp("2020-01-01", tz="UTC")


def test_resampled_bars_are_complete_and_utc_aligned(imported: Path) -> None:
    hourly = pd.read_feather(imported / "kraken" / "BTC_USD-1h.feather")
    for timeframe in ("4h", "1d"):
        bars = pd.read_feather(imported / "kraken" / f"BTC_USD-{timeframe}.feather")
        period = pd.Timedelta(seconds=timeframe_to_seconds(timeframe))
        assert (bars["date"] == bars["date"].dt.floor(period)).all()
        assert bars["date"].iloc[0] >= hourly["date"].iloc[0]
        assert bars["date"].iloc[-1] + period <= hourly["date"].iloc[-1] + pd.Timedelta("1h")
    day = pd.Timestamp("2022-11-09", tz="UTC")  # FTX crash day
    daily = pd.read_feather(imported / "kraken" / "BTC_USD-1d.feather").set_index("date")
    rows = hourly[(hourly["date"] >= day) & (hourly["date"] < day + pd.Timedelta("1D"))]
    assert daily.loc[day, "open"] == rows["open"].iloc[0]
    assert daily.loc[day, "close"] == rows["close"].iloc[-1]
    assert daily.loc[day, "high"] == rows["high"].max()
    assert daily.loc[day, "low"] == rows["low"].min()
    assert np.isclose(daily.loc[day, "volume"], rows["volume"].sum())


def test_no_partial_first_or_last_bar() -> None:
    dates = pd.date_range("2022-01-01 02:00", "2022-01-02 05:00", freq="1h", tz="UTC")
    hourly = pd.DataFrame(
        {"date": dates, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 1.0}
    )
    bars = resample_complete(hourly, "4h")
    assert bars["date"].iloc[0] == pd.Timestamp("2022-01-01 04:00", tz="UTC")
    assert bars["date"].iloc[-1] == pd.Timestamp("2022-01-02 00:00", tz="UTC")
    assert resample_complete(hourly, "1d").empty


def test_external_store_daily_values_usable_after_their_day(imported: Path) -> None:
    for series in EXTERNAL_SERIES:
        frame = load_external(imported, series.name)
        assert frame["date"].is_monotonic_increasing
        assert str(frame["available_at"].dt.tz) == "UTC"
        assert (frame["available_at"] >= frame["date"]).all()
    fng = load_external(imported, "fear_and_greed")
    assert (fng["available_at"] - fng["date"] == pd.Timedelta("1D")).all()
    assert fng["date"].iloc[0] == pd.Timestamp("2018-02-01", tz="UTC")
    funding = load_external(imported, "btc_funding_rate_daily_pct")
    assert pd.Timestamp("2020-10-29", tz="UTC") not in set(funding["date"])  # empty in the file
    assert funding["value"].notna().all()


def test_news_dates_are_day_month_year(imported: Path) -> None:
    news = load_external(imported, "cryptonews")
    first = news[news["title"].str.startswith("Bitcoin Returns Above USD 20K")]
    assert first["date"].iloc[0] == pd.Timestamp("2022-07-05 04:24", tz="UTC")
    assert (news["available_at"] == news["date"]).all()


def test_reimport_is_idempotent(shared_data: Path, imported: Path, tmp_path: Path) -> None:
    datadir = tmp_path / "data"
    import_data(shared_data, datadir)
    import_data(shared_data, datadir)
    for path in sorted(imported.rglob("*.feather")):
        again = datadir / path.relative_to(imported)
        pd.testing.assert_frame_equal(pd.read_feather(path), pd.read_feather(again))


# --- Malformed input ---------------------------------------------------------------------------
def kraken_source(tmp_path: Path, shared_data: Path, lines: list[str]) -> Path:
    source = tmp_path / "src"
    (source / "kraken" / "raw").mkdir(parents=True)
    real = (shared_data / "kraken" / "raw" / "XBTUSD_60.csv").read_text().splitlines()[:50]
    (source / "kraken" / "raw" / "XBTUSD_60.csv").write_text("\n".join(real + lines) + "\n")
    return source


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("1382432400,123.0,abc,122.0,123.0,0.1,1", ":51: expected 7 comma-separated numbers"),
        ("1382432400,123.0,124.0,122.0", ":51: expected 7 comma-separated numbers"),
        ("1381093200,123.0,124.0,122.0,123.0,0.1,1", ":51: expected timestamps strictly"),
        ("1382432400,123.0,120.0,122.0,123.0,0.1,1", ":51: expected high >= open/close/low"),
    ],
)
def test_malformed_kraken_row_names_file_and_line(
    tmp_path: Path, shared_data: Path, bad_line: str, expected: str
) -> None:
    source = kraken_source(tmp_path, shared_data, [bad_line])
    with pytest.raises(DataImportError) as err:
        import_data(source, tmp_path / "data")
    assert "XBTUSD_60.csv" in str(err.value)
    assert expected in str(err.value)


def test_too_many_fields_names_the_file(tmp_path: Path, shared_data: Path) -> None:
    source = kraken_source(tmp_path, shared_data, ["1382432400,1,1,1,1,1,1,1"])
    with pytest.raises(DataImportError, match=r"XBTUSD_60\.csv: expected 7 .* line 51"):
        read_kraken_ohlcvt(source / "kraken" / "raw" / "XBTUSD_60.csv")


def test_failed_import_leaves_existing_data_untouched(
    tmp_path: Path, shared_data: Path, imported: Path
) -> None:
    datadir = tmp_path / "data"
    shutil.copytree(imported, datadir)
    before = {p: p.read_bytes() for p in datadir.rglob("*.feather")}
    source = tmp_path / "src"
    shutil.copytree(shared_data / "sentiment", source / "sentiment")
    fng = source / "sentiment" / "fear_and_greed.csv"
    lines = fng.read_text().splitlines()
    lines[3] = "67,Greed,2023-13-45,"
    fng.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataImportError, match=r"fear_and_greed\.csv:4: expected a date"):
        import_data(source, datadir)
    assert {p: p.read_bytes() for p in datadir.rglob("*.feather")} == before


def test_missing_source_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataImportError, match="download-data"):
        import_data(tmp_path / "nowhere", tmp_path / "data")
