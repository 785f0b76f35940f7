"""The portfolio design study end to end on three coins, and the deflated Sharpe ratio."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from meta_agent.evaluation.deflated import deflated_sharpe, expected_max_sharpe
from meta_agent.evaluation.portfolio_study import Study, run_study, trainings_for
from meta_agent.rl.portfolio.panel import build_panel

PAIRS = ["BTC/USDT", "ETH/USDT", "XRP/USDT"]


def test_more_trials_deflate_the_same_sharpe() -> None:
    rng = np.random.default_rng(0)
    returns = 0.001 + 0.01 * rng.normal(size=730)  # daily Sharpe about 0.1
    sharpes = 0.05 * rng.normal(size=20)
    assert expected_max_sharpe(1, 0.01) == 0.0
    assert expected_max_sharpe(100, 0.01) > expected_max_sharpe(10, 0.01) > 0
    one, many = deflated_sharpe(returns, 1, sharpes), deflated_sharpe(returns, 200, sharpes)
    assert one > 0.95 and many < one
    assert deflated_sharpe(0.01 * rng.normal(size=730), 1, sharpes) < 0.9


@pytest.fixture(scope="module")
def study(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    panel = build_panel(imported / "binance", PAIRS)
    trainings = [replace(t, settings=replace(t.settings, steps=1_000, n_envs=4, n_steps=64,
                                             batch_size=128, episode_length=60))
                 for t in trainings_for(1_000, sources=False, per_coin=True)]  # fmt: skip
    out = tmp_path_factory.mktemp("portfolio-study")
    study = Study(panel, trainings, [2021], seeds=2, traded=[0, 1], out=out, retrain_days=180)
    return study, run_study(study, workers=1, prior_trials=6)


def test_every_row_of_the_ablation_is_there_with_its_gate_record(study: tuple) -> None:
    plan, table = study
    assert table["row"].iloc[0] == "book alone (TrendBook)"
    for training in plan.trainings:
        for suffix in ("no gate", "bootstrap gate", "2-seed ensemble + bootstrap gate"):
            assert f"{training.name}, {suffix}" in set(table["row"])
    ungated = table[table["row"].str.endswith("no gate")]
    assert (ungated["opened"] == "4/4").all()  # 2 windows x 2 seeds, all traded
    assert table.attrs["trials"] == len(table) + 6
    assert table["deflated_sharpe"].between(0, 1).all()


def test_a_closed_gate_trades_the_book_and_a_rerun_trains_nothing(study: tuple) -> None:
    plan, table = study
    book = table.iloc[0]
    closed = table[table["opened"].isin(["0/4", "0/2"])]
    assert len(closed), "near-untrained agents (1,000 steps) should fail the gate somewhere"
    for _, row in closed.iterrows():
        assert row["sharpe"] == pytest.approx(book["sharpe"])
        assert row["total_return"] == pytest.approx(book["total_return"])
    assert plan.missing_jobs() == []
