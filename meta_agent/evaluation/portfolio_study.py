"""The portfolio design study: the book, and pooled residual agents on it, walk-forward.

    python -m meta_agent portfolio-study --folds 2021 2022 --seeds 3 --out user_data/portfolio

For each fold year and each training configuration, every window (retrained every
``retrain_days`` on the ``train_days`` before; the last fifth of them is the validation slice,
never trained on) trains one agent per seed on the whole training universe at once, then the
agents decide every traded day of the window. Rows derived from the same trainings, so that
each lever is isolated: the seeds ungated, the seeds each behind the bootstrap gate, and the
three seeds as one gated ensemble. Figures from the daily-mark broker of
:mod:`meta_agent.rl.portfolio.simulate` on the traded universe; every figure of a seed row is
the mean over seeds with the worst seed's Sharpe beside it.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from stable_baselines3 import PPO

from meta_agent.columns import SIGNAL_PREFIX
from meta_agent.config import MetaRLConfig
from meta_agent.data.importer import pair_filename
from meta_agent.evaluation.deflated import deflated_sharpe
from meta_agent.feeds.runtime import source_context
from meta_agent.rl.portfolio.agent import Scaler, TrainSettings, decide, gate_record, train_member
from meta_agent.rl.portfolio.panel import BOOK_FEATURES, CONTEXT_FEATURES, Panel
from meta_agent.rl.portfolio.simulate import Result, simulate
from meta_agent.strategy.features import signal_features

logger = logging.getLogger(__name__)
VALIDATION_SHARE = 0.2
WARM_DAYS = 30  # days decided before a window so the position block starts as it would be held


@dataclass(frozen=True)
class Training:
    """What an agent learns from: feature groups, and whether one agent pools all coins of the
    training universe or each traded coin trains its own."""

    name: str
    features: tuple[str, ...] = BOOK_FEATURES + CONTEXT_FEATURES
    pooled: bool = True
    settings: TrainSettings = field(default_factory=TrainSettings)


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d}"


def windows(year: int, retrain_days: int) -> list[Window]:
    """The traded windows of ``year``: one every ``retrain_days`` from 1 January, a remainder
    shorter than half of that joined to the last window."""
    start = pd.Timestamp(f"{year}-01-01", tz="UTC")
    end = start + pd.DateOffset(years=1)
    edges = list(pd.date_range(start, end, freq=f"{retrain_days}D"))
    if (end - edges[-1]).days < retrain_days / 2 and len(edges) > 1:
        edges = edges[:-1]
    return [Window(a, b) for a, b in itertools.pairwise([*edges, end])]


@dataclass(frozen=True)
class Study:
    """What a study walks: the panel, the training configurations, the fold years, seeds per
    window, the traded coins (panel columns), where models and rows go, the walk-forward
    cadence and the fee."""

    panel: Panel
    trainings: list[Training]
    folds: list[int]
    seeds: int
    traded: list[int]
    out: Path
    retrain_days: int = 90
    train_days: int = 730
    fee: float = 0.004

    def split(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """The training window's fit rows and its validation slice (the last fifth)."""
        rows = self.panel.rows(window.start - pd.Timedelta(days=self.train_days), window.start)
        cut = int(len(rows) * (1 - VALIDATION_SHARE))
        return rows[:cut], rows[cut:]

    def agents(self, training: Training) -> list[int | None]:
        """None: one pooled agent; else one agent per traded coin."""
        return [None] if training.pooled else list(self.traded)

    def model_path(self, training: Training, window: Window, seed: int, coin: int | None) -> Path:
        part = "pooled" if coin is None else f"coin{coin}"
        name = training.name.replace(" ", "_")
        return self.out / "models" / name / window.label() / f"{part}_s{seed}"

    def missing_jobs(self) -> list[tuple[Study, Training, Window, int, int | None]]:
        """Trainings whose model is not saved yet (a re-run trains only those)."""
        jobs = []
        for training, year in itertools.product(self.trainings, self.folds):
            for window, seed, coin in itertools.product(
                windows(year, self.retrain_days), range(self.seeds), self.agents(training)
            ):
                if not self.model_path(training, window, seed, coin).with_suffix(".zip").is_file():
                    jobs.append((self, training, window, seed, coin))
        return jobs


