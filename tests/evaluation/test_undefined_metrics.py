"""A strategy that never trades has no Sharpe: "—" in the ranking and the report, not -100."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from rich.console import Console

from meta_agent.evaluation.metrics import compute_metrics
from meta_agent.evaluation.report import _html_table, ranking
from meta_agent.evaluation.run import _finite, ranking_table

DATES = pd.date_range("2022-01-01", periods=24 * 30, freq="1h", tz="UTC")
NO_TRADES = pd.DataFrame(columns=["close_date", "profit_abs", "fees"])


def flat_curve() -> pd.DataFrame:
    return pd.DataFrame({"date": DATES, "equity": 1000.0, "exposure": 0.0, "in_market": False})


def moving_curve() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    equity = 1000 * np.cumprod(1 + rng.normal(0, 0.002, len(DATES)))
    return pd.DataFrame({"date": DATES, "equity": equity, "exposure": 1.0, "in_market": True})


def test_ratios_of_a_strategy_without_trades_are_undefined() -> None:
    result = compute_metrics(flat_curve(), NO_TRADES)
    for name in ("sharpe", "sortino", "calmar", "profit_factor", "win_rate"):
        assert math.isnan(result[name]), name
    assert result["total_return"] == 0.0 and result["max_drawdown"] == 0.0
    assert result["trades"] == 0
    moving = compute_metrics(moving_curve(), NO_TRADES)  # held, never closed: a Sharpe
    assert math.isfinite(moving["sharpe"]) and math.isfinite(moving["sortino"])
    assert math.isfinite(moving["calmar"]) and moving["sharpe"] != -100.0


def records() -> list[dict]:
    rows = []
    for strategy, curve in (("Idle", flat_curve()), ("Holder", moving_curve())):
        for pair in ("BTC/USDT", "ETH/USDT"):
            metrics = compute_metrics(curve, NO_TRADES)
            rows.append({"strategy": strategy, "pair": pair, "period": "whole", **metrics})
    # as the report and a reader of summary.json see them: NaN written as null
    return json.loads(json.dumps(_finite(rows)))


def test_ranking_shows_a_dash_for_an_undefined_sharpe() -> None:
    table = ranking(records())
    assert table["strategy"].tolist() == ["Holder", "Idle"]  # undefined last
    console = Console(record=True, width=120)
    console.print(ranking_table(records(), "ranking"))
    idle = next(line for line in console.export_text().splitlines() if "Idle" in line)
    assert "—" in idle and "-100" not in idle and "nan" not in idle.lower()
    html = _html_table(table)
    assert "—" in html and "-100" not in html and "nan" not in html.lower()


def test_a_sharpe_undefined_on_one_pair_leaves_the_mean_undefined() -> None:
    rows = records()
    rows[0]["sharpe"] = 1.5  # Idle on BTC/USDT: defined, on ETH/USDT: not
    assert math.isnan(ranking(rows).set_index("strategy").loc["Idle", "sharpe"])
