"""End to end, offline: ``freqtrade backtesting --strategy MetaRL`` on real Kraken BTC/USD."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from freqtrade.data.btanalysis import get_latest_backtest_filename, load_backtest_stats

from meta_agent.data.importer import import_data

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Small and seeded: two 15-day walk-forward windows, each trained on the 30 days before it.
TEST_OVERRIDES = {
    "freqai": {
        "identifier": "e2e-test",
        "train_period_days": 30,
        "backtest_period_days": 15,
        "rl_config": {"train_cycles": 3, "progress_bar": False},
    }
}


@pytest.fixture(scope="module")
def backtest_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    userdir = tmp_path_factory.mktemp("userdir")
    import_data(shared_data, userdir / "data")
    overrides = userdir / "overrides.json"
    overrides.write_text(json.dumps(TEST_OVERRIDES))
    command = [
        sys.executable,
        "-m",
        "meta_agent",
        "freqtrade",
        "--offline",
        "--",
        "backtesting",
        "--config",
        str(PROJECT_ROOT / "config.json"),
        "--config",
        str(overrides),
        "--userdir",
        str(userdir),
        "--strategy",
        "MetaRL",
        "--pairs",
        "BTC/USD",
        "--timerange",
        "20221001-20221031",
        "--cache",
        "none",
    ]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "Training BTC/USD raised exception" not in log, log[-5000:]
    return userdir / "backtest_results"


def test_backtest_writes_a_result_file(backtest_dir: Path) -> None:
    latest = get_latest_backtest_filename(backtest_dir)
    assert (backtest_dir / latest).is_file()


def test_backtest_makes_trades_at_kraken_fees(backtest_dir: Path) -> None:
    stats = load_backtest_stats(backtest_dir)["strategy"]["MetaRL"]
    assert stats["total_trades"] >= 1
    assert stats["pairlist"] == ["BTC/USD"]
    trade = stats["trades"][0]
    assert trade["fee_open"] == pytest.approx(0.004)