def train_job(job: tuple[Study, Training, Window, int, int | None]) -> str:
    """One seed of one window (one coin's agent if ``coin`` is set): trains and saves it."""
    study, training, window, seed, coin = job
    panel = study.panel.select(training.features)
    fit, _ = study.split(window)
    columns = slice(None) if coin is None else [coin]
    scaler = Scaler.fit(panel.features[fit][:, columns])
    model = train_member(scaler(panel.features[fit][:, columns]), panel.close[fit][:, columns],
                         panel.weight[fit][:, columns], training.settings, seed)  # fmt: skip
    path = study.model_path(training, window, seed, coin)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return str(path)


def _targets(
    panel: Panel, rows: np.ndarray, models: dict[int | None, list[PPO]], scaler: dict, band: float
) -> np.ndarray:
    """Agent targets on ``rows`` for every coin: one pooled set of members, or one per coin."""
    out = np.full((len(rows), len(panel.coins)), np.nan)
    for coin, members in models.items():
        columns = list(range(len(panel.coins))) if coin is None else [coin]
        features = scaler[coin](panel.features[rows][:, columns])
        out[:, columns] = decide(
            members, features, panel.weight[rows][:, columns], panel.close[rows][:, columns], band
        )
    return out


@dataclass
class FoldRun:
    """Targets over a fold's days and the gate's record per window."""

    targets: np.ndarray
    gates: list[dict[str, Any]]


def fold_rows(panel: Panel, year: int) -> np.ndarray:
    """The panel's rows of calendar year ``year``."""
    start = pd.Timestamp(f"{year}-01-01", tz="UTC")
    return panel.rows(start, start + pd.DateOffset(years=1))


def decide_fold(
    study: Study, training: Training, year: int, seeds: list[int], gated: bool
) -> FoldRun:
    """Walk one fold forward with the saved members of ``seeds`` (one seed: that agent; more:
    their median), gated or not, trading the study's coins."""
    panel = study.panel.select(training.features)
    band, traded = training.settings.band, study.traded
    fold = fold_rows(panel, year)
    targets = panel.weight[fold].copy()
    gates = []
    for window in windows(year, study.retrain_days):
        fit, validation = study.split(window)
        models, scalers = {}, {}
        for coin in study.agents(training):
            columns = slice(None) if coin is None else [coin]
            scalers[coin] = Scaler.fit(panel.features[fit][:, columns])
            models[coin] = [PPO.load(study.model_path(training, window, s, coin), device="cpu")
                            for s in seeds]  # fmt: skip
        agent = _targets(panel, validation, models, scalers, band)[:, traded]
        book = panel.weight[validation][:, traded]
        close = panel.close[validation][:, traded]
        gate = gate_record(panel.dates[validation], close, agent, book, study.fee, band, seeds[0])
        use = gate["lower_bound"] > 0 or not gated
        gates.append({"window": window.label(), "opened": bool(use), **gate})
        if use:
            span = panel.rows(window.start - pd.Timedelta(days=WARM_DAYS), window.end)
            decided = _targets(panel, span, models, scalers, band)
            inside = np.isin(fold, span)
            targets[np.flatnonzero(inside)] = decided[np.isin(span, fold[inside])]
    return FoldRun(targets, gates)


def figures(result: Result) -> dict[str, float]:
    return {
        "sharpe": result.sharpe(),
        "total_return": result.total_return(),
        "max_drawdown": result.max_drawdown(),
        "turnover": result.turnover,
        "entries_per_coin_year": result.entries,
        "fee_share": result.fee_share(),
    }


def fold_result(study: Study, year: int, targets: np.ndarray) -> Result:
    """The traded coins' wallet over ``year`` trading ``targets`` (the fold's rows)."""
    panel, fold, traded = study.panel, fold_rows(study.panel, year), study.traded
    band = TrainSettings().band
    return simulate(panel.dates[fold], panel.close[fold][:, traded], targets[:, traded],
                    study.fee, band)  # fmt: skip


@dataclass
class Row:
    """One line of the study's table and the daily returns it stands for."""

    record: dict[str, Any]
    returns: pd.Series


def _row(name: str, year: int, results: list[Result], gates: list[dict[str, Any]]) -> Row:
    """Mean figures over ``results`` (one per seed), the worst seed's Sharpe, the gate's record;
    the returns are the seeds' mean daily return (a wallet split among the seeds)."""
    each = [figures(result) for result in results]
    mean = {key: float(np.nanmean([f[key] for f in each])) for key in each[0]}
    record = {
        "row": name, "fold": year, **mean,
        "worst_seed_sharpe": float(np.nanmin([f["sharpe"] for f in each])),
        "opened": f"{sum(g['opened'] for g in gates)}/{len(gates)}" if gates else "",
        "gates": gates,
    }  # fmt: skip
    returns = pd.concat([result.returns for result in results], axis=1).mean(axis=1)
    return Row(record, returns)


