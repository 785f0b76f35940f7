"""The TrendRegime baseline on real candles: the regime of each closed day, never earlier."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from freqtrade.configuration import Configuration, TimeRange
from freqtrade.data.dataprovider import DataProvider
from freqtrade.data.history import load_pair_history
from freqtrade.enums import RunMode
from freqtrade.resolvers import ExchangeResolver, StrategyResolver

from meta_agent.config import MetaRLConfig, TrendRegimeConfig
from meta_agent.errors import ConfigError
from meta_agent.offline import offline_markets
from meta_agent.signals.trend_regime import nearest_level_index, trend_regime
from meta_agent.strategy.trend import decision_candles, settle_days

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAIR = "BTC/USDT"
TIMERANGE = "20221101-20221201"  # includes the FTX crash: the regime changes inside it
START = pd.Timestamp("2022-11-01", tz="UTC")
SPOT_LEVELS = np.array([0.0, 0.5, 1.0])


def analyse(datadir: Path, root: Path, **trend: Any) -> tuple[pd.DataFrame, int]:
    """TrendRegime's analysed 1h frame as a backtest builds it (the same data provider, the
    strategy's startup before the timerange), and its startup in candles. ``root`` holds the
    external store and futures data of config.json's sources (an import, never the checkout's
    ``user_data``, which a fresh clone has not filled)."""
    config = Configuration.from_files(
        [str(PROJECT_ROOT / "config.json"), str(PROJECT_ROOT / "configs/standalone-binance.json")]
    )
    config.update(
        strategy="TrendRegime",
        runmode=RunMode.BACKTEST,
        datadir=datadir,
        timerange=TIMERANGE,
        dataformat_ohlcv="feather",
    )
    config["meta_rl"] = {**config["meta_rl"], "trend_regime": trend, "data_root": str(root)}
    with offline_markets():
        strategy = StrategyResolver.load_strategy(config)
        config["startup_candle_count"] = strategy.startup_candle_count  # as backtesting sets it
        strategy.dp = DataProvider(config, ExchangeResolver.load_exchange(config, validate=False))
        timerange = TimeRange.parse_timerange(TIMERANGE)
        timerange.subtract_start(3600 * strategy.startup_candle_count)
        hourly = load_pair_history(PAIR, "1h", datadir, timerange=timerange, data_format="feather")
        frame = strategy.advise_indicators(hourly, {"pair": PAIR})
    return frame, strategy.startup_candle_count


def closed_day(dates: pd.Series) -> pd.Series:
    """The last day whose daily candle has closed when the hourly candle at ``dates`` closes."""
    return (dates + pd.Timedelta(hours=1)).dt.floor("D") - pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def daily(imported: Path) -> pd.DataFrame:
    return pd.read_feather(imported / "binance" / "BTC_USDT-1d.feather")


@pytest.mark.parametrize("trend", [{}, {"vol_target": 0.5, "vol_window": 20}])
def test_target_is_the_regime_of_the_last_closed_day(
    imported: Path, daily: pd.DataFrame, trend: dict[str, Any]
) -> None:
    frame, startup = analyse(imported / "binance", imported, **trend)
    frame = frame[frame["date"] >= START].reset_index(drop=True)
    seen = daily[daily["date"] >= START - pd.Timedelta(days=startup)].reset_index(drop=True)
    by_hand = trend_regime(seen["close"], long_only=True, **trend).set_axis(seen["date"])
    expected = by_hand.reindex(closed_day(frame["date"])).to_numpy()
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(frame["trend_regime_1d"].to_numpy(), expected)
    np.testing.assert_array_equal(
        frame["trend_target"].to_numpy(), SPOT_LEVELS[nearest_level_index(expected, SPOT_LEVELS)]
    )
    assert frame["trend_target"].nunique() > 1, "the window should hold a change of level"
    # One decision a day, on the candle that closes at 00:00 UTC.
    np.testing.assert_array_equal(frame["trend_decision"], (frame["date"].dt.hour == 23))


def test_startup_makes_the_level_independent_of_where_the_data_starts(
    imported: Path, daily: pd.DataFrame
) -> None:
    frame, startup = analyse(imported / "binance", imported)
    assert startup == settle_days(TrendRegimeConfig()) >= 96
    all_history = trend_regime(daily["close"]).set_axis(daily["date"])  # since 2018
    expected = all_history.reindex(closed_day(frame["date"])).to_numpy()
    np.testing.assert_array_equal(
        frame["trend_target"].to_numpy(), SPOT_LEVELS[nearest_level_index(expected, SPOT_LEVELS)]
    )


def test_a_day_reaches_the_hourly_frame_only_once_it_has_closed(
    imported: Path, tmp_path: Path
) -> None:
    """Day D's daily candle closes at D+1 00:00: its value first appears on the hourly candle
    dated D 23:00 (which closes then), and a shock to it changes nothing before."""
    for name in ("BTC_USDT-1h.feather", "BTC_USDT-1d.feather"):
        shutil.copy(imported / "binance" / name, tmp_path / name)
    before, _ = analyse(tmp_path, imported)
    assert (before["date_1d"] == closed_day(before["date"])).all()

    day = pd.Timestamp("2022-11-20", tz="UTC")
    shocked = pd.read_feather(tmp_path / "BTC_USDT-1d.feather")
    at_day = shocked["date"] == day
    shocked.loc[at_day, ["high", "close"]] *= 3
    shocked.to_feather(tmp_path / "BTC_USDT-1d.feather")
    after, _ = analyse(tmp_path, imported)

    columns = ["trend_regime_1d", "trend_target", "trend_decision"]
    first = day + pd.Timedelta(hours=23)
    earlier = before["date"] < first
    pd.testing.assert_frame_equal(before.loc[earlier, columns], after.loc[earlier, columns])
    at_first = before["date"] == first
    was, now = (frame.loc[at_first, "trend_regime_1d"].item() for frame in (before, after))
    assert now > was


def test_decisions_fall_on_the_candle_that_closes_at_midnight() -> None:
    dates = pd.Series(pd.date_range("2022-01-01", periods=12, freq="4h", tz="UTC"))
    assert dates[decision_candles(dates, "4h")].dt.hour.unique().tolist() == [20]
    assert decision_candles(pd.Series([pd.Timestamp("2022-01-01", tz="UTC")]), "1d").all()


def test_settings_are_strict_and_named_by_their_dotted_key() -> None:
    settings = MetaRLConfig.from_freqtrade({"meta_rl": {"trend_regime": {"vol_target": 0.4}}})
    assert settings.trend_regime.vol_target == 0.4
    assert settings.trend_regime.spans == [[8, 24], [16, 48], [32, 96]]
    with pytest.raises(ConfigError, match=r"`meta_rl\.trend_regime\.spans` = \[\[24, 8\]\]"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"trend_regime": {"spans": [[24, 8]]}}})
    with pytest.raises(ConfigError, match=r"`meta_rl\.trend_regime\.window` is not a known key"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"trend_regime": {"window": 30}}})
    with pytest.raises(ConfigError, match=r"`meta_rl\.trend_regime\.vol_target` = 0"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"trend_regime": {"vol_target": 0}}})
    assert settle_days(TrendRegimeConfig(spans=[[2, 5]], vol_target=0.5, vol_window=40)) == 41
