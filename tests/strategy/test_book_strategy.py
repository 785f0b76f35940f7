"""The TrendBook baseline in a real Freqtrade backtest: three coins in one wallet, each sized to
its book weight of the last closed day, decided once a day, the rest in cash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from freqtrade.data.btanalysis import load_backtest_stats

from meta_agent.signals.trend_book import TrendBookConfig, book_weight
from tests.freqtrade_cli import run_offline

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
WALLET = 10_000
TRADABLE = 0.99  # config.json's tradable_balance_ratio


@pytest.fixture(scope="module")
def result(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("trendbook")
    (folder / "user_data").mkdir()
    (folder / "results").mkdir()
    overrides = folder / "universe.json"
    overrides.write_text(json.dumps({
        "exchange": {"name": "binance", "pair_whitelist": PAIRS},
        "stake_currency": "USDT", "fiat_display_currency": "", "max_open_trades": len(PAIRS),
        "dry_run_wallet": WALLET, "freqai": {"enabled": False},
    }))  # fmt: skip
    done = run_offline(
        ["backtesting", "--strategy", "TrendBook", "--timerange", "20210301-20210701",
         "--datadir", str(imported / "binance"), "--fee", "0.004", "--cache", "none",
         "--export", "trades", "--export-directory", str(folder / "results")],
        [PROJECT_ROOT / "config.json", overrides], folder / "user_data",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return load_backtest_stats(folder / "results")["strategy"]["TrendBook"]


def daily_weights(imported: Path, pair: str) -> pd.Series:
    daily = pd.read_feather(imported / "binance" / f"{pair.replace('/', '_')}-1d.feather")
    return book_weight(daily, TrendBookConfig()).set_axis(daily["date"])


def test_every_coin_trades_from_daily_decisions_in_one_wallet(result: dict[str, Any]) -> None:
    trades = result["trades"]
    assert {trade["pair"] for trade in trades} == set(PAIRS)
    # Decided on the candle that closes at 00:00 UTC: every order fills at 00:00.
    fills = [order for trade in trades for order in trade["orders"]]
    times = {pd.Timestamp(order["order_filled_timestamp"], unit="ms").strftime("%H:%M")
             for order in fills}  # fmt: skip
    assert times <= {"00:00"} | {
        t["close_date"][11:16] for t in trades if t["exit_reason"] != "flat"
    }
    # The book resizes positions inside a trade (volatility and the ensemble share move).
    assert max(len(trade["orders"]) for trade in trades) > 2
    assert result["max_open_trades_setting"] == len(PAIRS)


def test_an_entry_is_the_book_weight_of_the_day_that_closed_times_the_coin_share(
    result: dict[str, Any], imported: Path
) -> None:
    first = min(result["trades"], key=lambda trade: trade["open_timestamp"])
    opened = pd.Timestamp(first["open_date"])
    assert opened.hour == 0
    weight = daily_weights(imported, first["pair"])[opened - pd.Timedelta(days=1)]
    order = first["orders"][0]
    cost = order["amount"] * order["safe_price"]
    # Nothing had closed yet, so the wallet was the starting one: 1/N of it per coin.
    assert cost == pytest.approx(weight * WALLET * TRADABLE / len(PAIRS), rel=0.02)
    assert 0 < weight < 1, "volatility sizing keeps a coin below its whole share"
