"""The ablation harness: real walk-forward runs of tiny variants on one fold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from meta_agent.evaluation.ablation import Variant, metrics, run_ablation

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_metrics_of_holding_one_day() -> None:
    close = np.array([100.0, 110.0, 99.0])
    daily = np.array([True, False, True])
    figures = metrics(np.ones(3), close, daily, fee=0.01)
    assert figures["total_return"] == pytest.approx(1.10 * (1 - 0.01 / 1.10) * 0.9 - 1)
    assert figures["round_trips_per_year"] > 0
    assert figures["time_in_market"] == 1.0


def test_tiny_ablation_reports_every_variant(imported: Path, tmp_path: Path) -> None:
    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    config["user_data_dir"] = str(imported.parent)
    config["meta_rl"]["sources"] = ["trend-v1", "fear_greed-v1"]
    variants = (
        Variant("hold", policy="hold"),
        Variant("base", policy="base"),
        Variant("tiny gated", base=True, seeds_per_agent=2, gate=True, steps=128),
    )
    table = run_ablation(
        config,
        imported / "binance",
        ["BTC/USDT"],
        [2022],
        seeds=1,
        out=tmp_path,
        retrain_days=180,
        workers=1,
        variants=variants,
    )
    assert list(table["variant"]) == ["hold", "base", "tiny gated (no gate)", "tiny gated"]
    candles = pd.read_feather(imported / "binance" / "BTC_USDT-1h.feather")
    year = candles[candles["date"].dt.year == 2022]["close"].to_numpy()
    hold = table.set_index("variant").loc["hold"]
    # The entry fee comes off the first hour's return; then the price path is held.
    first_hour = year[1] / year[0] - 0.004
    assert hold["total_return"] == pytest.approx(first_hour * year[-1] / year[1] - 1, rel=1e-9)
    runs = json.loads((tmp_path / "runs.json").read_text())["runs"]
    gated = [run for run in runs if run["variant"] == "tiny gated"]
    # One gate per 180-day window: 2022-01-01, 06-30 and 12-27 (the last five days).
    assert len(gated[0]["gate_used_agent"]) == 3
    assert (tmp_path / "ablation.md").read_text().count("|") > 10
