"""The TrendRegime and stock ReinforcementLearner baselines inside ``evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meta_agent.evaluation.metrics import METRICS
from meta_agent.evaluation.plan import EvaluationInputError, Plan, make_plan

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "freqai": {
        "identifier": "eval-test",
        "train_period_days": 30,
        "backtest_period_days": 15,
        "rl_config": {"train_cycles": 2, "progress_bar": False},
    }
}


@pytest.fixture(scope="module")
def setup(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("baselines")
    (folder / "user_data").mkdir()
    small = folder / "small.json"
    small.write_text(json.dumps({**SMALL, "user_data_dir": str(folder / "user_data")}))
    return {
        "configs": [PROJECT_ROOT / "config.json", small],
        "datadir": imported / "binance",
        "out": folder / "out",
        "models": folder / "user_data" / "models",
    }


def plan_for(setup: dict, timerange: str = "20221101-20221201") -> Plan:
    return make_plan(
        configs=setup["configs"],
        datadir=setup["datadir"],
        pairs=["BTC/USDT"],
        timerange=timerange,
        out=setup["out"],
        exchange="binance",
        strategies=["TrendRegime", "StockRL"],
    )


def test_stock_rl_trains_under_its_own_identifier(setup: dict) -> None:
    plan = plan_for(setup)
    stock = plan.overrides("BTC/USDT", "StockRL")
    assert stock["freqaimodel"] == "ReinforcementLearner"
    assert stock["freqai"]["enabled"] is True
    identifiers = {"eval-test", plan.identifier}  # the user's models, MetaRL's
    assert stock["freqai"]["identifier"] not in identifiers
    # The report reads MetaRL's model folders by prefix: StockRL's must not match it.
    assert not stock["freqai"]["identifier"].startswith(f"{plan.identifier}-")
    assert plan.overrides("BTC/USDT", "TrendRegime")["freqai"] == {"enabled": False}
    assert plan.overrides("BTC/USDT", "MetaRL")["freqai"] == {"identifier": plan.identifier}


def test_trend_regime_needs_its_daily_warm_up_before_the_timerange(setup: dict) -> None:
    with pytest.raises(EvaluationInputError) as err:
        plan_for(setup, timerange="20180601-20180701")
    assert "BTC/USDT 1d data spans 2018-01-01" in str(err.value)
    assert "288 days of TrendRegime's warm-up" in str(err.value)


@pytest.mark.slow
def test_evaluate_runs_both_baselines(setup: dict) -> None:
    from meta_agent.cli import main

    code = main([
        "evaluate", *[arg for path in setup["configs"] for arg in ("--config", str(path))],
        "--exchange", "binance", "--datadir", str(setup["datadir"]), "--pairs", "BTC/USDT",
        "--timerange", "20221101-20221201", "--out", str(setup["out"]),
        "--strategies", "TrendRegime", "StockRL",
    ])  # fmt: skip
    assert code == 0
    records = json.loads((setup["out"] / "summary.json").read_text())["records"]
    assert {r["strategy"] for r in records} == {"TrendRegime", "StockRL"}
    for record in records:
        assert set(METRICS) <= set(record), record["strategy"]
    whole = {r["strategy"]: r for r in records if r["period"] == "whole"}
    assert whole["TrendRegime"]["trades"] >= 1  # the regime was long into the FTX crash
    html = (setup["out"] / "report.html").read_text()
    assert "TrendRegime" in html and "StockRL" in html
    plan = plan_for(setup)
    assert [p.name for p in setup["models"].iterdir()] == [plan.stock_identifier]
