"""The offline importer on the real files, gaps, resampling and malformed input."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from freqtrade.data.history import load_pair_history
from freqtrade.exchange import timeframe_to_seconds

from meta_agent.data import importer
from meta_agent.data.external import EXTERNAL_SERIES, load_external
from meta_agent.data.importer import import_data
from meta_agent.data.kraken import OHLCV, read_kraken_ohlcvt, resample_complete
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


# --- Empty input and lookahead rows ------------------------------------------------------------
def write_binance_empty(source: Path) -> None:
    (source / "binance").mkdir(parents=True)
    empty = pd.DataFrame({col: pd.Series(dtype="float64") for col in OHLCV[1:]})
    empty.insert(0, "date", pd.Series(dtype="datetime64[ns, UTC]"))
    empty.to_feather(source / "binance" / "BTC_USDT-1h.feather")


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (
            lambda src: (src / "kraken" / "raw" / "XBTUSD_60.csv").write_text(""),
            r"XBTUSD_60\.csv: file is empty",
        ),
        (
            lambda src: (src / "kraken" / "raw" / "XBTUSD_60.csv").write_text("\n"),
            r"XBTUSD_60\.csv: file is empty",
        ),
        (
            lambda src: (src / "onchain" / "btc_exchange_reserves.csv").write_text("Date,Data\n"),
            r"btc_exchange_reserves\.csv: no rows",
        ),
        (
            lambda src: (src / "onchain" / "btc_exchange_reserves.csv").write_text(
                "Date,Data\n2023.1.1,\n"
            ),
            r"btc_exchange_reserves\.csv: no rows",
        ),
        (write_binance_empty, r"BTC_USDT-1h\.feather: no candles"),
    ],
    ids=[
        "kraken-0-bytes",
        "kraken-blank-line",
        "onchain-header-only",
        "onchain-no-value",
        "feather",
    ],
)
def test_an_empty_input_names_its_file_and_leaves_imported_data_untouched(
    tmp_path: Path, imported: Path, write: Callable[[Path], None], expected: str
) -> None:
    datadir = tmp_path / "data"
    for sub in ("external", "kraken"):
        shutil.copytree(imported / sub, datadir / sub)
    before = {p: p.read_bytes() for p in datadir.rglob("*.feather")}
    source = tmp_path / "src"
    for sub in ("kraken/raw", "onchain"):
        (source / sub).mkdir(parents=True)
    write(source)
    with pytest.raises(DataImportError, match=expected):
        import_data(source, datadir)
    assert {p: p.read_bytes() for p in datadir.rglob("*.feather")} == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", r"fear_and_greed\.feather: not a readable feather file \(ArrowInvalid"),
        (b"garbage", r"fear_and_greed\.feather: not a readable feather file"),
        (None, r"fear_and_greed\.feather: no rows"),
    ],
    ids=["0-bytes", "garbage", "no-rows"],
)
def test_an_unusable_external_file_names_its_path(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "external" / "fear_and_greed.feather"
    path.parent.mkdir()
    if content is None:
        pd.DataFrame({"date": [], "available_at": [], "value": []}).to_feather(path)
    else:
        path.write_bytes(content)
    with pytest.raises(DataImportError, match=expected):
        load_external(tmp_path, "fear_and_greed")


def early_rows(available_at: list[object]) -> pd.DataFrame:
    dates = pd.to_datetime(["2023-01-01", "2023-01-02", "2023-01-03"], utc=True)
    return pd.DataFrame({"date": dates, "available_at": available_at, "value": [1.0, 2.0, 3.0]})


LOOKAHEAD = [
    (
        early_rows(
            [
                pd.Timestamp("2023-01-02", tz="UTC"),
                pd.Timestamp("2023-01-02 12:00", tz="UTC"),
                pd.Timestamp("2023-01-04", tz="UTC"),
            ]
        ),
        r"row 2: `available_at` = 2023-01-02 12:00:00\+00:00 with `date` = 2023-01-02.*no earlier "
        r"than the end of its `date`",
    ),
    (
        early_rows(
            [pd.Timestamp("2023-01-02", tz="UTC"), pd.NaT, pd.Timestamp("2023-01-04", tz="UTC")]
        ),
        r"row 2: `available_at` = NaT",
    ),
]


@pytest.mark.parametrize(("frame", "expected"), LOOKAHEAD, ids=["before-the-day-ends", "NaT"])
def test_a_row_usable_before_it_is_known_is_refused_at_load(
    tmp_path: Path, frame: pd.DataFrame, expected: str
) -> None:
    path = tmp_path / "external" / "btc_exchange_reserves.feather"
    path.parent.mkdir()
    frame.to_feather(path)
    with pytest.raises(DataImportError, match=rf"btc_exchange_reserves\.feather: {expected}"):
        load_external(tmp_path, "btc_exchange_reserves")


@pytest.mark.parametrize(("frame", "expected"), LOOKAHEAD, ids=["before-the-day-ends", "NaT"])
def test_a_row_usable_before_it_is_known_is_refused_at_import(
    tmp_path: Path, shared_data: Path, imported: Path, frame: pd.DataFrame, expected: str
) -> None:
    datadir = tmp_path / "data"
    shutil.copytree(imported / "external", datadir / "external")
    before = {p: p.read_bytes() for p in datadir.rglob("*.feather")}
    source = tmp_path / "src"
    shutil.copytree(shared_data / "onchain", source / "onchain")
    series = next(s for s in EXTERNAL_SERIES if s.name == "btc_exchange_reserves")
    index = EXTERNAL_SERIES.index(series)
    patched = (*EXTERNAL_SERIES[:index], replace(series, reader=lambda path: frame))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "EXTERNAL_SERIES", patched + EXTERNAL_SERIES[index + 1 :])
        with pytest.raises(DataImportError, match=rf"btc_exchange_reserves\.csv: {expected}"):
            import_data(source, datadir)
    assert {p: p.read_bytes() for p in datadir.rglob("*.feather")} == before
