"""``python -m meta_agent evaluate``: MetaRL and its baselines, real backtests, one report.

Each strategy x pair is one offline Freqtrade backtest with its own wallet (a subprocess, so
FreqAI's and Freqtrade's state never leaks from one run to the next) and the same data, fee,
stake and timerange. A pair's figures are therefore its own: with a shared wallet, one pair's
stakes would grow and shrink with the other pair's results. With ``--portfolio`` each strategy
is instead one backtest over all pairs in one wallet (1/N of it per pair, the rest in cash),
reported as the pair ``portfolio``. Metrics come from each run's exported trades
(:mod:`meta_agent.evaluation.metrics`).

The backtests run one after another in this process, or as Ray tasks on every core or on a
cluster (:mod:`meta_agent.rl.parallel`). With Ray, MetaRL's walk-forward trainings are tasks of
their own (:mod:`meta_agent.rl.train_jobs`), run beside the other backtests; MetaRL's backtests
follow and only decide from the trained models. Either way the summary and the report are the
same: the same seeds train the same models, and the records are assembled in the plan's order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
from freqtrade.data.btanalysis import load_backtest_stats
from freqtrade.data.history import load_pair_history
from rich.console import Console
from rich.table import Table

from meta_agent.data.importer import pair_stem
from meta_agent.errors import MetaRLError
from meta_agent.evaluation.gate_record import BOOK, gate_record
from meta_agent.evaluation.metrics import (
    compute_metrics,
    equity_curve,
    fills_from_trades,
    portfolio_curve,
    trade_table,
    window,
)
from meta_agent.evaluation.plan import FREQAI_STRATEGIES, PORTFOLIO, Plan
from meta_agent.offline import backtest_command
from meta_agent.progress import TaskProgress
from meta_agent.rl.parallel import Job, call_process, ray_session, run_tasks
from meta_agent.rl.train_jobs import TrainingPlan, record_models, shares_per_pair, train_share
from meta_agent.rl.walkforward import TrainedWindow


class EvaluationRunError(MetaRLError, RuntimeError):
    """A backtest of the evaluation failed; the message names it and points at its log."""


def freqai_lock(plan: Plan, strategy: str) -> str | None:
    """What two backtests running at once must not share, if anything.

    A FreqAI strategy's backtests of one evaluation (one per pair) share its identifier folder.
    They write their models, predictions and attribution into per-pair sub-folders, so they can
    run at once; but with ``freqai.save_backtest_models`` each also rewrites the folder's
    ``pair_dictionary.json`` with only its own pair after every training, erasing the other's
    entries (or handing a half-written file to one that starts): then they run one at a time.
    """
    if strategy not in FREQAI_STRATEGIES:
        return None
    saves_models = plan.config.get("freqai", {}).get("save_backtest_models", False)
    return f"freqai-{strategy}" if saves_models else None


def backtest_args(plan: Plan, strategy: str, pair: str) -> list[str]:
    """The ``freqtrade backtesting`` arguments of one strategy on one pair, without where the
    results go (writes the pair's config overrides): a MetaRL pair's trainings get the same."""
    folder = result_folder(plan, strategy, pair)
    folder.mkdir(parents=True, exist_ok=True)
    override_file = folder / "overrides.json"
    override_file.write_text(json.dumps(plan.overrides(pair, strategy)))
    configs = [arg for path in plan.configs for arg in ("--config", str(path))]
    return [
        *configs, "--config", str(override_file),
        "--strategy", strategy,
        "--datadir", str(plan.datadir),
        "--timerange", plan.timerange,
        "--fee", str(plan.fee),
    ]  # fmt: skip


def result_folder(plan: Plan, strategy: str, pair: str) -> Path:
    return plan.out / "backtests" / strategy / pair_stem(pair)


def backtest(plan: Plan, strategy: str, pair: str) -> dict[str, Any]:
    """Run one strategy's backtest on one pair with its own wallet; returns Freqtrade's stats."""
    folder = result_folder(plan, strategy, pair)
    command = backtest_command([
        *backtest_args(plan, strategy, pair),
        "--export-directory", str(folder),
        "--cache", "none",
    ])  # fmt: skip
    log = folder / "freqtrade.log"
    with log.open("w") as handle:
        returncode = call_process(command, handle)
    if returncode != 0:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        last = f" ({lines[-1].strip()})" if lines else ""
        raise EvaluationRunError(f"Backtest of {strategy} on {pair} failed{last}; see {log}.")
    return load_backtest_stats(folder)["strategy"][strategy]


def _call(function: Callable[..., Any], *args: Any) -> Any:
    """A Ray task of either kind: a MetaRL training share or a backtest."""
    return function(*args)


def backtest_jobs(plan: Plan, keys: list[tuple[str, str]]) -> list[Job]:
    return [
        Job(f"{strategy} on {pair}", (backtest, plan, strategy, pair), freqai_lock(plan, strategy))
        for strategy, pair in keys
    ]


def metarl_trainings(plan: Plan, slots: int) -> list[Job]:
    """MetaRL's walk-forward trainings as tasks (:mod:`meta_agent.rl.train_jobs`), with the
    arguments of each pair's backtest, so that the backtest finds every model trained."""
    if "MetaRL" not in plan.strategies:
        return []
    if plan.config.get("meta_rl", {}).get("base") == "book":
        # The pooled design trains one ensemble per window inside the backtest, once for all
        # pairs (meta_agent.rl.portfolio.pooled): nothing to split into tasks.
        return []
    parts = shares_per_pair(slots, len(plan.pairs))
    jobs = []
    for pair in plan.pairs:
        unit = PORTFOLIO if plan.portfolio else pair
        training = TrainingPlan(
            tuple(backtest_args(plan, "MetaRL", unit)), (pair,), plan.out / "training"
        )
        jobs += [Job(job.name, (train_share, *job.args)) for job in training.jobs(parts)]
    return jobs


def _closes(plan: Plan, pair: str) -> pd.Series:
    """The pair's 1h closes from the start through the candle at the end, where Freqtrade's
    backtest force-exits what is still open (so the curve pays that exit's fee)."""
    candles = load_pair_history(pair, "1h", plan.datadir, data_format="feather")
    candles = candles[(candles["date"] >= plan.start) & (candles["date"] <= plan.end)]
    return candles.set_index("date")["close"]


def pair_curve(plan: Plan, stats: dict[str, Any], pair: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The equity curve of one backtest's wallet and its closed trades: one pair's, or the
    ``portfolio``'s over all pairs (its ``close`` column is the first pair's)."""
    wallet = stats["starting_balance"]
    if pair == PORTFOLIO:
        closes = {name: _closes(plan, name) for name in plan.pairs}
        by_pair = {
            name: fills_from_trades([t for t in stats["trades"] if t["pair"] == name])
            for name in plan.pairs
        }
        curve = portfolio_curve(closes, by_pair, wallet)
        first = closes[plan.pairs[0]].reindex(curve["date"]).ffill()
        curve["close"] = first.to_numpy()
        return curve, trade_table(stats["trades"])
    close = _closes(plan, pair)
    trades = [t for t in stats["trades"] if t["pair"] == pair]
    curve = equity_curve(close, fills_from_trades(trades), wallet)
    curve["close"] = close.to_numpy()
    return curve, trade_table(trades)


def periods(plan: Plan) -> list[tuple[str, str, str]]:
    """(name, start, end): the whole timerange, each fold, each calendar year and each stress
    window inside it."""
    whole = [("whole", f"{plan.start:%Y-%m-%d}", f"{plan.end:%Y-%m-%d}")]
    folds = [(f"fold-{i + 1}", a, b) for i, (a, b) in enumerate(plan.folds())]
    stress = [(name, a, b) for name, (a, b) in plan.stress_windows().items()]
    return whole + folds + plan.years() + stress


def pair_records(
    plan: Plan, strategy: str, pair: str, curve: pd.DataFrame, trades: pd.DataFrame
) -> list[dict[str, Any]]:
    """One summary record per period (whole, folds, stress windows) of one backtest."""
    records = []
    for name, start, end in periods(plan):
        metrics = (
            compute_metrics(curve, trades) if name == "whole" else window(curve, trades, start, end)
        )
        records.append(
            {"strategy": strategy, "pair": pair, "period": name, "start": start, "end": end,
             **metrics}
        )  # fmt: skip
    return records


def evaluate(
    plan: Plan,
    argv: list[str],
    console: Console | None = None,
    workers: int | None = 1,
    address: str | None = None,
) -> dict[str, Any]:
    """Run every backtest, write ``summary.json`` and ``report.html``; return the summary.

    Args:
        workers: Backtests at once. 1 runs them one after another in this process, without
            Ray; more run them as Ray tasks; ``None``: one per core, or per CPU of the cluster.
        address: A Ray cluster to run them on (default ``RAY_ADDRESS``, else a local Ray).
    """
    from meta_agent.evaluation.report import write_report

    console = console or Console()
    plan.out.mkdir(parents=True, exist_ok=True)
    keys = [(strategy, unit) for strategy in plan.strategies for unit, _ in plan.units()]
    results: dict[tuple[str, str], tuple[pd.DataFrame, list[dict[str, Any]]]] = {}
    with ExitStack() as stack:
        slots = 1 if workers == 1 else stack.enter_context(ray_session(workers, address))
        progress = stack.enter_context(
            TaskProgress(console, "backtests", total=len(keys), verb="backtesting")
        )

        def collect(strategy: str, pair: str, stats: dict[str, Any]) -> None:
            curve, trades = pair_curve(plan, stats, pair)
            results[(strategy, pair)] = (curve, pair_records(plan, strategy, pair, curve, trades))

        if workers == 1:
            for strategy, pair in keys:
                name = f"{strategy} on {pair}"
                progress.running([name])
                collect(strategy, pair, backtest(plan, strategy, pair))
                progress.finished(name)
            progress.running([])
        else:
            # MetaRL's trainings first, as tasks of their own, beside the other backtests;
            # then MetaRL's backtests, which only decide from the trained models.
            trainings = metarl_trainings(plan, slots)
            progress.set_total(len(keys) + len(trainings))
            windows: list[TrainedWindow] = []

            def done(job: Job, result: Any) -> None:
                function, *args = job.args
                if function is train_share:
                    windows.extend(result)
                else:
                    collect(args[1], args[2], result)
                progress.finished(job.name)

            def show(running: list[Job]) -> None:
                progress.running([job.name for job in running])

            later = [key for key in keys if trainings and key[0] == "MetaRL"]
            # FreqAI's (training) first: the longest start while the short ones fill the slots.
            first = sorted(
                (key for key in keys if key not in later),
                key=lambda key: key[0] not in FREQAI_STRATEGIES,
            )
            run_tasks(_call, [*trainings, *backtest_jobs(plan, first)], slots, done, show)
            record_models(windows)
            run_tasks(_call, backtest_jobs(plan, later), slots, done, show)
    records = [record for key in keys for record in results[key][1]]
    curves = {key: results[key][0] for key in keys}
    summary = {
        "command": argv,
        "config_hash": plan.config_hash,
        "exchange": plan.exchange,
        "fee": plan.fee,
        "timerange": plan.timerange,
        "data_span": plan.data_span,
        "portfolio": plan.portfolio,
        "late_pairs": plan.late_pairs,
        "records": records,
    }
    gate = gate_record(plan, records)
    if gate is not None:
        summary["gate"] = gate
        console.print(
            f"validation gate: opened {gate['opened']} of {gate['windows']} windows; "
            f"{gate['opened_beat_book']} of {gate['opened_compared']} opened beat {BOOK} there"
        )
    (plan.out / "summary.json").write_text(json.dumps(_finite(summary), indent=1, default=str))
    write_report(plan, summary, curves, plan.out / "report.html")
    where = (
        f"one wallet over {len(plan.pairs)} pairs"
        if plan.portfolio
        else f"mean over {', '.join(plan.pairs)}"
    )
    title = f"Ranking by Sharpe, {plan.timerange}, {where}"
    console.print(ranking_table(records, title))
    console.print(f"summary: {plan.out / 'summary.json'}   report: {plan.out / 'report.html'}")
    return summary


def ranking_table(records: list[dict[str, Any]], title: str) -> Table:
    """The terminal's ranking: "—" for a figure that is undefined (a strategy that never
    traded has no Sharpe)."""
    from meta_agent.evaluation.report import figure_text, ranking

    table = Table(title=title)
    for column in ("strategy", "total return", "Sharpe", "max drawdown", "trades"):
        table.add_column(column)
    for row in ranking(records).itertuples():
        table.add_row(
            row.strategy, figure_text(row.total_return, "+.1%"), figure_text(row.sharpe, ".2f"),
            figure_text(row.max_drawdown, ".1%"), f"{row.trades:.0f}",
        )  # fmt: skip
    return table


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (e.g. profit factor without a loss)."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
