"""End to end, offline: ``freqtrade backtesting --strategy MetaRL`` on real Kraken data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.data.btanalysis import get_latest_backtest_filename, load_backtest_stats

from meta_agent.data.importer import import_data
from tests.freqtrade_cli import run_offline

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PAIRS = ["BTC/USD", "ETH/USD"]

# Small and seeded: two 15-day walk-forward windows, each trained on the 30 days before it.
TEST_OVERRIDES = {
    "freqai": {
        "identifier": "e2e",
        "train_period_days": 30,
        "backtest_period_days": 15,
        "rl_config": {"train_cycles": 3, "progress_bar": False},
    }
}


@pytest.fixture(scope="module")
def userdir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    userdir = tmp_path_factory.mktemp("userdir")
    import_data(shared_data, userdir / "data")
    return userdir


FUTURES_OVERRIDES = {
    "trading_mode": "futures",
    "margin_mode": "isolated",
    "stake_currency": "USDT",
    "fiat_display_currency": "",
    "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT:USDT", "ETH/USDT:USDT"]},
    # Futures default levels: -1, -0.5, 0, 0.5, 1. Leverage 2: half the margin, same notional.
    "meta_rl": {"exposure_levels": None, "risk": {"leverage": 2.0}},
    "freqai": {**TEST_OVERRIDES["freqai"], "identifier": "e2e-futures"},
}


def freqtrade_backtest(
    userdir: Path, name: str, overrides: dict, pairs: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real Freqtrade CLI offline with ``config.json`` plus ``overrides``."""
    results = userdir / name
    results.mkdir()
    (userdir / f"{name}.json").write_text(json.dumps(overrides))
    pair_args = ["--pairs", *pairs] if pairs else []
    args = [
        "backtesting",
        "--export-directory",
        str(results),
        "--strategy",
        "MetaRL",
        *pair_args,
        "--timerange",
        "20221001-20221031",
        "--cache",
        "none",
    ]
    configs = [PROJECT_ROOT / "config.json", userdir / f"{name}.json"]
    return run_offline(args, configs, userdir)


def run_backtest(userdir: Path, name: str, overrides: dict, pairs: list[str] | None = None) -> Path:
    """A backtest that must succeed; returns the folder holding its results."""
    result = freqtrade_backtest(userdir, name, overrides, PAIRS if pairs is None else pairs)
    log = result.stdout + result.stderr
    (userdir / f"{name}.log").write_text(log)
    assert result.returncode == 0, log[-5000:]
    assert "raised exception" not in log, log[-5000:]
    return userdir / name


def model_folder(results: Path) -> Path:
    """The run's own model folder, ``<userdir>/models/<identifier>/``: FreqAI names it after the
    identifier its result file records (MetaRL's, with the contract suffix). Never a prefix
    glob: ``e2e-*`` would also match ``e2e-select-*``, ``e2e-capped-*``, ..."""
    identifier = load_backtest_stats(results)["strategy"]["MetaRL"]["freqai_identifier"]
    folder = results.parent / "models" / identifier
    assert folder.is_dir(), f"{results.name}: no model folder {folder}"
    return folder


