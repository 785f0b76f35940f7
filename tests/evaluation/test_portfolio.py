"""``evaluate --portfolio``: each strategy one backtest over all pairs in one wallet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from freqtrade.data.btanalysis import load_backtest_stats

from meta_agent.evaluation.plan import PORTFOLIO, EvaluationInputError, Plan, make_plan
from meta_agent.evaluation.run import evaluate, pair_curve, result_folder

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
STRATEGIES = ["BuyAndHold", "EqualWeightHold", "TrendBook"]


@pytest.fixture(scope="module")
def plan(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    folder = tmp_path_factory.mktemp("portfolio")
    (folder / "user_data").mkdir()
    small = folder / "small.json"
    small.write_text(json.dumps({"user_data_dir": str(folder / "user_data")}))
    return make_plan(
        configs=[PROJECT_ROOT / "config.json", small],
        datadir=imported / "binance",
        pairs=PAIRS,
        timerange="20210101-20210401",
        out=folder / "out",
        exchange="binance",
        strategies=STRATEGIES,
        fee=0.004,
        portfolio=True,
    )


@pytest.fixture(scope="module")
def summary(plan: Plan) -> dict[str, Any]:
    return evaluate(plan, ["evaluate", "(test)"])


def test_a_later_listing_is_named_not_refused(plan: Plan) -> None:
    # TrendBook wants 720 days of history; SOL/USDT lists on Binance in 2020-08.
    assert plan.late_pairs == {"SOL/USDT": "2020-08-11"}
    with pytest.raises(EvaluationInputError, match="SOL/USDT 1h data spans 2020-08-11"):
        make_plan(
            configs=plan.configs, datadir=plan.datadir, pairs=PAIRS, timerange=plan.timerange,
            out=plan.out / "never", exchange="binance", strategies=STRATEGIES,
        )  # fmt: skip


def test_each_strategy_is_one_backtest_of_every_pair_in_one_wallet(
    plan: Plan, summary: dict[str, Any]
) -> None:
    assert {(r["strategy"], r["pair"]) for r in summary["records"]} == {
        (strategy, PORTFOLIO) for strategy in STRATEGIES
    }
    assert summary["portfolio"] is True
    for strategy in STRATEGIES:
        stats = load_backtest_stats(result_folder(plan, strategy, PORTFOLIO))["strategy"][strategy]
        assert stats["max_open_trades_setting"] == len(PAIRS)
        assert {trade["pair"] for trade in stats["trades"]} == set(PAIRS), strategy
        # The one wallet's mark-to-market curve ends at Freqtrade's own final balance.
        curve, trades = pair_curve(plan, stats, PORTFOLIO)
        assert curve["equity"].iloc[-1] == pytest.approx(stats["final_balance"], rel=1e-6)
        assert len(trades) == len(stats["trades"])
        assert curve["exposure"].max() <= 1.0


def test_equal_weight_starts_at_one_nth_and_rebalances_monthly(plan: Plan) -> None:
    stats = load_backtest_stats(result_folder(plan, "EqualWeightHold", PORTFOLIO))
    trades = stats["strategy"]["EqualWeightHold"]["trades"]
    for trade in trades:
        first = trade["orders"][0]
        assert first["amount"] * first["safe_price"] == pytest.approx(10_000 * 0.99 / 3, rel=0.01)
        later = [pd.Timestamp(order["order_filled_timestamp"], unit="ms", tz="UTC")
                 for order in trade["orders"][1:-1]]  # fmt: skip
        # Rebalanced at 00:00 on the first of February, March and April (the last order is
        # the force exit at the end).
        assert [f"{when:%m-%d %H:%M}" for when in later] == [
            "02-01 00:00", "03-01 00:00", "04-01 00:00"
        ], trade["pair"]  # fmt: skip


def test_a_rebalance_brings_every_coin_back_to_the_same_value(plan: Plan) -> None:
    """Freqtrade sells a reduction's stake at cost; the strategy sells today's value, so after
    each monthly rebalance the winner (SOL: x2.8 in January) holds about what the others do.

    About: the pair budget is Freqtrade's total stake (open trades at cost) over N, so a sale
    that realises a profit raises the budget of the pairs adjusted after it on that candle."""
    stats = load_backtest_stats(result_folder(plan, "EqualWeightHold", PORTFOLIO))
    trades = stats["strategy"]["EqualWeightHold"]["trades"]
    for month in ("2021-02-01", "2021-03-01"):
        when = pd.Timestamp(month, tz="UTC")
        values = []
        for trade in trades:
            held, price = 0.0, 0.0
            for order in trade["orders"]:
                if pd.Timestamp(order["order_filled_timestamp"], unit="ms", tz="UTC") <= when:
                    side = 1 if order["ft_order_side"] == "buy" else -1
                    held += side * order["amount"]
                    price = order["safe_price"]
            values.append(held * price)
        assert max(values) < 1.15 * min(values), (month, values)