def study_rows(study: Study) -> list[Row]:
    """Every row of the table from the saved models: the book, then per training its seeds
    ungated and gated and their gated ensemble."""
    rows = []
    for year in study.folds:
        book = fold_result(study, year, study.panel.weight[fold_rows(study.panel, year)])
        rows.append(_row("book alone (TrendBook)", year, [book], []))
        for training in study.trainings:
            for gated in (False, True):
                runs = [decide_fold(study, training, year, [s], gated) for s in range(study.seeds)]
                results = [fold_result(study, year, run.targets) for run in runs]
                label = "bootstrap gate" if gated else "no gate"
                gates = [gate for run in runs for gate in run.gates]
                rows.append(_row(f"{training.name}, {label}", year, results, gates))
            run = decide_fold(study, training, year, list(range(study.seeds)), True)
            name = f"{training.name}, {study.seeds}-seed ensemble + bootstrap gate"
            rows.append(_row(name, year, [fold_result(study, year, run.targets)], run.gates))
    return rows


def with_deflated_sharpe(rows: list[Row], prior_trials: int) -> pd.DataFrame:
    """The table with each configuration's deflated Sharpe over both folds' daily returns,
    counting its configurations and ``prior_trials`` more tried before (e.g. book designs)."""
    table = pd.DataFrame([row.record for row in rows])
    by_name: dict[str, list[pd.Series]] = {}
    for row in rows:
        by_name.setdefault(row.record["row"], []).append(row.returns)
    joined = {name: pd.concat(parts).sort_index() for name, parts in by_name.items()}
    daily_sharpes = np.array([r.mean() / r.std() for r in joined.values() if r.std() > 0])
    trials = len(joined) + prior_trials
    deflated = {name: deflated_sharpe(r.to_numpy(), trials, daily_sharpes)
                for name, r in joined.items()}  # fmt: skip
    table["deflated_sharpe"] = table["row"].map(deflated)
    table.attrs["trials"] = trials
    return table


def run_study(study: Study, workers: int = 2, prior_trials: int = 0) -> pd.DataFrame:
    """Train what is missing (``workers`` processes), then derive every row; writes
    ``rows-<number of traded pairs>-pairs.json`` and returns the table."""
    study.out.mkdir(parents=True, exist_ok=True)
    jobs = study.missing_jobs()
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, path in enumerate(pool.map(train_job, jobs), start=1):
            logger.info("trained %s (%d/%d, %.0f s)", path, done, len(jobs),
                        time.monotonic() - started)  # fmt: skip
    table = with_deflated_sharpe(study_rows(study), prior_trials)
    document = {"trials": table.attrs["trials"], "rows": table.to_dict("records")}
    rows_file = study.out / f"rows-{len(study.traded)}-pairs.json"
    rows_file.write_text(json.dumps(document, indent=1, default=str))
    return table


def trainings_for(steps: int, sources: bool, per_coin: bool) -> list[Training]:
    """The configurations of the README's portfolio ablation: pooled with and without context,
    optionally with the sources on the clock, and one agent per traded coin (which needs every
    traded coin's history in every training window)."""
    settings = replace(TrainSettings(), steps=steps)
    chosen = [
        Training("pooled, book + context", settings=settings),
        Training("pooled, book only", features=BOOK_FEATURES, settings=settings),
    ]
    if sources:
        everything = (*BOOK_FEATURES, *CONTEXT_FEATURES, "src_")
        chosen.append(Training("pooled, book + context + sources", everything, settings=settings))
    if per_coin:
        chosen.append(Training("per coin, book + context", pooled=False, settings=settings))
    return chosen


def source_signals(
    config: dict[str, Any], datadir: Path, pairs: list[str]
) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Per pair, the hourly signal frames of ``meta_rl.sources`` and their candle dates, for
    :func:`~meta_agent.rl.portfolio.panel.build_panel` to summarise on the daily clock."""
    meta = MetaRLConfig.from_freqtrade(config)
    signals = {}
    for pair in pairs:
        candles = pd.read_feather(Path(datadir) / pair_filename(pair, "1h"))
        frame = signal_features(
            candles, list(meta.sources), source_context(meta, config, pair), prefix=SIGNAL_PREFIX
        )
        signals[pair] = (frame, candles["date"])
    return signals
