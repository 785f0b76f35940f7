"""``python -m meta_agent evaluate``: MetaRL and its baselines, real backtests, one report.

Each strategy x pair is one offline Freqtrade backtest with its own wallet (a subprocess, so
FreqAI's and Freqtrade's state never leaks from one run to the next) and the same data, fee,
stake and timerange. A pair's figures are therefore its own: with a shared wallet, one pair's
stakes would grow and shrink with the other pair's results. Metrics come from each run's
exported trades (:mod:`meta_agent.evaluation.metrics`).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pandas as pd
from freqtrade.data.btanalysis import load_backtest_stats
from freqtrade.data.history import load_pair_history
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from meta_agent.evaluation.metrics import (
    compute_metrics,
    equity_curve,
    fills_from_trades,
    trade_table,
    window,
)
from meta_agent.evaluation.plan import Plan

FREQAI_STRATEGIES = ("MetaRL", "StockRL")


class EvaluationRunError(RuntimeError):
    """A backtest of the evaluation failed; the message points at its log."""


def backtest(plan: Plan, strategy: str, pair: str) -> dict[str, Any]:
    """Run one strategy's backtest on one pair with its own wallet; returns Freqtrade's stats."""
    folder = plan.out / "backtests" / strategy / pair.replace("/", "_").replace(":", "_")
    folder.mkdir(parents=True, exist_ok=True)
    override_file = folder / "overrides.json"
    override_file.write_text(json.dumps(plan.overrides(pair, strategy)))
    configs = [arg for path in plan.configs for arg in ("--config", str(path))]
    command = [
        sys.executable, "-m", "meta_agent", "freqtrade", "--offline", "--", "backtesting",
        *configs, "--config", str(override_file),
        "--strategy", strategy,
        "--datadir", str(plan.datadir),
        "--timerange", plan.timerange,
        "--fee", str(plan.fee),
        "--export-directory", str(folder),
        "--cache", "none",
    ]  # fmt: skip
    log = folder / "freqtrade.log"
    with log.open("w") as handle:
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise EvaluationRunError(f"Backtest of {strategy} on {pair} failed; see {log}.")
    return load_backtest_stats(folder)["strategy"][strategy]


def pair_curve(plan: Plan, stats: dict[str, Any], pair: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pair's equity curve on its own wallet, and its closed trades."""
    candles = load_pair_history(pair, "1h", plan.datadir, data_format="feather")
    candles = candles[(candles["date"] >= plan.start) & (candles["date"] < plan.end)]
    trades = [t for t in stats["trades"] if t["pair"] == pair]
    wallet = stats["starting_balance"]
    curve = equity_curve(candles.set_index("date")["close"], fills_from_trades(trades), wallet)
    curve["close"] = candles["close"].to_numpy()
    return curve, trade_table(trades)


def periods(plan: Plan) -> list[tuple[str, str, str]]:
    """(name, start, end): the whole timerange, each fold, each stress window inside it."""
    whole = [("whole", f"{plan.start:%Y-%m-%d}", f"{plan.end:%Y-%m-%d}")]
    folds = [(f"fold-{i + 1}", a, b) for i, (a, b) in enumerate(plan.folds())]
    stress = [(name, a, b) for name, (a, b) in plan.stress_windows().items()]
    return whole + folds + stress


def evaluate(plan: Plan, argv: list[str], console: Console | None = None) -> dict[str, Any]:
    """Run every backtest, write ``summary.json`` and ``report.html``; return the summary."""
    from meta_agent.evaluation.report import ranking, write_report

    console = console or Console()
    plan.out.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    curves: dict[tuple[str, str], pd.DataFrame] = {}
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("backtests", total=len(plan.strategies) * len(plan.pairs))
        for strategy in plan.strategies:
            for pair in plan.pairs:
                progress.update(task, description=f"backtesting {strategy} on {pair}")
                stats = backtest(plan, strategy, pair)
                curve, trades = pair_curve(plan, stats, pair)
                curves[(strategy, pair)] = curve
                for name, start, end in periods(plan):
                    metrics = (
                        compute_metrics(curve, trades)
                        if name == "whole"
                        else window(curve, trades, start, end)
                    )
                    records.append(
                        {"strategy": strategy, "pair": pair, "period": name,
                         "start": start, "end": end, **metrics}
                    )  # fmt: skip
                progress.advance(task)
    summary = {
        "command": argv,
        "config_hash": plan.config_hash,
        "exchange": plan.exchange,
        "fee": plan.fee,
        "timerange": plan.timerange,
        "data_span": plan.data_span,
        "records": records,
    }
    (plan.out / "summary.json").write_text(json.dumps(_finite(summary), indent=1, default=str))
    write_report(plan, summary, curves, plan.out / "report.html")
    table = Table(title=f"Ranking by Sharpe, {plan.timerange}, mean over {', '.join(plan.pairs)}")
    for column in ("strategy", "total return", "Sharpe", "max drawdown", "trades"):
        table.add_column(column)
    for row in ranking(records).itertuples():
        table.add_row(
            row.strategy, f"{row.total_return:+.1%}", f"{row.sharpe:.2f}",
            f"{row.max_drawdown:.1%}", f"{row.trades:.0f}",
        )  # fmt: skip
    console.print(table)
    console.print(f"summary: {plan.out / 'summary.json'}   report: {plan.out / 'report.html'}")
    return summary


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (e.g. profit factor without a loss)."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
