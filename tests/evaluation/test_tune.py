"""``python -m meta_agent tune``: Ray Tune trials scored on inner validation slices only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from freqtrade.misc import deep_merge_dicts

from meta_agent.config import MetaRLConfig
from meta_agent.evaluation.ablation import Variant, load_pair, walk_forward
from meta_agent.evaluation.tune import SearchSettings, best_config, run_search, window_count

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((PROJECT_ROOT / "config.json").read_text())
TINY_SPACE = {
    "decision_every": [24, 72],
    "band": [0.1, 0.25],
    "turnover_penalty": [0.0, 0.004],
    "steps": [256, 512],
    "net_arch": [[16], [32, 32]],
    "model_type": ["PPO", "A2C"],
}


def config_for(imported: Path) -> dict:
    return deep_merge_dicts(
        {"meta_rl": {"sources": ["trend-v1"], "data_root": str(imported)}},
        json.loads(json.dumps(CONFIG)),
    )


def test_validation_slices_end_before_the_window_they_choose_for(imported: Path) -> None:
    data = load_pair(config_for(imported), imported / "binance", "BTC/USDT", ["trend-v1"])
    variant = Variant("v", decision_every=72, train_days=120)
    windows = list(walk_forward(data, variant, 2022, retrain_days=180))
    assert len(windows) == window_count(2022, 180) == 3
    assert [w.start for w in windows] == [
        pd.Timestamp("2022-01-01", tz="UTC"),
        pd.Timestamp("2022-06-30", tz="UTC"),
        pd.Timestamp("2022-12-27", tz="UTC"),
    ]
    for window in windows:
        fit, val, trade = (
            data.dates.iloc[r] for r in (window.fit_rows, window.val_rows, window.trade_rows)
        )
        assert fit.max() < val.min() and val.max() < window.start <= trade.min()
        assert len(val) == pytest.approx(0.25 * len(fit), abs=1)
    assert data.dates.iloc[windows[-1].val_rows].max() < pd.Timestamp("2023-01-01", tz="UTC")


def test_best_design_is_a_config_freqtrade_and_metarl_accept() -> None:
    settings = SearchSettings(folds=(2021, 2022), train_days=730, test_size=0.2)
    trial = {
        "decision_every": 72, "band": 0.1, "turnover_penalty": 0.008, "steps": 40_000,
        "net_arch": [128, 128], "model_type": "A2C",
    }  # fmt: skip
    best = best_config(trial, settings)
    # 730 days x 80 % at one decision per 72 h: 194.7 decision steps; 40 000 steps = 205 passes.
    assert best["freqai"]["rl_config"]["train_cycles"] == 205
    merged = deep_merge_dicts(best, json.loads(json.dumps(CONFIG)))
    assert merged["freqai"]["rl_config"]["model_reward_parameters"]["drawdown_penalty"] == 0.5
    meta = MetaRLConfig.from_freqtrade(merged)
    assert meta.decision_every == 72 and meta.rebalance_threshold == 0.1


def test_a_tiny_search_writes_its_table_and_best_design(imported: Path, tmp_path: Path) -> None:
    settings = SearchSettings(folds=(2022,), seeds=1, retrain_days=180, train_days=120)
    table = run_search(
        config_for(imported), imported / "binance", ["BTC/USDT"], settings, tmp_path,
        samples=3, space=TINY_SPACE, workers=2,
    )  # fmt: skip
    assert len(table) == 3
    assert table["windows"].between(1, 3).all()  # ASHA may stop a trial after 1 of 3 windows
    assert (table["stopped_early"] == (table["windows"] < 3)).all()
    assert np.isfinite(table["val_sharpe"]).all() and np.isfinite(table["base_val_sharpe"]).all()
    assert (table["val_sharpe"] >= table["worst_seed_val_sharpe"] - 1e-12).all()
    written = json.loads((tmp_path / "trials.json").read_text())
    assert len(written["trials"]) == 3 and written["settings"]["folds"] == [2022]
    best = json.loads((tmp_path / "best.json").read_text())
    top = table.iloc[0]
    assert best["meta_rl"]["decision_every"] == top["decision_every"]
    assert best["freqai"]["rl_config"]["model_type"] == top["model_type"]
    assert "decision_every |" in (tmp_path / "tune.md").read_text()
