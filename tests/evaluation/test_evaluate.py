"""End to end on a short real window, and bad input stopping before any backtest."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from rich.console import Console

from meta_agent.evaluation.metrics import METRICS
from meta_agent.evaluation.plan import EvaluationInputError, all_strategies, make_plan
from meta_agent.evaluation.run import evaluate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "freqai": {
        "identifier": "eval-test",
        "train_period_days": 30,
        "backtest_period_days": 15,
        "rl_config": {"train_cycles": 2, "progress_bar": False},
    }
}


@pytest.fixture(scope="module")
def setup(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("evaluate")
    (folder / "user_data").mkdir()
    small = folder / "small.json"
    small.write_text(json.dumps({**SMALL, "user_data_dir": str(folder / "user_data")}))
    # The sources read the external store and the reference market from the import.
    meta = json.loads((PROJECT_ROOT / "config.json").read_text())["meta_rl"]
    (folder / "data.json").write_text(json.dumps({"meta_rl": {**meta, "data_root": str(imported)}}))
    return {
        "configs": [PROJECT_ROOT / "config.json", small, folder / "data.json"],
        "datadir": imported / "binance",
        "out": folder / "out",
    }


@pytest.fixture(scope="module")
def summary(setup: dict) -> dict:
    plan = make_plan(
        configs=setup["configs"],
        datadir=setup["datadir"],
        pairs=["BTC/USDT"],
        timerange="20221101-20221201",  # includes the FTX stress window
        out=setup["out"],
        exchange="binance",
    )
    return evaluate(plan, ["evaluate", "(test)"])


def test_every_strategy_has_every_metric_for_every_period(summary: dict) -> None:
    records = summary["records"]
    assert {r["strategy"] for r in records} == set(all_strategies(PROJECT_ROOT / "strategies"))
    periods = {r["period"] for r in records}
    assert {"whole", "fold-1", "fold-2", "ftx-2022-11"} <= periods
    for record in records:
        assert set(METRICS) <= set(record), record["strategy"]
    assert summary["fee"] == pytest.approx(0.001)  # Binance's taker fee from the snapshot
    assert summary["data_span"]["BTC/USDT"][0].startswith("2018-01-01")


def test_report_is_written_and_self_contained(summary: dict, setup: dict) -> None:
    html = (setup["out"] / "report.html").read_text()
    assert "Ranking" in html and "MetaRL" in html and "walk-forward fold" in html
    assert "Share of mean |SHAP| attribution" in html  # MetaRL's global attribution chart
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", html)
    assert json.loads((setup["out"] / "summary.json").read_text())["records"]


def test_output_to_a_file_gets_one_line_per_finished_backtest(setup: dict, tmp_path: Path) -> None:
    """Not a terminal (CI, nohup): no bar, which would print nothing until the end, but one
    line per backtest as it finishes, with its seconds and the count."""
    plan = make_plan(
        configs=setup["configs"],
        datadir=setup["datadir"],
        pairs=["BTC/USDT"],
        timerange="20221101-20221201",
        out=tmp_path / "out",
        exchange="binance",
        strategies=["BuyAndHold", "TrendMA"],
    )
    output = io.StringIO()
    console = Console(file=output)
    assert not console.is_terminal
    evaluate(plan, ["evaluate", "(test)"], console=console)
    lines = [line for line in output.getvalue().splitlines() if " done in " in line]
    assert len(lines) == 2, output.getvalue()
    expected = [("1/2", "BuyAndHold"), ("2/2", "TrendMA")]
    for line, (count, strategy) in zip(lines, expected, strict=True):
        assert re.fullmatch(rf"{count} {strategy} on BTC/USDT done in \d+\.\d s", line), line
    assert "Ranking by Sharpe" in output.getvalue()


def bad(setup: dict, **changes: object) -> str:
    request = {
        "configs": setup["configs"],
        "datadir": setup["datadir"],
        "pairs": ["BTC/USDT"],
        "timerange": "20221101-20221201",
        "out": setup["out"] / "never",
        "exchange": "binance",
        **changes,
    }
    with pytest.raises(EvaluationInputError) as err:
        make_plan(**request)  # type: ignore[arg-type]
    assert not (setup["out"] / "never").exists(), "nothing may run on bad input"
    return str(err.value)


def test_bad_inputs_stop_before_any_backtest(setup: dict, tmp_path: Path) -> None:
    assert "spans 2018-01-01..2023-12-31" in bad(setup, timerange="20240101-20240301")
    # A pair no data folder can hold (not a coin that happens to be missing from ../shared).
    message = bad(setup, pairs=["NOSUCHCOIN/USDT"])
    assert "No 1h candles for NOSUCHCOIN/USDT" in message and "download-data" in message
    empty = tmp_path / "empty-datadir"
    empty.mkdir()
    message = bad(setup, datadir=empty)
    assert "No 1h candles for BTC/USDT" in message and str(empty) in message
    assert "Did you mean TrendMA" in bad(setup, strategies=["TrendMAA"])
    no_futures = tmp_path / "nofutures.json"
    no_futures.write_text(json.dumps({"meta_rl": {"data_root": str(tmp_path)}}))
    message = bad(setup, configs=[*setup["configs"], no_futures])
    assert "need futures data" in message and "--trading-mode futures" in message


def test_cli_reports_bad_input_in_one_line(setup: dict, capsys: pytest.CaptureFixture) -> None:
    from meta_agent.cli import main

    code = main([
        "evaluate", "--config", str(PROJECT_ROOT / "config.json"), "--exchange", "binance",
        "--datadir", str(setup["datadir"]), "--pairs", "BTC/USDT",
        "--timerange", "20221101-20221201", "--strategies", "Nope",
    ])  # fmt: skip
    assert code == 1
    assert capsys.readouterr().err.startswith("error: Unknown strategy 'Nope'")
    assert sys.argv  # the CLI records the command line it was given
