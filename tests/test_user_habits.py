"""What a Freqtrade user does after a MetaRL backtest, offline through the real CLI: re-run it,
resume it after a kill, run a sub-range, add ``--enable-protections``, chart it with
``plot-dataframe`` and look at it in FreqUI (``/api/v1/pair_history`` of a real webserver)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests
from freqtrade.data.btanalysis import get_latest_backtest_filename, load_backtest_stats

from meta_agent.data.importer import import_data
from meta_agent.strategy.discovery import standalone_strategies
from tests.freqtrade_cli import PROJECT_ROOT, offline_command, run_offline

PAIR = "BTC/USD"
TIMERANGE = "20221001-20221031"
# Two 15-day windows, each trained on the 30 days before it; models saved (as config.json).
OVERRIDES = {
    "freqai": {
        "identifier": "habits",
        "train_period_days": 30,
        "backtest_period_days": 15,
        "save_backtest_models": True,
        "rl_config": {"train_cycles": 3, "progress_bar": False},
    }
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def userdir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    userdir = tmp_path_factory.mktemp("habits")
    import_data(shared_data, userdir / "data")
    (userdir / "habits.json").write_text(json.dumps(OVERRIDES))
    return userdir


def configs(userdir: Path) -> list[Path]:
    return [PROJECT_ROOT / "config.json", userdir / "habits.json"]


def backtest_args(name: str, userdir: Path, *extra: str, timerange: str = TIMERANGE) -> list[str]:
    results = userdir / name
    results.mkdir()
    return [
        "backtesting",
        "--strategy",
        "MetaRL",
        "--pairs",
        PAIR,
        "--timerange",
        timerange,
        "--cache",
        "none",
        "--export-directory",
        str(results),
        *extra,
    ]


def backtest(userdir: Path, name: str, *extra: str, timerange: str = TIMERANGE) -> str:
    """A MetaRL backtest that must succeed; returns its log."""
    args = backtest_args(name, userdir, *extra, timerange=timerange)
    result = run_offline(args, configs(userdir), userdir)
    log = result.stdout + result.stderr
    (userdir / f"{name}.log").write_text(log)
    assert result.returncode == 0, log[-5000:]
    return log


def predictions(userdir: Path) -> pd.DataFrame:
    """Every column FreqAI returns to the strategy (decisions, signals, attributions,
    ``do_predict``) per candle, as the latest backtest of each window saved them."""
    files = sorted(userdir.glob("models/habits-*/backtesting_predictions/*.feather"))
    assert files, "no saved decisions"
    frame = pd.concat([pd.read_feather(path) for path in files], ignore_index=True)
    return frame.set_index(pd.to_datetime(frame["date"], utc=True)).sort_index()


def decisions(userdir: Path) -> pd.Series:
    """``&-action`` per candle as the latest backtest of each window saved it."""
    return predictions(userdir)["&-action"]


def trades(userdir: Path, name: str) -> list[tuple[str, str, float]]:
    stats = load_backtest_stats(userdir / name / get_latest_backtest_filename(userdir / name))
    return [
        (trade["open_date"], trade["close_date"], round(trade["amount"], 8))
        for trade in stats["strategy"]["MetaRL"]["trades"]
    ]


@pytest.fixture(scope="module")
def first_run(userdir: Path) -> pd.Series:
    """The first backtest trains both windows; its decisions, as it saved them."""
    log = backtest(userdir, "first")
    assert log.count("Starting training") >= 2
    return decisions(userdir)


def test_a_rerun_decides_exactly_as_the_first_run(first_run: pd.Series, userdir: Path) -> None:
    log = backtest(userdir, "rerun")
    assert "Starting training" not in log  # both windows' models come from disk
    pd.testing.assert_series_equal(decisions(userdir), first_run)
    assert trades(userdir, "rerun") == trades(userdir, "first")


def test_a_sub_range_of_decided_windows_decides_as_the_first_run(
    first_run: pd.Series, userdir: Path
) -> None:
    """Also what Freqtrade's lookahead checks compare: a run cut mid-window (10:00, between
    daily decisions) returns every column identical on every candle both runs predicted. The
    candle at the cut itself is not predicted: FreqAI's windows end before their stop date."""
    full = predictions(userdir)
    log = backtest(userdir, "sub-range", timerange="20221001-20221022")
    assert "Starting training" not in log
    again = decisions(userdir)
    shared = again.index[again.index < pd.Timestamp("2022-10-22", tz="UTC")]
    pd.testing.assert_series_equal(again[shared], first_run[shared])
    backtest(userdir, "cut", timerange="20221001-1665655200")  # 2022-10-13 10:00 UTC
    cut = predictions(userdir)
    cut = cut[cut.index < pd.Timestamp("2022-10-16", tz="UTC")]  # the first window's file
    assert cut.index.max() == pd.Timestamp("2022-10-13 09:00", tz="UTC")
    pd.testing.assert_frame_equal(cut, full.loc[cut.index, cut.columns])


