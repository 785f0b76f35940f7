"""``evaluate --workers 2`` trains MetaRL's windows as Ray tasks before its backtests; the summary
is the one ``--workers 1`` writes, where FreqAI trains inside each backtest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meta_agent.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run(imported: Path, folder: Path, workers: int) -> Path:
    """Each run keeps its models in its own user_data: nothing trained by one is reused."""
    tiny = folder / f"tiny-{workers}.json"
    (folder / f"user_data-{workers}").mkdir()
    meta = json.loads((PROJECT_ROOT / "config.json").read_text())["meta_rl"]
    tiny.write_text(
        json.dumps(
            {
                "user_data_dir": str(folder / f"user_data-{workers}"),
                "meta_rl": {**meta, "data_root": str(imported)},
                "freqai": {
                    "train_period_days": 30,
                    "backtest_period_days": 15,
                    "rl_config": {"train_cycles": 3},
                },
            }
        )
    )
    out = folder / f"workers-{workers}"
    code = main([
        "evaluate", "--config", str(PROJECT_ROOT / "config.json"), "--config", str(tiny),
        "--exchange", "binance", "--datadir", str(imported / "binance"),
        "--pairs", "BTC/USDT", "ETH/USDT", "--timerange", "20221101-20221201", "--fee", "0.004",
        "--strategies", "MetaRL", "BuyAndHold", "--out", str(out), "--workers", str(workers),
    ])  # fmt: skip
    assert code == 0
    return out


@pytest.mark.slow
def test_parallel_training_in_evaluate_gives_the_sequential_summary(
    imported: Path, tmp_path: Path
) -> None:
    sequential, parallel = run(imported, tmp_path, 1), run(imported, tmp_path, 2)
    # Two tasks (one per pair, two slots) trained every window; the backtests trained none.
    logs = sorted((parallel / "training").glob("*.log"))
    assert [log.name for log in logs] == ["BTC_USDT-part1of1.log", "ETH_USDT-part1of1.log"]
    assert all("Starting training" in log.read_text() for log in logs)
    for pair in ("BTC_USDT", "ETH_USDT"):
        backtest_log = parallel / "backtests" / "MetaRL" / pair / "freqtrade.log"
        assert "Starting training" not in backtest_log.read_text()

    def records(out: Path) -> list[dict]:
        return json.loads((out / "summary.json").read_text())["records"]

    assert records(parallel) == records(sequential)
    assert any(r["trades"] > 0 for r in records(parallel) if r["strategy"] == "MetaRL")
