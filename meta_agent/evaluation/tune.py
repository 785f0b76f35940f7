"""``python -m meta_agent tune``: a Ray Tune search over the allocator's design.

Each trial is one configuration of the allocator (decision clock, rebalance band, turnover
penalty, training budget, network size, algorithm) trained walk-forward over the chosen fold
years with the ablation's machinery (:mod:`meta_agent.evaluation.ablation`: MetaRL's own
environment, residual actions on the trend regime and rollout, outside Freqtrade). A trial is
scored only on the inner validation slices: the last 20 % of each training window, FreqAI's
test split, which the validation gate also reads. It never sees a traded window, and the fold
years' training windows end before the held-out year (keep 2023 out of ``--folds``).

After every window the trial reports its running mean validation Sharpe net of fees (and the
worst seed's); ASHA stops the trials that trail. The results land in ``--out``: ``tune.md`` (a
table, best first), ``trials.json`` and ``best.json``, a config to lay over the user's:

    freqtrade backtesting --config config.json --config user_data/tune/best.json ...
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from meta_agent.errors import MetaRLError
from meta_agent.evaluation.ablation import (
    LEVELS,
    PairData,
    Variant,
    Window,
    fold_bounds,
    load_pair,
    metrics,
    train_ensemble,
    walk_forward,
)
from meta_agent.rl.clock import decision_candles
from meta_agent.rl.ensemble import runner_for
from meta_agent.rl.rollout import AgentState, rollout

logger = logging.getLogger(__name__)

METRIC = "val_sharpe"


class TuneError(MetaRLError, RuntimeError):
    """A trial of the design search failed; the message names its configuration."""


#: What a trial may choose. Each entry is a list of the values a trial samples among.
DEFAULT_SPACE: dict[str, list[Any]] = {
    "decision_every": [24, 72, 168],
    "band": [0.1, 0.25, 0.4],
    "turnover_penalty": [0.0, 0.004, 0.008],
    "steps": [10_000, 20_000, 40_000],
    "net_arch": [[32, 32], [64, 64], [128, 128]],
    "model_type": ["PPO", "A2C"],
}


@dataclass(frozen=True)
class SearchSettings:
    """The search: where the trials train and how they are scored.

    Args:
        folds: Fold years; every training window ends before the last fold's end.
        seeds: Independent seeds per window and pair; the score is their mean, and the worst
            seed's is reported beside it.
        retrain_days: Walk-forward step (days) inside a fold.
        train_days: Training window (days); config.json's ``freqai.train_period_days``.
        test_size: The validation share of a training window (FreqAI's ``test_size``).
        fee: Per side, charged in training and in the validation Sharpe.
    """

    folds: tuple[int, ...]
    seeds: int = 3
    retrain_days: int = 180
    train_days: int = 730
    test_size: float = 0.2
    fee: float = 0.004


def window_count(fold: int, retrain_days: int) -> int:
    """How many walk-forward windows :func:`~meta_agent.evaluation.ablation.walk_forward`
    makes in ``fold``: one every ``retrain_days`` from the year's start, the last one short."""
    start, end = fold_bounds(fold)
    return math.ceil((end - start) / pd.Timedelta(days=retrain_days))


def variant_for(trial: dict[str, Any], settings: SearchSettings) -> Variant:
    """The trial's design as an ablation variant (residual on the trend regime, one member)."""
    return Variant(
        name="trial",
        decision_every=int(trial["decision_every"]),
        base=True,
        band=float(trial["band"]),
        turnover_penalty=float(trial["turnover_penalty"]),
        steps=int(trial["steps"]),
        net_arch=tuple(int(units) for units in trial["net_arch"]),
        model_type=str(trial["model_type"]),
        train_days=settings.train_days,
    )


def validation_sharpe(data: PairData, window: Window, exposures: np.ndarray, fee: float) -> float:
    """Annualised daily Sharpe, net of fees, of ``exposures`` (one per validation decision)
    held hour by hour over the validation slice."""
    end = int((data.dates < window.start).sum())  # the first traded hour: not scored
    span = np.arange(window.val_rows[0], end)
    held = np.full(len(span), np.nan)
    held[window.val_rows - span[0]] = exposures
    hourly = pd.Series(held).ffill().fillna(0.0).to_numpy()
    daily = decision_candles(data.dates.iloc[span], "1h", 24)
    return metrics(hourly, data.close[span], daily, fee)["sharpe"]


def score_window(data: PairData, variant: Variant, window: Window, fee: float, seed: int) -> float:
    """Validation Sharpe of an agent freshly trained on the window, on its validation slice."""
    ensemble = train_ensemble(data, variant, window, fee, seed)
    rows = window.val_rows
    slice_ = (window.val_x, data.close[rows], LEVELS, np.ones(len(LEVELS), bool), fee)
    base = data.regime_level[rows]
    agent = rollout(runner_for(ensemble), *slice_, AgentState(), base=base, band=variant.band)
    return validation_sharpe(data, window, agent, fee)


def base_score(data: PairData, window: Window, fee: float) -> float:
    """Validation Sharpe of the trend regime alone (the base the agent adjusts), on the same
    slice: the same for every seed."""
    return validation_sharpe(data, window, LEVELS[data.regime_level[window.val_rows]], fee)


def trial_run(trial: dict[str, Any], datas: list[PairData], settings: SearchSettings) -> None:
    """One Tune trial: walk the folds' windows; after each, report the running scores."""
    import torch as th
    from ray import tune

    th.set_num_threads(1)
    variant = variant_for(trial, settings)
    agent: list[list[float]] = [[] for _ in range(settings.seeds)]
    base: list[float] = []
    for fold in settings.folds:
        windows = {
            data.pair: list(walk_forward(data, variant, fold, settings.retrain_days))
            for data in datas
        }
        for index in range(len(windows[datas[0].pair])):
            for data in datas:
                window = windows[data.pair][index]
                for seed in range(settings.seeds):
                    agent[seed].append(score_window(data, variant, window, settings.fee, seed))
                base.append(base_score(data, window, settings.fee))
            per_seed = [float(np.mean(scores)) for scores in agent]
            tune.report(
                {
                    METRIC: float(np.mean(per_seed)),
                    "worst_seed_val_sharpe": min(per_seed),
                    "base_val_sharpe": float(np.mean(base)),
                    "windows": len(base) // len(datas),
                }
            )


def best_config(trial: dict[str, Any], settings: SearchSettings) -> dict[str, Any]:
    """The trial's design as a config to lay over config.json (``--config best.json``).

    ``train_cycles`` turns the trial's learning steps into FreqAI's unit: passes over the
    training split's decision steps.
    """
    decisions = (1 - settings.test_size) * settings.train_days * 24 / trial["decision_every"]
    return {
        "meta_rl": {
            "decision_every": int(trial["decision_every"]),
            "rebalance_threshold": float(trial["band"]),
            "base": "trend_regime",
        },
        "freqai": {
            "train_period_days": settings.train_days,
            "rl_config": {
                "model_type": trial["model_type"],
                "policy_type": "MlpPolicy",
                "net_arch": [int(units) for units in trial["net_arch"]],
                "train_cycles": max(1, round(int(trial["steps"]) / decisions)),
                "model_reward_parameters": {"turnover_penalty": float(trial["turnover_penalty"])},
            },
        },
    }


def run_search(
    config: dict[str, Any],
    datadir: Path,
    pairs: list[str],
    settings: SearchSettings,
    out: Path,
    samples: int = 8,
    space: dict[str, list[Any]] | None = None,
    workers: int | None = None,
    address: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Sample ``samples`` designs from ``space``, run them as Tune trials with ASHA; write the
    table, the trials and the best design to ``out``; return the table, best first."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.basic_variant import BasicVariantGenerator

    from meta_agent.rl.parallel import ray_session

    space = space or DEFAULT_SPACE
    sources = config.get("meta_rl", {}).get("sources", ["trend-v1"])
    datas = [load_pair(config, datadir, pair, sources) for pair in pairs]
    windows = sum(window_count(fold, settings.retrain_days) for fold in settings.folds)
    out = out.resolve()
    with ray_session(workers, address):  # one CPU a trial: as many at once as CPUs
        tuner = tune.Tuner(
            tune.with_resources(
                tune.with_parameters(trial_run, datas=datas, settings=settings), {"cpu": 1}
            ),
            param_space={key: tune.choice(values) for key, values in space.items()},
            tune_config=tune.TuneConfig(
                metric=METRIC,
                mode="max",
                num_samples=samples,
                scheduler=ASHAScheduler(max_t=windows, grace_period=1, reduction_factor=2),
                search_alg=BasicVariantGenerator(random_state=seed),
            ),
            run_config=tune.RunConfig(name="metarl-tune", storage_path=str(out / "ray"), verbose=0),
        )
        grid = tuner.fit()
    rows = []
    for index in range(len(grid)):
        result = grid[index]
        if result.error is not None or not result.metrics or not result.config:
            raise TuneError(f"Tune trial {result.config} failed: {result.error}")
        reported, chosen = result.metrics, result.config
        rows.append(
            {
                **{key: chosen[key] for key in space},
                METRIC: reported[METRIC],
                "worst_seed_val_sharpe": reported["worst_seed_val_sharpe"],
                "base_val_sharpe": reported["base_val_sharpe"],
                "windows": reported["windows"],
                "stopped_early": reported["windows"] < windows,
            }
        )
    table = pd.DataFrame(rows).sort_values(["windows", METRIC], ascending=False, ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tune.md").write_text(table.to_markdown(index=False, floatfmt=".2f") + "\n")
    (out / "trials.json").write_text(
        json.dumps(
            {
                "pairs": pairs,
                "settings": settings.__dict__ | {"folds": list(settings.folds)},
                "space": space,
                "samples": samples,
                "trials": table.to_dict(orient="records"),
            },
            indent=1,
            default=str,
        )
    )
    best = table.iloc[0].to_dict()
    (out / "best.json").write_text(json.dumps(best_config(best, settings), indent=1) + "\n")
    return table