def predictions(results: Path) -> pd.DataFrame:
    """Every backtest prediction FreqAI stored for the run (all pairs and windows)."""
    folder = model_folder(results) / "backtesting_predictions"
    files = sorted(folder.glob("*.feather"))
    assert files, f"no stored predictions in {folder}"
    return pd.concat([pd.read_feather(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def spot_run(userdir: Path) -> Path:
    return run_backtest(userdir, "spot", TEST_OVERRIDES)


def test_backtest_writes_a_result_file(spot_run: Path) -> None:
    assert (spot_run / get_latest_backtest_filename(spot_run)).is_file()


def test_trades_both_pairs_at_kraken_fees(spot_run: Path) -> None:
    stats = load_backtest_stats(spot_run)["strategy"]["MetaRL"]
    assert stats["total_trades"] >= 1
    assert sorted(stats["pairlist"]) == PAIRS
    assert all(trade["fee_open"] == pytest.approx(0.004) for trade in stats["trades"])


def test_agent_decides_once_a_day_as_a_gated_seed_ensemble(spot_run: Path) -> None:
    """config.json's design: a daily clock, three seeds per window, the validation gate."""
    frame = predictions(spot_run)
    assert set(frame["&-action"].unique()) <= {0.0, 0.5, 1.0}
    assert (frame["&-action"] > 0).any()
    for _, pair_frame in frame.groupby(frame["date"].diff().lt(pd.Timedelta(0)).cumsum()):
        changes = pair_frame["&-action"].diff().fillna(0).ne(0).to_numpy()
        # A new level appears on the candle that closes the day (23:00 open time) only.
        assert set(pd.to_datetime(pair_frame["date"]).dt.hour[changes]) <= {23}
    metadata = sorted(model_folder(spot_run).glob("sub-train-*/*_metadata.json"))
    ensembles = [json.loads(path.read_text())["metarl_ensemble"] for path in metadata]
    assert ensembles and all(info["members"] == 3 for info in ensembles)
    assert all(set(info["scores"]) == {"agent", "base"} for info in ensembles)


def test_masks_hold_over_a_whole_backtest(userdir: Path) -> None:
    overrides = {**TEST_OVERRIDES, "meta_rl": {"risk": {"max_pair_exposure": 0.5}}}
    overrides["freqai"] = {**TEST_OVERRIDES["freqai"], "identifier": "e2e-capped"}
    results = run_backtest(userdir, "capped", overrides)
    assert predictions(results)["&-action"].max() <= 0.5
    stats = load_backtest_stats(results)["strategy"]["MetaRL"]
    # A pair's budget is the total stake / max_open_trades; the wallet's high bounds it.
    wallet_high = max(stats["starting_balance"], stats["final_balance"])
    budget = wallet_high / stats["max_open_trades_setting"]
    buys = [o for t in stats["trades"] for o in t["orders"] if o["ft_order_side"] == "buy"]
    assert buys
    assert all(order["cost"] <= 0.5 * budget * 1.001 for order in buys)


def max_notional(trade: dict) -> float:
    """Largest position value of a backtested trade, walking its filled orders."""
    amount, peak = 0.0, 0.0
    entry = "sell" if trade["is_short"] else "buy"
    for order in trade["orders"]:
        signed = order["amount"] if order["ft_order_side"] == entry else -order["amount"]
        amount += signed
        peak = max(peak, amount * order["safe_price"])
    return peak


def test_futures_mode_goes_short(userdir: Path) -> None:
    results = run_backtest(userdir, "futures", FUTURES_OVERRIDES, pairs=[])
    stats = load_backtest_stats(results)["strategy"]["MetaRL"]
    assert any(trade["is_short"] for trade in stats["trades"])
    assert all(trade["leverage"] == 2.0 for trade in stats["trades"])
    # Exposure is notional: leverage 2 posts half the margin, the position stays within one
    # pair budget (stake / max_open_trades) and still reaches it.
    budget = stats["starting_balance"] / stats["max_open_trades_setting"]
    peaks = [max_notional(trade) for trade in stats["trades"]]
    assert max(peaks) <= budget * 1.05
    assert max(peaks) > 0.6 * budget
    levels = set(predictions(results)["&-action"].unique())
    assert levels <= {-1.0, -0.5, 0.0, 0.5, 1.0}
    assert min(levels) < 0


def test_failed_training_fails_the_backtest_loudly(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Without 4h/1d candles every training window is empty. FreqAI alone would log it and
    report a zero-trade backtest; MetaRL stops with the reason."""
    userdir = tmp_path_factory.mktemp("hourly-only")
    futures = userdir / "data" / "binance" / "futures"
    futures.mkdir(parents=True)
    for path in (shared_data / "binance" / "futures").glob("*-1h-*.feather"):
        (futures / path.name).write_bytes(path.read_bytes())
    overrides = {
        **FUTURES_OVERRIDES,
        "meta_rl": {"exposure_levels": None, "sources": ["trend-v1"]},  # no external data needed
        "freqai": {**FUTURES_OVERRIDES["freqai"], "identifier": "x"},
    }
    result = freqtrade_backtest(userdir, "failing", overrides, pairs=[])
    assert result.returncode != 0
    assert "MetaRL training failed for BTC/USDT:USDT" in result.stdout + result.stderr


def test_model_selection_backtests_and_reloads_the_chosen_type(userdir: Path) -> None:
    # Neither candidate is the configured PPO, so reloading must use the stored type.
    candidates = ["A2C", "MaskablePPO"]
    overrides = {**TEST_OVERRIDES, "meta_rl": {"model_selection": {"candidates": candidates}}}
    overrides["freqai"] = {
        **TEST_OVERRIDES["freqai"],
        "identifier": "e2e-select",
        "save_backtest_models": True,
    }
    first = run_backtest(userdir, "select", overrides, pairs=["BTC/USD"])
    before = predictions(first)
    metadata = sorted(model_folder(first).glob("sub-train-*/*_metadata.json"))
    chosen = {json.loads(path.read_text())["metarl_model_type"] for path in metadata}
    assert chosen and chosen <= set(candidates)
    # Without stored predictions FreqAI loads each window's saved model from disk.
    for path in (model_folder(first) / "backtesting_predictions").iterdir():
        path.unlink()
    again = run_backtest(userdir, "select-again", overrides, pairs=["BTC/USD"])
    assert model_folder(again) == model_folder(first)
    assert "Starting training" not in (userdir / "select-again.log").read_text()
    after = predictions(again)
    pd.testing.assert_series_equal(before["&-action"], after["&-action"])


def test_attributions_reach_the_backtest_dataframe(userdir: Path) -> None:
    """Attributions explain the agent's decisions. With config.json's validation gate a window
    whose agents do not beat the base trades the base and attributes nothing (zeros, as in the
    spot run), so this run lets the agent decide in every window."""
    overrides = {**TEST_OVERRIDES, "meta_rl": {"validation_gate": False}}
    overrides["freqai"] = {**TEST_OVERRIDES["freqai"], "identifier": "e2e-attributions"}
    results = run_backtest(userdir, "attributions", overrides)
    frame = predictions(results)
    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    for group in [*config["meta_rl"]["sources"], "context", "position"]:
        assert f"%%-attr_{group}" in frame.columns, group
    assert frame.filter(like="%%-attr_").abs().to_numpy().sum() > 0
    shares = [
        json.loads(path.read_text())
        for path in model_folder(results).glob("sub-train-*/attribution_global.json")
    ]
    assert shares and all(sum(share.values()) == pytest.approx(1.0) for share in shares)


def test_equity_curve_from_orders_agrees_with_freqtrades_profit(
    spot_run: Path, userdir: Path
) -> None:
    from freqtrade.data.history import load_pair_history

    from meta_agent.evaluation.metrics import equity_curve, fills_from_trades

    stats = load_backtest_stats(spot_run)["strategy"]["MetaRL"]
    for pair in PAIRS:
        trades = [t for t in stats["trades"] if t["pair"] == pair]
        candles = load_pair_history(pair, "1h", userdir / "data" / "kraken", data_format="feather")
        candles = candles[candles["date"] >= pd.Timestamp("2022-10-01", tz="UTC")]
        close = candles.set_index("date")["close"]
        curve = equity_curve(close, fills_from_trades(trades), stats["starting_balance"])
        expected = stats["starting_balance"] + sum(t["profit_abs"] for t in trades)
        assert curve["equity"].iloc[-1] == pytest.approx(expected, rel=1e-6), pair
