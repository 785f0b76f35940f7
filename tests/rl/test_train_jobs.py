"""Parallel walk-forward training (``python -m meta_agent train``) against FreqAI's sequential
training inside the backtest: same models, same decisions, same trades, on real data."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
from freqtrade.data.btanalysis import load_backtest_stats

from meta_agent.rl.train_jobs import record_models
from meta_agent.rl.walkforward import TrainedWindow, WindowShare
from tests.freqtrade_cli import PROJECT_ROOT, run_offline

PAIRS = ["BTC/USD", "ETH/USD"]
TIMERANGE = "20221001-20221031"
# Two 15-day windows per pair (and the month's last day), each trained on the 30 days before.
TINY = {
    "save_backtest_models": True,  # config.json's: a re-run decides from the saved models
    "train_period_days": 30,
    "backtest_period_days": 15,
    "rl_config": {"train_cycles": 3, "progress_bar": False},
}


@pytest.fixture(scope="module")
def userdir(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    userdir = tmp_path_factory.mktemp("train-jobs")
    (userdir / "data").symlink_to(imported)
    return userdir


def overrides(userdir: Path, identifier: str) -> Path:
    path = userdir / f"{identifier}.json"
    path.write_text(json.dumps({"freqai": {"identifier": identifier, **TINY}}))
    return path


def train(userdir: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "meta_agent", "train",
        "--config", str(PROJECT_ROOT / "config.json"), "--config", str(config),
        "--userdir", str(userdir), "--timerange", TIMERANGE, "--pairs", *PAIRS,
        "--logs", str(userdir / "train-logs"), *extra,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, check=False
    )


def backtest(userdir: Path, config: Path, name: str) -> tuple[dict, str]:
    results = userdir / name
    results.mkdir()
    args = [
        "backtesting", "--strategy", "MetaRL", "--pairs", *PAIRS, "--timerange", TIMERANGE,
        "--cache", "none", "--export-directory", str(results),
    ]  # fmt: skip
    run = run_offline(args, [PROJECT_ROOT / "config.json", config], userdir)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    return load_backtest_stats(results)["strategy"]["MetaRL"], log


def policy_weights(path: Path) -> dict[str, torch.Tensor]:
    with zipfile.ZipFile(path) as archive:
        return torch.load(io.BytesIO(archive.read("policy.pth")), weights_only=True)


def models(userdir: Path, identifier: str) -> dict[str, Path]:
    """Every saved SB3 archive (ensemble members included), by window folder and file."""
    folder = next((userdir / "models").glob(f"{identifier}-*"))
    return {
        f"{path.parent.name}/{path.name.split('_', 2)[-1]}": path
        for path in sorted(folder.glob("sub-train-*/*.zip"))
    }


def predictions(userdir: Path, identifier: str) -> pd.DataFrame:
    files = sorted((userdir / "models").glob(f"{identifier}-*/backtesting_predictions/*.feather"))
    return pd.concat([pd.read_feather(path) for path in files], ignore_index=True)


@pytest.fixture(scope="module")
def runs(userdir: Path) -> dict[str, tuple[dict, str]]:
    """The parallel path (2 Ray workers, then the backtest) and the sequential one."""
    parallel = overrides(userdir, "parallel")
    trained = train(userdir, parallel, "--workers", "2")
    assert trained.returncode == 0, (trained.stdout + trained.stderr)[-5000:]
    assert "Trained 4 windows (0 already trained)" in trained.stdout
    return {
        "parallel": backtest(userdir, parallel, "bt-parallel"),
        "sequential": backtest(userdir, overrides(userdir, "sequential"), "bt-sequential"),
    }


def test_the_backtest_after_parallel_training_only_decides(runs: dict) -> None:
    assert "Starting training" not in runs["parallel"][1]
    assert runs["sequential"][1].count("Starting training") == 4


def test_parallel_training_gives_the_sequential_models(runs: dict, userdir: Path) -> None:
    parallel, sequential = models(userdir, "parallel"), models(userdir, "sequential")
    # Two windows x two pairs, three seeds each (the model and two more members).
    assert len(parallel) == 12
    assert parallel.keys() == sequential.keys()
    for key, path in parallel.items():
        ours, theirs = policy_weights(path), policy_weights(sequential[key])
        assert ours.keys() == theirs.keys()
        for name, tensor in ours.items():
            assert torch.equal(tensor, theirs[name]), f"{key}: {name} differs"


def test_parallel_training_gives_the_sequential_decisions_and_trades(
    runs: dict, userdir: Path
) -> None:
    pd.testing.assert_frame_equal(
        predictions(userdir, "parallel"), predictions(userdir, "sequential")
    )
    keys = ("pair", "open_date", "close_date", "amount", "open_rate", "close_rate", "profit_abs")
    trades = {
        name: [{key: trade[key] for key in keys} for trade in stats["trades"]]
        for name, (stats, _) in runs.items()
    }
    assert trades["parallel"], "the tiny run should trade"
    assert trades["parallel"] == trades["sequential"]


def test_a_second_training_reuses_every_model(runs: dict, userdir: Path) -> None:
    again = train(userdir, userdir / "parallel.json", "--workers", "1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Trained 0 windows (4 already trained)" in again.stdout


def test_a_failed_training_names_the_pair_and_its_log(tmp_path: Path, imported: Path) -> None:
    """Without 4h/1d candles the features cannot be built: the task fails with its pair."""
    (tmp_path / "data" / "kraken").mkdir(parents=True)
    for path in (imported / "kraken").glob("*-1h.feather"):
        (tmp_path / "data" / "kraken" / path.name).symlink_to(path)
    (tmp_path / "data" / "external").symlink_to(imported / "external")
    config = overrides(tmp_path, "failing")
    failed = train(tmp_path, config, "--workers", "1")
    assert failed.returncode == 1
    assert "error: Training BTC/USD (all windows) failed" in failed.stderr
    assert "train-logs/BTC_USD-part1of1.log" in failed.stderr


def test_window_shares_cover_every_window_once() -> None:
    shares = [WindowShare(part, 3) for part in range(3)]
    assert [sum(share.includes(index) for share in shares) for index in range(10)] == [1] * 10
    assert [index for index in range(7) if shares[1].includes(index)] == [1, 4]
    with pytest.raises(ValueError, match="part 3 of 3"):
        WindowShare(3, 3)


def test_recorded_models_point_at_each_pairs_newest_window(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "x-1234abcd"
    folder.mkdir(parents=True)
    (folder / "pair_dictionary.json").write_text(
        json.dumps({"XRP/USD": {"model_filename": "cb_xrp_1", "extras": {"kept": 1}}})
    )

    def window(pair: str, index: int, stamp: int) -> TrainedWindow:
        path = folder / f"sub-train-{pair[:3]}_{stamp}"
        return TrainedWindow(pair, index, f"cb_{pair[:3].lower()}_{stamp}", str(path), stamp, False)

    record_models([window("BTC/USD", 1, 200), window("BTC/USD", 0, 100), window("ETH/USD", 0, 100)])
    entries = json.loads((folder / "pair_dictionary.json").read_text())
    assert entries["BTC/USD"]["model_filename"] == "cb_btc_200"
    assert entries["BTC/USD"]["trained_timestamp"] == 200
    assert entries["ETH/USD"]["data_path"] == str(folder / "sub-train-ETH_100")
    assert entries["XRP/USD"] == {"model_filename": "cb_xrp_1", "extras": {"kept": 1}}


def test_training_into_a_file_prints_one_line_per_finished_task(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Not a terminal (CI, nohup): each task that ends prints its name, seconds and count."""
    from meta_agent.cli import main
    from meta_agent.rl import train_jobs

    monkeypatch.setattr(train_jobs, "train_share", lambda *args: [])
    argv = ["train", "--config", str(PROJECT_ROOT / "config.json"), "--timerange", TIMERANGE]
    assert main([*argv, "--pairs", *PAIRS, "--workers", "1", "--logs", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if " done in " in line]
    assert [line.split(" done in ")[0] for line in lines] == [
        "1/2 training BTC/USD",
        "2/2 training ETH/USD",
    ]


def test_one_worker_and_a_cluster_address_contradict(capsys: pytest.CaptureFixture[str]) -> None:
    from meta_agent.cli import main

    argv = ["train", "--config", "config.json", "--timerange", TIMERANGE, "--workers", "1"]
    assert main([*argv, "--address", "127.0.0.2:6379"]) == 1
    assert "drop `--address`" in capsys.readouterr().err
