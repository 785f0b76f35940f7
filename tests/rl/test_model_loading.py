"""A saved model that cannot be used stops the backtest with its file and the reason: a
truncated archive, and a model fitted on other features (refused before FreqAI's pipeline)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.freqtrade_cli import PROJECT_ROOT, run_offline

TIMERANGE = "20221001-20221016"  # one 15-day window, trained on the 30 days before
TINY = {
    "identifier": "loading",
    "save_backtest_models": True,
    "train_period_days": 30,
    "backtest_period_days": 15,
    "rl_config": {"train_cycles": 2, "progress_bar": False},
}


@pytest.fixture(scope="module")
def trained(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A userdir with the window's model trained, and a pristine copy of its folder."""
    userdir = tmp_path_factory.mktemp("loading")
    (userdir / "data").symlink_to(imported)
    (userdir / "tiny.json").write_text(json.dumps({"freqai": TINY}))
    command = [
        sys.executable, "-m", "meta_agent", "train", "--config", str(PROJECT_ROOT / "config.json"),
        "--config", str(userdir / "tiny.json"), "--userdir", str(userdir),
        "--timerange", TIMERANGE, "--pairs", "BTC/USD", "--workers", "1",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    window = next((userdir / "models").glob("loading-*/sub-train-BTC_*"))
    shutil.copytree(window, userdir / "pristine")
    return userdir, window


@pytest.fixture
def window(trained: tuple[Path, Path]) -> Path:
    userdir, window = trained
    shutil.rmtree(window)
    shutil.copytree(userdir / "pristine", window)
    return window


def backtest(userdir: Path) -> str:
    args = ["backtesting", "--strategy", "MetaRL", "--pairs", "BTC/USD", "--timerange", TIMERANGE,
            "--cache", "none", "--export", "none"]  # fmt: skip
    result = run_offline(args, [PROJECT_ROOT / "config.json", userdir / "tiny.json"], userdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Starting training" not in output, "the saved model must be used, not replaced"
    return output


def test_a_truncated_model_names_its_file(trained: tuple[Path, Path], window: Path) -> None:
    archive = next(window.glob("*_model.zip"))
    archive.write_bytes(archive.read_bytes()[:100])
    output = backtest(trained[0])
    assert f"Cannot load the MetaRL model of BTC/USD from {window}" in output
    assert f"{archive.name.removesuffix('.zip')}.zip" in output


def test_a_truncated_ensemble_member_names_its_file(
    trained: tuple[Path, Path], window: Path
) -> None:
    member = next(window.glob("*_model_member2.zip"))
    member.write_bytes(b"")
    output = backtest(trained[0])
    assert "Cannot load the ensemble members of BTC/USD" in output
    assert f"ensemble member 2 ({member})" in output


def test_a_model_fitted_on_other_features_is_refused_before_the_pipeline(
    trained: tuple[Path, Path], window: Path
) -> None:
    metadata = next(window.glob("*_metadata.json"))
    data = json.loads(metadata.read_text())
    data["training_features_list"][0] = "%-gone_feature"
    metadata.write_text(json.dumps(data))
    output = backtest(trained[0])
    assert f"The model in {window} was fitted on" in output
    assert "missing %-gone_feature" in output
    assert "datasieve" not in output
