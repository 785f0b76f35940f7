"""Where a target exposure marks ``enter_long``: on the decision candles of a strategy that
decides on a clock, so a position a stoploss closed is taken up again at the next decision."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.configuration import Configuration
from freqtrade.data.btanalysis import load_backtest_stats
from freqtrade.enums import RunMode
from freqtrade.resolvers import StrategyResolver

from meta_agent.offline import offline_markets
from tests.freqtrade_cli import run_offline

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAIR = {"pair": "BTC/USD"}


def metarl(decision_every: int) -> object:
    """The MetaRL strategy as Freqtrade loads it from config.json (its model is not needed to
    mark entries)."""
    config = Configuration.from_files([str(PROJECT_ROOT / "config.json")])
    config.update(strategy="MetaRL", runmode=RunMode.BACKTEST)
    config["meta_rl"] = {**config["meta_rl"], "decision_every": decision_every}
    with offline_markets():
        return StrategyResolver.load_strategy(config)


def decided(target: list[float], valid: list[int] | None = None) -> pd.DataFrame:
    """Three days of hourly candles from 2022-11-01 00:00 with ``&-action`` = ``target``."""
    dates = pd.date_range("2022-11-01", periods=len(target), freq="1h", tz="UTC")
    valid = [1] * len(target) if valid is None else valid
    return pd.DataFrame({"date": dates, "&-action": target, "do_predict": valid})


def signals(strategy: object, frame: pd.DataFrame) -> pd.DataFrame:
    frame = strategy.populate_entry_trend(frame, PAIR)  # type: ignore[attr-defined]
    return strategy.populate_exit_trend(frame, PAIR)  # type: ignore[attr-defined]


def test_metarl_marks_entries_on_its_daily_decisions_only() -> None:
    # Three days: long to 11-02 05:00, flat from 06:00 to 23:00, long again on 11-03.
    target = [1.0] * 30 + [0.0] * 18 + [0.5] * 24
    frame = signals(metarl(decision_every=24), decided(target))
    entries = frame.loc[frame["enter_long"] == 1, "date"]
    # The candles that close at 00:00 UTC with a long target (11-02 23:00 is flat).
    assert entries.dt.strftime("%m-%d %H:%M").tolist() == ["11-01 23:00", "11-03 23:00"]
    assert set(frame.loc[frame["enter_long"] == 1, "enter_tag"]) == {"long"}
    # Exits stay on every flat candle: an exit the exchange did not fill is tried again.
    assert int(frame["exit_long"].fillna(0).sum()) == 18


def test_an_invalid_decision_candle_marks_no_entry() -> None:
    target = [1.0] * 48
    valid = [1] * 23 + [0] + [1] * 24  # the first decision candle (11-01 23:00) not predicted
    frame = signals(metarl(decision_every=24), decided(target, valid))
    entries = frame.loc[frame["enter_long"] == 1, "date"]
    assert entries.dt.strftime("%m-%d %H:%M").tolist() == ["11-02 23:00"]


def test_an_hourly_clock_marks_every_long_candle() -> None:
    target = [0.0] * 5 + [1.0] * 10
    frame = signals(metarl(decision_every=1), decided(target))
    assert frame["enter_long"].fillna(0).tolist() == [0] * 5 + [1] * 10


# A target-exposure strategy that is always long, with a stoploss tight enough to fire in
# November 2022 (the FTX crash): hourly entry candles (the default) or daily ones (the clock).
ALWAYS_LONG = """
from pandas import DataFrame, Series

from meta_agent.rl.clock import decision_candles
from meta_agent.strategy.exposure import TargetExposureStrategy


class AlwaysLong(TargetExposureStrategy):
    target_column = "always_target"
    valid_column = "always_valid"
    reads_live_feed = False

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["always_target"] = 1.0
        dataframe["always_valid"] = 1
        return dataframe


class AlwaysLongDaily(AlwaysLong):
    def entry_candles(self, dataframe: DataFrame) -> Series:
        return Series(decision_candles(dataframe["date"], self.timeframe, 24), dataframe.index)
"""


@pytest.fixture(scope="module")
def stopped_out(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """Trades of both strategies in one real Freqtrade backtest, BTC/USDT 2022-11."""
    userdir = tmp_path_factory.mktemp("entries")
    (userdir / "data").symlink_to(imported)
    strategies = userdir / "strategies"
    strategies.mkdir()
    (strategies / "always_long.py").write_text(ALWAYS_LONG)
    overrides = userdir / "overrides.json"
    overrides.write_text(json.dumps({"meta_rl": {"risk": {"stoploss": -0.02}}}))
    results = userdir / "results"
    results.mkdir()
    args = [
        "backtesting",
        "--strategy-list",
        "AlwaysLong",
        "AlwaysLongDaily",
        "--strategy-path",
        str(strategies),
        "--timerange",
        "20221101-20221201",
        "--export-directory",
        str(results),
        "--cache",
        "none",
    ]
    configs = [
        PROJECT_ROOT / "config.json",
        PROJECT_ROOT / "configs" / "standalone-binance.json",
        overrides,
    ]
    result = run_offline(args, configs, userdir)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    stats = load_backtest_stats(results)["strategy"]
    return {name: stats[name]["trades"] for name in ("AlwaysLong", "AlwaysLongDaily")}


def test_a_stopped_position_is_taken_up_again_at_the_next_decision(
    stopped_out: dict[str, list],
) -> None:
    daily = stopped_out["AlwaysLongDaily"]
    stops = [t for t in daily if t["exit_reason"] in {"stop_loss", "trailing_stop_loss"}]
    assert stops, "the -2 % stoploss never fired: the test shows nothing"
    # Every entry is on the candle after a decision (opened at 00:00 UTC), however early in
    # the day the stoploss closed the previous trade.
    assert {t["open_date"][11:16] for t in daily} == {"00:00"}
    assert any(t["close_date"][11:16] != "00:00" for t in stops)


def test_hourly_entry_candles_re_enter_right_after_a_stoploss(
    stopped_out: dict[str, list],
) -> None:
    """The default (every candle may enter): the contrast that makes the test above mean
    something."""
    hourly = stopped_out["AlwaysLong"]
    closes = {t["close_date"] for t in hourly if t["exit_reason"] != "force_exit"}
    assert any(t["open_date"] in closes for t in hourly)
    assert {t["open_date"][11:16] for t in hourly} != {"00:00"}
