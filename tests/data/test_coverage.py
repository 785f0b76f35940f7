"""A backtest is refused before training when the data cannot cover it, naming the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.enums import CandleType, RunMode

from meta_agent.config import validate_freqtrade_config
from meta_agent.data.coverage import check_reference_markets, check_timerange_covered
from meta_agent.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def write_candles(path: Path, start: str = "2023-01-01", hours: int = 48) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    dates = pd.date_range(start, periods=hours, freq="1h", tz="UTC")
    frame = pd.DataFrame({"date": dates, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0})
    frame.assign(volume=1.0).to_feather(path)


def test_a_timerange_after_the_data_names_the_file_and_its_end(tmp_path: Path) -> None:
    write_candles(tmp_path / "BTC_USD-1h.feather")
    with pytest.raises(ConfigError) as err:
        check_timerange_covered(tmp_path, ["BTC/USD"], "1h", CandleType.SPOT, "20240101-")
    assert f"{tmp_path / 'BTC_USD-1h.feather'} (BTC/USD 1h) ends 2023-01-02 23:00 UTC" in str(
        err.value
    )
    assert "`timerange` = '20240101-' starts 2024-01-01 00:00 UTC" in str(err.value)
    check_timerange_covered(tmp_path, ["BTC/USD"], "1h", CandleType.SPOT, "20230102-")
    check_timerange_covered(tmp_path, ["BTC/USD"], "1h", CandleType.SPOT, "-20240101")


def test_a_missing_reference_file_is_refused_where_the_market_exists(tmp_path: Path) -> None:
    reference = tmp_path / "binance"
    write_candles(reference / "futures" / "BTC_USDT_USDT-1h-funding_rate.feather")
    write_candles(reference / "BTC_USDT-1h.feather")
    sources = ["trend-v1", "funding-v1", "basis-v1"]
    with pytest.raises(ConfigError, match=r"BTC_USDT_USDT-1h-futures\.feather is missing: "):
        check_reference_markets(reference, sources, ["BTC"], listed={})
    check_reference_markets(reference, ["trend-v1", "funding-v1"], ["BTC"], listed={})
    write_candles(reference / "DOGE_USDT-1h.feather")  # a spot market, but no perpetual
    check_reference_markets(reference, sources, ["DOGE"], listed={})
    with pytest.raises(ConfigError, match=r"ETH_USDT_USDT-1h-funding_rate\.feather is missing"):
        check_reference_markets(reference, sources, ["ETH"], listed={"ETH/USDT:USDT": {}})


def test_an_empty_reference_folder_expects_nothing(tmp_path: Path) -> None:
    """Freqtrade creates ``<datadir>/<exchange>`` whenever it loads a config: an empty folder
    is no reference data, so a listed perpetual is not expected there."""
    reference = tmp_path / "binance"
    reference.mkdir()
    sources = ["funding-v1", "basis-v1"]
    check_reference_markets(reference, sources, ["BTC"], listed={"BTC/USDT:USDT": {}})
    write_candles(reference / "ETH_USDT-1h.feather")
    with pytest.raises(ConfigError, match=r"BTC_USDT_USDT-1h-funding_rate\.feather is missing"):
        check_reference_markets(reference, sources, ["BTC"], listed={"BTC/USDT:USDT": {}})


def test_backtests_check_coverage_when_the_strategy_loads(tmp_path: Path) -> None:
    write_candles(tmp_path / "kraken" / "BTC_USD-1h.feather")
    config = {
        "runmode": RunMode.BACKTEST,
        "timerange": "20240101-",
        "datadir": str(tmp_path / "kraken"),
        "exchange": {"pair_whitelist": ["BTC/USD"]},
        "meta_rl": {"data_root": str(tmp_path)},
    }
    with pytest.raises(ConfigError, match="after the data ends"):
        validate_freqtrade_config(config)
    validate_freqtrade_config(config | {"runmode": RunMode.DRY_RUN})
    write_candles(tmp_path / "binance" / "futures" / "BTC_USDT_USDT-1h-futures.feather")
    config |= {"timerange": "20230101-", "meta_rl": config["meta_rl"] | {"sources": ["basis-v1"]}}
    with pytest.raises(ConfigError, match=r"BTC_USDT-1h\.feather is missing"):
        validate_freqtrade_config(config)


def test_freqtrade_backtesting_past_the_data_says_which_data_ends_when(
    tmp_path: Path, imported: Path
) -> None:
    (tmp_path / "override.json").write_text(json.dumps({"meta_rl": {"data_root": str(imported)}}))
    result = subprocess.run(
        [sys.executable, "-m", "meta_agent", "freqtrade", "--offline", "--", "backtesting",
         "--config", "config.json", "--config", str(tmp_path / "override.json"),
         "--strategy", "MetaRL", "--datadir", str(imported / "kraken"),
         "--timerange", "20300101-"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = " ".join((result.stdout + result.stderr).split())  # Freqtrade's log wraps lines
    assert result.returncode == 2, output[-2000:]
    assert "BTC_USD-1h.feather (BTC/USD 1h) ends 2023-" in output
    assert "Traceback" not in output and "0 sample(s)" not in output