def test_protections_change_orders_not_decisions(first_run: pd.Series, userdir: Path) -> None:
    log = backtest(userdir, "protections", "--enable-protections")
    assert "Starting training" not in log
    pd.testing.assert_series_equal(decisions(userdir), first_run)


def test_a_backtest_killed_mid_way_resumes_to_the_same_decisions(
    first_run: pd.Series, userdir: Path
) -> None:
    """``kill -9`` once the first window's model is saved; the resumed run loads it, trains
    the second window again and carries the agent's state across: the first run's decisions."""
    second_window = sorted(userdir.glob("models/habits-*/sub-train-*"))[-1]
    for path in second_window.iterdir():
        path.unlink()
    second_window.rmdir()
    args = backtest_args("killed", userdir)
    command = offline_command(args, configs(userdir), userdir)
    with subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL) as process:
        while process.poll() is None and not any(second_window.glob("*_model.zip")):
            time.sleep(0.5)
        process.send_signal(signal.SIGKILL)
    for path in second_window.glob("*"):  # what the killed run left half-written
        path.unlink()
    log = backtest(userdir, "resumed")
    assert log.count("Starting training") >= 1  # the second window, whose model was deleted
    pd.testing.assert_series_equal(decisions(userdir), first_run)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def webserver(userdir: Path, first_run: pd.Series) -> Iterator[tuple[str, Path]]:
    """``freqtrade webserver`` on a loopback address with credentials; its URL and log."""
    host = "127.0.0.5"
    api = {
        "api_server": {
            "enabled": True,
            "listen_ip_address": host,
            "listen_port": free_port(host),
            "username": "habits",
            "password": os.urandom(12).hex(),
            "jwt_secret_key": os.urandom(16).hex(),
            "ws_token": os.urandom(16).hex(),
        }
    }
    (userdir / "webserver.json").write_text(json.dumps(api))
    server_configs = [*configs(userdir), userdir / "webserver.json"]
    command = offline_command(["webserver"], server_configs, userdir)
    log = userdir / "webserver.log"
    url = f"http://{host}:{api['api_server']['listen_port']}"
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=handle, stderr=handle)
    try:
        for _ in range(600):
            if process.poll() is not None:
                pytest.fail(f"webserver exited: {log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/api/v1/ping", timeout=5).json() == {"status": "pong"}:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"webserver never answered: {log.read_text()[-3000:]}")
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_freqtrades_pair_history_shows_the_backtests_own_decisions(
    webserver: tuple[str, Path], userdir: Path, first_run: pd.Series
) -> None:
    """What FreqUI's backtest chart asks for: the backtest's own decisions, not a new agent
    trained on the few candles the chart loads."""
    from freqtrade_client import FtRestClient

    url, log = webserver
    password = json.loads((userdir / "webserver.json").read_text())["api_server"]["password"]
    client = FtRestClient(url, "habits", password, timeout=900)
    # FreqUI names the result's FreqAI model; freqtrade-client would otherwise send "None".
    history = client.pair_history(PAIR, "1h", "MetaRL", TIMERANGE, freqaimodel="MetaRLModel")
    assert "data" in history, history
    columns = history["columns"]
    sources = json.loads((PROJECT_ROOT / "config.json").read_text())["meta_rl"]["sources"]
    expected = {"&-action", "do_predict", "enter_long", "exit_long"}
    expected |= {f"%%-{source}__score" for source in sources}
    expected |= {f"%%-attr_{group}" for group in [*sources, "context", "position"]}
    assert expected <= set(columns), sorted(expected - set(columns))
    frame = pd.DataFrame(history["data"], columns=columns)
    shown = frame.set_index(pd.to_datetime(frame["date"], utc=True))["&-action"]
    shown.index = shown.index.as_unit(first_run.index.unit)
    shown = shown[shown.index.isin(first_run.index)]
    assert len(shown) == len(first_run)
    pd.testing.assert_series_equal(shown, first_run, check_names=False)
    # Entry signals on the daily decision candles (23:00 open time) only, not on every candle.
    dates = pd.to_datetime(frame["date"], utc=True)
    decides = (dates.dt.hour == 23) & (frame["do_predict"] == 1) & (frame["&-action"] > 0)
    assert (frame["enter_long"].fillna(0) == 1).tolist() == decides.tolist()
    text = log.read_text()
    assert "Starting training" not in text
    assert "Traceback" not in text, text[-3000:]


