"""``evaluate --workers 2`` (Ray tasks) writes what ``--workers 1`` writes; a failing backtest stops
it with its strategy and pair named."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from meta_agent.cli import main
from meta_agent.evaluation.plan import make_plan
from meta_agent.evaluation.run import evaluate
from meta_agent.rl.parallel import TaskFailedError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Cheap strategies (no training): the test is about the engine, not about MetaRL.
STRATEGIES = ["BuyAndHold", "TrendMA", "EqualWeightVote"]


def run(imported: Path, folder: Path, workers: int) -> Path:
    out = folder / f"workers-{workers}"
    code = main([
        "evaluate", "--config", str(PROJECT_ROOT / "config.json"),
        "--config", str(folder / "data.json"), "--exchange", "binance",
        "--datadir", str(imported / "binance"), "--pairs", "BTC/USDT", "ETH/USDT",
        "--timerange", "20221101-20221201", "--fee", "0.004",
        "--strategies", *STRATEGIES, "--out", str(out), "--workers", str(workers),
    ])  # fmt: skip
    assert code == 0
    return out


@pytest.mark.slow
def test_parallel_evaluate_writes_what_the_sequential_one_writes(
    imported: Path, tmp_path: Path
) -> None:
    meta = json.loads((PROJECT_ROOT / "config.json").read_text())["meta_rl"]
    (tmp_path / "data.json").write_text(
        json.dumps({"meta_rl": {**meta, "data_root": str(imported)}})
    )
    sequential, parallel = run(imported, tmp_path, 1), run(imported, tmp_path, 2)

    summary = (sequential / "summary.json").read_text()
    assert (parallel / "summary.json").read_text() == summary
    records = json.loads(summary)["records"]
    assert {(r["strategy"], r["pair"]) for r in records} == {
        (s, p) for s in STRATEGIES for p in ("BTC/USDT", "ETH/USDT")
    }
    assert any(r["trades"] > 0 for r in records if r["strategy"] == "TrendMA")

    def report(out: Path) -> str:  # plotly names each chart's <div> with a random UUID
        html = (out / "report.html").read_text()
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", html)

    assert report(parallel) == report(sequential)


@pytest.mark.slow
def test_a_failing_backtest_stops_evaluate_naming_strategy_and_pair(
    imported: Path, tmp_path: Path
) -> None:
    plan = make_plan(
        configs=[PROJECT_ROOT / "config.json"],
        datadir=imported / "binance",
        pairs=["BTC/USDT"],
        timerange="20221101-20221201",
        out=tmp_path / "out",
        exchange="binance",
        strategies=["BuyAndHold"],
    )
    plan = dataclasses.replace(plan, strategies=["NoSuchStrategy"])  # fails inside Freqtrade
    with pytest.raises(TaskFailedError) as err:
        evaluate(plan, ["evaluate", "(test)"], workers=2)
    message = str(err.value)
    assert message.startswith("Task 'NoSuchStrategy on BTC/USDT' failed: EvaluationRunError: ")
    assert "Backtest of NoSuchStrategy on BTC/USDT failed" in message and "freqtrade.log" in message
    assert not (tmp_path / "out" / "summary.json").exists(), "no partial result"
