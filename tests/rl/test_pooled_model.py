"""MetaRL with the pooled portfolio design in real Freqtrade backtests: one training per window
for every pair, the book traded wherever the gate is closed, the agent's scaling where open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from freqtrade.data.btanalysis import load_backtest_stats

from meta_agent.errors import ConfigError
from tests.freqtrade_cli import run_offline

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
TIMERANGE = "20221101-20221201"  # two 15-day windows, FTX inside
LATE = "20210101-20210201"


def overrides(root: Path, identifier: str, gate: bool) -> dict[str, Any]:
    return {
        "freqaimodel": "MetaRLPortfolioModel",
        "exchange": {"name": "binance", "pair_whitelist": PAIRS},
        "stake_currency": "USDT", "fiat_display_currency": "", "max_open_trades": len(PAIRS),
        "meta_rl": {"base": "book", "seeds": 2, "validation_gate": gate, "data_root": str(root),
                    "pooled": {"coins": ["BTC", "ETH", "SOL", "XRP"], "steps": 2_000}},
        "freqai": {"identifier": identifier, "backtest_period_days": 15},
    }  # fmt: skip


def backtest(
    folder: Path, name: str, strategy: str, extra: dict[str, Any], imported: Path,
    timerange: str = TIMERANGE,
) -> list:  # fmt: skip
    config = folder / f"{name}.json"
    config.write_text(json.dumps(extra))
    results = folder / name
    results.mkdir()
    done = run_offline(
        ["backtesting", "--strategy", strategy, "--timerange", timerange, "--fee", "0.004",
         "--datadir", str(imported / "binance"), "--cache", "none", "--export", "trades",
         "--export-directory", str(results)],
        [PROJECT_ROOT / "config.json", config], folder / "user_data",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    trades = load_backtest_stats(results)["strategy"][strategy]["trades"]
    return [(t["pair"], t["open_date"], t["close_date"], round(t["profit_abs"], 6),
             len(t["orders"])) for t in trades]  # fmt: skip


@pytest.fixture(scope="module")
def runs(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("pooled")
    (folder / "user_data").mkdir()
    book = {**overrides(imported, "unused", True), "freqai": {"enabled": False}}
    return {
        "folder": folder,
        "book": backtest(folder, "book", "TrendBook", book, imported),
        "gated": backtest(folder, "gated", "MetaRL", overrides(imported, "gated", True), imported),
        "open": backtest(folder, "open", "MetaRL", overrides(imported, "open", False), imported),
        # SOL/USDT lists in 2020-08: less history than FreqAI's 730 training days before 2021.
        "late_book": backtest(folder, "late_book", "TrendBook", book, imported, LATE),
        "late": backtest(
            folder, "late", "MetaRL", overrides(imported, "late", True), imported, LATE
        ),
    }


def test_one_pooled_training_per_window_serves_every_pair(runs: dict[str, Any]) -> None:
    models = runs["folder"] / "user_data" / "models" / "gated"
    windows = sorted(models.glob("pooled-*/*"))
    assert [w.name for w in windows] == ["20221101", "20221116"]
    for window in windows:
        assert sorted(p.name for p in window.iterdir()) == ["gate.json", "member0.zip",
                                                            "member1.zip"]  # fmt: skip
        gate = json.loads((window / "gate.json").read_text())
        assert gate["gate"]["traded"] == PAIRS
    # FreqAI still keeps its per-pair model of each window: the pair's coin and the window.
    assert len(list(models.glob("sub-train-*/*_model.joblib"))) == len(PAIRS) * len(windows)


def test_a_closed_gate_trades_exactly_the_book(runs: dict[str, Any]) -> None:
    windows = (runs["folder"] / "user_data" / "models" / "gated").glob("pooled-*/*/gate.json")
    assert not any(json.loads(path.read_text())["agent_trades"] for path in windows)
    assert runs["gated"] == runs["book"] and runs["book"]


def test_a_later_listing_trades_from_the_start_as_in_the_book(runs: dict[str, Any]) -> None:
    """Freqtrade trims a FreqAI backtest's startup by a count of candles; MetaRL pads a coin
    listed later so that it is not trimmed into the backtest (meta_agent.strategy.startup)."""
    first = {}
    for run in ("late", "late_book"):
        first[run] = min(date for pair, date, *_ in runs[run] if pair == "SOL/USDT")
    # Without the padding MetaRL's SOL would first trade in 2022-09, 730 days after listing.
    assert first["late"] == first["late_book"] == "2021-01-02 00:00:00+00:00"


def test_an_open_gate_lets_the_agent_scale_the_book(runs: dict[str, Any]) -> None:
    windows = (runs["folder"] / "user_data" / "models" / "open").glob("pooled-*/*/gate.json")
    assert all(json.loads(path.read_text())["agent_trades"] for path in windows)
    assert runs["open"] != runs["book"]


def test_each_model_refuses_the_other_design() -> None:
    from freqtrade.configuration import Configuration

    from meta_agent.rl.model import MetaRLModelBase
    from meta_agent.rl.portfolio.freqai_model import MetaRLPortfolioModelBase

    config = Configuration.from_files([str(PROJECT_ROOT / "config.json")])
    config["meta_rl"] = {**config["meta_rl"], "base": "book"}
    with pytest.raises(ConfigError, match="set `freqaimodel` to MetaRLPortfolioModel"):
        MetaRLModelBase(config=config)
    config["meta_rl"]["base"] = "trend_regime"
    with pytest.raises(ConfigError, match=r"set `meta_rl\.base` to 'book'"):
        MetaRLPortfolioModelBase(config=config)