def test_plot_dataframe_draws_the_backtests_decisions(first_run: pd.Series, userdir: Path) -> None:
    args = ["plot-dataframe", "--strategy", "MetaRL", "--pairs", PAIR, "--timerange", TIMERANGE]
    result_file = userdir / "first" / get_latest_backtest_filename(userdir / "first")
    result = run_offline([*args, "--export-filename", str(result_file)], configs(userdir), userdir)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "Starting training" not in log
    assert (userdir / "plot" / "freqtrade-plot-BTC_USD-1h.html").is_file()


BASELINES = ["BuyAndHold", "EqualWeightVote", "StackingBaseline", "TrendRegime"]
STANDALONE_CONFIGS = [
    PROJECT_ROOT / "config.json",
    PROJECT_ROOT / "configs" / "standalone-binance.json",
]


@pytest.mark.parametrize(
    "strategy", [*sorted(standalone_strategies(PROJECT_ROOT / "strategies")), *BASELINES]
)
def test_plot_dataframe_draws_every_standalone_strategy(strategy: str, userdir: Path) -> None:
    args = ["plot-dataframe", "--strategy", strategy, "--timerange", "20220101-20220301"]
    result = run_offline([*args, "--no-trades"], STANDALONE_CONFIGS, userdir)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert (userdir / "plot" / "freqtrade-plot-BTC_USDT-1h.html").is_file()


def test_recursive_analysis_runs_on_metarl(userdir: Path) -> None:
    """Freqtrade's recursive check passes; its indicator-lookahead check flags only columns
    FreqAI returns, on the one candle a cut run never predicts (OPERATIONS.md, section 11)."""
    analysis = {"freqai": {**OVERRIDES["freqai"], "identifier": "habits-analysis"}}
    (userdir / "analysis.json").write_text(json.dumps(analysis))
    args = ["recursive-analysis", "--strategy", "MetaRL", "--pairs", PAIR]
    args += ["--timerange", TIMERANGE, "--startup-candle", "199", "399", "499"]
    configs = [PROJECT_ROOT / "config.json", userdir / "analysis.json"]
    result = run_offline(args, configs, userdir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "No variance on indicator(s) found due to recursive formula" in output, output[-3000:]
    flagged = re.findall(r"found lookahead in indicator (\S+)", output)
    assert all(name.startswith(("%%-", "&-")) or name == "do_predict" for name in flagged)


def test_lookahead_analysis_runs_on_metarl_and_finds_no_biased_signal(
    userdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Freqtrade's lookahead check confirms every entry and exit signal. It lists as "biased"
    only the columns FreqAI returns (and the signals built from them) on the candle each of its
    cut runs ends on, which FreqAI never predicts: 0 there, the decision in the full run
    (OPERATIONS.md, section 11; every other row is held identical by the sub-range test)."""
    analysis = {"freqai": {**OVERRIDES["freqai"], "identifier": "habits-analysis"}}
    (userdir / "analysis.json").write_text(json.dumps(analysis))
    monkeypatch.setenv("COLUMNS", "1000")  # the result table on one line per strategy
    args = ["lookahead-analysis", "--strategy", "MetaRL", "--pairs", PAIR]
    args += ["--timerange", TIMERANGE, "--minimum-trade-amount", "1"]
    args += ["--targeted-trade-amount", "3"]
    result = run_offline(args, [PROJECT_ROOT / "config.json", userdir / "analysis.json"], userdir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # It sets max_open_trades to -1 (unlimited): MetaRL then gives each pair one budget.
    assert "Strategy caused the following exception" not in output, output[-4000:]
    # filename │ strategy │ has_bias │ total_signals │ biased_entry_signals │ biased_exit_signals
    row = re.search(r"│ MetaRL\.py │\s+MetaRL │\s+\w+ │\s+(\d+) │\s+(\d+) │\s+(\d+) │", output)
    assert row, output[-4000:]
    signals, biased_entries, biased_exits = (int(value) for value in row.groups())
    assert signals >= 1
    assert (biased_entries, biased_exits) == (0, 0)
    flagged = re.findall(r"found look ahead bias in column (\S+)\.", output)
    derived = {"enter_long", "exit_long", "enter_tag", "exit_tag"}
    assert all(
        name.startswith(("%%-", "&-")) or name in {"do_predict", *derived} for name in flagged
    )
