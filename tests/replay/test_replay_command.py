"""``python -m meta_agent replay``: a replay exchange for a manual dry-run, as a user starts it."""

from __future__ import annotations

import json
import pickle
import shlex
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ccxt
import pandas as pd
import pytest

from meta_agent.errors import ReplayError
from meta_agent.replay.session import check_span, recorded_candles
from tests.conftest import PROJECT_ROOT

START = datetime(2022, 11, 5, tzinfo=UTC)
HOURS = 6
# Tiny live training, hourly decisions and an API server on its own port, laid over config.json.
TINY = {
    "freqai": {
        "identifier": "manual-replay",
        "train_period_days": 30,
        "live_retrain_hours": 24,
        "model_training_parameters": {"n_steps": 128, "batch_size": 32},
        "rl_config": {"net_arch": [16, 16], "train_cycles": 2, "progress_bar": False},
    },
    "meta_rl": {"decision_every": 1, "base": None, "validation_gate": False},
    "api_server": {"enabled": False},
    "internals": {"process_throttle_secs": 1},
}


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    command: list[str]
    userdir: Path


@pytest.fixture
def served(imported: Path, tmp_path: Path) -> Iterator[Served]:
    userdir = tmp_path / "user_data"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meta_agent",
            "replay",
            "--start",
            START.strftime("%Y-%m-%d"),
            "--hours",
            str(HOURS),
            "--datadir",
            str(imported),
            "--userdir",
            str(userdir),
            "--port",
            "0",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # until the printed trade command
        lines.append(line)
        if "--replay" in line:
            break
    try:
        command = shlex.split(lines[-1])
        assert command[:5] == ["python", "-m", "meta_agent", "freqtrade", "--replay"], lines
        yield Served(process, command[5], command, userdir)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def test_the_command_prepares_history_up_to_the_start_and_serves_kraken(served: Served) -> None:
    start = pd.Timestamp(START)
    for path in (served.userdir / "data" / "kraken").glob("*.feather"):
        frame = pd.read_feather(path)
        assert not frame.empty and frame["date"].max() < start, path
    assert {p.name for p in (served.userdir / "data" / "kraken").glob("*-1h.feather")} == {
        "BTC_USD-1h.feather",
        "ETH_USD-1h.feather",
    }
    for path in (served.userdir / "data" / "external").glob("*.feather"):
        frame = pd.read_feather(path)
        if "available_at" in frame:
            assert frame["available_at"].max() <= start, path
    overlay = json.loads((served.userdir / "replay.json").read_text())
    assert overlay["exchange"]["pair_whitelist"] == ["BTC/USD", "ETH/USD"]
    assert overlay["exchange"]["ccxt_config"]["urls"]["api"]["public"] == served.url
    assert overlay["meta_rl"]["live_feeds"]["providers"] == ["fear_greed"]
    configs = [served.command[i + 1] for i, arg in enumerate(served.command) if arg == "--config"]
    assert configs == ["config.json", str(served.userdir / "replay.json")]

    kraken = ccxt.kraken({"urls": {"api": {"public": served.url, "private": served.url}}})
    candles = kraken.fetch_ohlcv("BTC/USD", "1h", limit=3)
    # The clock stands at the start: the candle opening then is in progress, none later.
    assert candles[-1][0] == int(START.timestamp() * 1000)


def test_ctrl_c_stops_the_exchange(served: Served) -> None:
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=60) == 0
    assert served.process.stderr is not None
    assert "Stopped at 2022-11-05 00:00 UTC" in served.process.stderr.read()


def test_a_span_the_recording_does_not_cover_is_refused(imported: Path) -> None:
    candles = recorded_candles(imported, ["BTC/USD"])
    with pytest.raises(ReplayError, match="BTC/USD"):
        check_span(candles, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))
    with pytest.raises(ReplayError, match="XRP/USD"):
        recorded_candles(imported, ["XRP/USD"])


def test_the_command_names_a_span_without_data_in_one_line(imported: Path, tmp_path: Path) -> None:
    """As a user meets it: the imported Kraken candles end in January 2023."""
    command = [sys.executable, "-m", "meta_agent", "replay", "--start", "2023-03-10T12:00"]
    command += ["--hours", "5", "--datadir", str(imported), "--userdir", str(tmp_path / "r")]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error: The recorded candles of BTC/USD span" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_printed_trade_command_runs_the_bot_to_the_end(served: Served) -> None:
    """The dry-run bot trains, decides every replayed candle and stops at the end (exit 0)."""
    tiny = served.userdir / "tiny.json"
    tiny.write_text(json.dumps(TINY))
    command = [sys.executable, *served.command[1:], "--config", str(tiny)]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    (path,) = (served.userdir / "models").glob("manual-replay-*/historic_predictions.pkl")
    with path.open("rb") as handle:
        predictions = pickle.load(handle)
    for pair in ("BTC/USD", "ETH/USD"):
        decided = predictions[pair]
        decided = decided[decided["do_predict"] == 1]["date_pred"]
        assert decided.max() >= pd.Timestamp(START) + pd.Timedelta(hours=HOURS - 2), pair
    with sqlite3.connect(served.userdir / "trades.sqlite") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"trades", "orders", "pairlocks"} <= tables  # the --db-url the command printed
