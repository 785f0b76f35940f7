"""Pinned market snapshots and Freqtrade's real Exchange running on them without network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freqtrade.configuration import Configuration
from freqtrade.enums import RunMode
from freqtrade.resolvers import ExchangeResolver

from meta_agent.data.universe import universe_pairs
from meta_agent.errors import SnapshotError
from meta_agent.offline import load_snapshot, offline_markets

PROJECT_ROOT = Path(__file__).resolve().parents[1]

REQUIRED = {
    "kraken": universe_pairs("USD"),
    "binance": [
        *universe_pairs("USDT"),
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "XRP/USDT:USDT",
    ],
    "krakenfutures": ["BTC/USD:USD"],
}


@pytest.mark.parametrize(("exchange", "pairs"), REQUIRED.items())
def test_snapshot_holds_the_required_markets(exchange: str, pairs: list[str]) -> None:
    snapshot = load_snapshot(exchange)
    assert set(pairs) <= set(snapshot.markets)


def exchange_for(overrides: dict) -> object:
    config = Configuration.from_files([str(PROJECT_ROOT / "config.json")])
    config.update(overrides)
    config["runmode"] = RunMode.BACKTEST
    with offline_markets():
        return ExchangeResolver.load_exchange(config, validate=True, load_leverage_tiers=True)


def test_kraken_spot_offline_uses_published_fees_and_precision() -> None:
    exchange = exchange_for({})
    assert exchange.get_fee("BTC/USD", taker_or_maker="taker") == pytest.approx(0.004)
    assert exchange.get_fee("BTC/USD", taker_or_maker="maker") == pytest.approx(0.0025)
    assert exchange.get_precision_price("BTC/USD") == pytest.approx(0.1)
    assert exchange.get_min_pair_stake_amount("BTC/USD", 20000.0, -0.3) > 0


def test_kraken_futures_offline_has_leverage_tiers() -> None:
    exchange = exchange_for(
        {
            "trading_mode": "futures",
            "margin_mode": "isolated",
            "exchange": {"name": "krakenfutures", "pair_whitelist": ["BTC/USD:USD"]},
        }
    )
    assert exchange.name.lower().replace(" ", "") == "krakenfutures"
    assert exchange.get_max_leverage("BTC/USD:USD", 1000.0) == pytest.approx(50)


def test_missing_snapshot_names_the_exchange(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="No market snapshot for exchange 'bybit'"):
        load_snapshot("bybit")


def test_malformed_snapshot_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "kraken.json").write_text('{\n "markets": {\n  "BTC/USD": {,}\n }\n}\n')
    with pytest.raises(SnapshotError, match=r"kraken\.json:3: invalid JSON"):
        load_snapshot("kraken", tmp_path)


def test_snapshot_market_without_required_key_is_named(tmp_path: Path) -> None:
    doc = json.loads((PROJECT_ROOT / "meta_agent" / "snapshots" / "kraken.json").read_text())
    del doc["markets"]["ETH/USD"]["precision"]
    (tmp_path / "kraken.json").write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match=r"market 'ETH/USD' lacks key\(s\) \['precision'\]"):
        load_snapshot("kraken", tmp_path)


def test_one_command_runs_freqtrade_offline_or_against_a_replay() -> None:
    from meta_agent.offline import backtest_command, freqtrade_command

    assert backtest_command(["--strategy", "MetaRL"])[1:] == [
        "-m", "meta_agent", "freqtrade", "--offline", "--", "backtesting", "--strategy", "MetaRL",
    ]  # fmt: skip
    assert freqtrade_command(["trade"], replay="http://127.0.0.1:1")[4:7] == [
        "--replay",
        "http://127.0.0.1:1",
        "--",
    ]


@pytest.mark.parametrize(
    ("overlay", "quote"), [("universe-kraken", "USD"), ("universe-binance", "USDT")]
)
def test_the_universe_overlays_list_the_thirteen_coins_and_freqtrade_accepts_them(
    overlay: str, quote: str
) -> None:
    config = Configuration.from_files(
        [str(PROJECT_ROOT / "config.json"), str(PROJECT_ROOT / "configs" / f"{overlay}.json")]
    )
    assert config["exchange"]["pair_whitelist"] == universe_pairs(quote)
    assert config["max_open_trades"] == len(universe_pairs(quote))
    config["runmode"] = RunMode.BACKTEST
    with offline_markets():
        exchange = ExchangeResolver.load_exchange(config, validate=True)
    for pair in universe_pairs(quote):
        assert exchange.get_min_pair_stake_amount(pair, 10.0, -0.3) > 0
