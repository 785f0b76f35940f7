"""A cheap walk-forward ablation of the allocator's levers, outside Freqtrade.

Full ``evaluate`` runs are the published figures; this study is how the design was chosen. It
uses MetaRL's own pieces (the features of ``meta_agent.strategy.features``, the daily trend regime,
:class:`~meta_agent.rl.env.ExposureEnv`, the rollout, seed ensembles and the validation gate)
on Binance 1h candles, with two simplifications that make one variant cost minutes instead of
an hour: context timeframes are resampled from the 1h candles (Freqtrade merges its own 4h/1d
candles, the same values without lookahead), and features are scaled MinMax(-1, 1) on each
training window here instead of by FreqAI's pipeline. Each variant is trained and traded
walk-forward (retrain every ``retrain_days`` on the ``train_days`` before) over each fold year,
once per seed; the figures are the mean over seeds and the worst seed.

    python -m meta_agent ablation --folds 2021 2022 --seeds 3 --out user_data/ablation
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch as th

from meta_agent.columns import SIGNAL_PREFIX
from meta_agent.config import MetaRLConfig, RewardConfig
from meta_agent.data.importer import pair_stem
from meta_agent.feeds.runtime import source_context
from meta_agent.rl.actions import ActionMap
from meta_agent.rl.algorithms import algorithm_class
from meta_agent.rl.clock import decision_candles
from meta_agent.rl.ensemble import SeedEnsemble, gate, runner_for
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.rollout import AgentState, rollout
from meta_agent.rl.selection import without_log_folder
from meta_agent.signals.trend_regime import nearest_level_index
from meta_agent.strategy.features import (
    regime_features,
    signal_features,
    time_features,
    timeframe_context,
)

logger = logging.getLogger(__name__)

LEVELS = np.array([0.0, 0.5, 1.0])
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Variant:
    """One combination of levers."""

    name: str
    decision_every: int = 24
    base: bool = False  # residual actions on the trend regime
    seeds_per_agent: int = 1  # ensemble members
    gate: bool = False
    turnover_penalty: float = 0.0
    steps: int = 30_000  # training steps per member
    train_days: int = 730
    episode_length: int | None = None
    band: float = 0.25
    policy: str = "agent"  # "agent", "base" (trend regime alone), "hold"
    model_type: str = "PPO"  # PPO or A2C (MlpPolicy)
    net_arch: tuple[int, ...] = (64, 64)


#: The ablation of the README. A gated variant also reports its ungated ensemble
#: (``<name> (no gate)``): the same trained members, so the gate's effect is isolated.
DEFAULT_VARIANTS: tuple[Variant, ...] = (
    Variant("buy and hold", policy="hold"),
    Variant("trend regime alone (the base)", policy="base"),
    Variant(
        "hourly clock, 90-day window (as shipped)", decision_every=1, train_days=90, steps=10_800
    ),
    Variant("daily clock, 730-day window"),
    Variant("+ residual on the trend regime", base=True),
    Variant("+ turnover penalty (1x fee)", base=True, turnover_penalty=0.004),
    Variant(
        "+ 3-seed ensemble + validation gate",
        base=True,
        turnover_penalty=0.004,
        seeds_per_agent=3,
        gate=True,
    ),
)


@dataclass
class PairData:
    """Hourly features (unscaled), close prices, dates and the daily trend regime level."""

    pair: str
    dates: pd.Series
    close: np.ndarray
    features: pd.DataFrame
    regime_level: np.ndarray = field(repr=False)


def _resampled(candles: pd.DataFrame, rule: str) -> pd.DataFrame:
    frame = candles.set_index("date").resample(rule, label="left", closed="left")
    out = frame.agg({"open": "first", "high": "max", "low": "min", "close": "last"}).dropna()
    return out.reset_index()


def _merge_informative(hourly: pd.DataFrame, informative: pd.DataFrame, hours: int) -> pd.DataFrame:
    """Informative columns usable from the hourly candle that closes with the informative one
    (Freqtrade's ``merge_informative_pair`` rule)."""
    shifted = informative.assign(date=informative["date"] + pd.Timedelta(hours=hours - 1))
    merged = pd.merge_asof(
        hourly[["date"]], shifted.sort_values("date"), on="date", direction="backward"
    )
    return merged.drop(columns=["date"])


def load_pair(config: dict[str, Any], datadir: Path, pair: str, sources: list[str]) -> PairData:
    """MetaRL's observation features for ``pair`` from the Binance 1h candles in ``datadir``."""
    file = datadir / f"{pair_stem(pair)}-1h.feather"
    candles = pd.read_feather(file)
    candles["date"] = pd.to_datetime(candles["date"], utc=True)
    parts = [
        signal_features(
            candles,
            sources,
            source_context(MetaRLConfig.from_freqtrade(config), config, pair),
            prefix=SIGNAL_PREFIX,
        ),
        time_features(candles),
    ]
    for rule, hours in (("1h", 1), ("4h", 4), ("1D", 24)):
        frame = candles if rule == "1h" else _resampled(candles, rule)
        context = pd.concat([frame[["date"]], timeframe_context(frame)], axis=1)
        if rule == "1D":
            regime = regime_features(frame, long_only=True)
            context["%-trend_regime"] = regime["%-trend_regime"].to_numpy()
        merged = _merge_informative(candles, context, hours).add_suffix(f"_{rule}")
        parts.append(merged.set_index(candles.index))
    features = pd.concat(parts, axis=1)
    regime = features["%-trend_regime_1D"].to_numpy(dtype=np.float64)
    return PairData(
        pair,
        candles["date"],
        candles["close"].to_numpy(dtype=np.float64),
        features,
        nearest_level_index(regime, LEVELS),
    )


def _scaled(train: pd.DataFrame, *others: pd.DataFrame) -> list[np.ndarray]:
    """MinMax(-1, 1) fitted on ``train``, constant columns dropped (as FreqAI does)."""
    low, high = train.min(), train.max()
    keep = (high - low) > 0
    span = (high - low)[keep]
    return [
        (2 * (frame.loc[:, keep] - low[keep]) / span - 1).fillna(0).to_numpy(np.float32)
        for frame in (train, *others)
    ]


@dataclass
class Run:
    """One variant x pair x fold x seed: the daily exposures it held, and its metrics."""

    variant: str
    pair: str
    fold: int
    seed: int
    metrics: dict[str, float]
    gate_used_agent: list[bool]


#: config.json's training parameters; ``n_steps``/``batch_size`` are PPO's only.
TRAINING_PARAMETERS: dict[str, dict[str, Any]] = {
    "PPO": {"learning_rate": 3e-4, "n_steps": 512, "batch_size": 64, "ent_coef": 0.01},
    "A2C": {"learning_rate": 3e-4, "ent_coef": 0.01},
}


def _train_member(env: ExposureEnv, variant: Variant, seed: int) -> Any:
    algorithm = algorithm_class(variant.model_type)
    model = algorithm(
        "MlpPolicy",
        env,
        seed=seed,
        device="cpu",
        policy_kwargs={"activation_fn": th.nn.ReLU, "net_arch": list(variant.net_arch)},
        verbose=0,
        **TRAINING_PARAMETERS[variant.model_type],
    )
    without_log_folder(model).learn(total_timesteps=variant.steps)
    return model


@dataclass
class Window:
    """One walk-forward window: rows (of the pair's hourly frame) the agent is fitted on, the
    inner validation slice (the training window's last 20 %, as FreqAI's test split) and the
    traded window after it, with their features scaled on the fitted rows."""

    start: pd.Timestamp
    fit_rows: np.ndarray
    val_rows: np.ndarray
    trade_rows: np.ndarray
    fit_x: np.ndarray
    val_x: np.ndarray
    trade_x: np.ndarray


def fold_bounds(fold: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(f"{fold}-01-01", tz="UTC"), pd.Timestamp(f"{fold + 1}-01-01", tz="UTC")


def walk_forward(
    data: PairData, variant: Variant, fold: int, retrain_days: int
) -> Iterator[Window]:
    """The windows of ``fold`` (a year): retrain every ``retrain_days`` on the
    ``variant.train_days`` before, on the variant's decision candles."""
    decided = decision_candles(data.dates, "1h", variant.decision_every)
    window_start, end = fold_bounds(fold)
    while window_start < end:
        window_end = min(window_start + pd.Timedelta(days=retrain_days), end)
        train_from = window_start - pd.Timedelta(days=variant.train_days)
        train = ((data.dates >= train_from) & (data.dates < window_start)).to_numpy() & decided
        trade = ((data.dates >= window_start) & (data.dates < window_end)).to_numpy() & decided
        train_rows = np.flatnonzero(train)
        split = int(len(train_rows) * 0.8)
        fit_rows, val_rows = train_rows[:split], train_rows[split:]
        trade_rows = np.flatnonzero(trade)
        frame = data.features.iloc[fit_rows].dropna(axis=1, how="all")
        fit_x, val_x, trade_x = _scaled(
            frame,
            data.features.iloc[val_rows][frame.columns],
            data.features.iloc[trade_rows][frame.columns],
        )
        yield Window(window_start, fit_rows, val_rows, trade_rows, fit_x, val_x, trade_x)
        window_start = window_end


def train_ensemble(
    data: PairData, variant: Variant, window: Window, fee: float, seed: int
) -> SeedEnsemble:
    """``variant.seeds_per_agent`` members trained on the window's fitted rows."""
    env = ExposureEnv(
        window.fit_x,
        data.close[window.fit_rows],
        LEVELS,
        fee,
        RewardConfig(turnover_penalty=variant.turnover_penalty),
        np.ones(len(LEVELS), bool),
        base=data.regime_level[window.fit_rows] if variant.base else None,
        band=variant.band,
        episode_length=variant.episode_length,
    )
    members = [
        _train_member(env, variant, seed * 100 + member)
        for member in range(variant.seeds_per_agent)
    ]
    follow = ActionMap(len(LEVELS), residual=True).follow_base if variant.base else None
    return SeedEnsemble(members, follow_base=follow)


def metrics(
    exposures: np.ndarray, close: np.ndarray, daily: np.ndarray, fee: float
) -> dict[str, float]:
    """From hourly held exposures and closes: daily Sharpe (annualised), total return, max
    drawdown, round trips per year, fees as a share of gross profit, time in market."""
    returns = np.diff(close) / close[:-1]
    held = exposures[:-1]
    traded = np.abs(np.diff(np.concatenate([[0.0], exposures])))[:-1]
    gross = held * returns
    net = gross - fee * traded
    equity = np.concatenate([[1.0], np.cumprod(1 + net)])
    daily_equity = equity[daily]
    daily_returns = np.diff(daily_equity) / daily_equity[:-1]
    spread = daily_returns.std()
    years = len(returns) / (24 * DAYS_PER_YEAR)
    entries = np.sum((exposures[1:] > 0) & (exposures[:-1] == 0)) + float(exposures[0] > 0)
    gains = gross.sum()
    return {
        "sharpe": float(daily_returns.mean() / spread * np.sqrt(DAYS_PER_YEAR))
        if spread > 0
        else 0.0,
        "total_return": float(equity[-1] - 1),
        "max_drawdown": float(np.max(1 - equity / np.maximum.accumulate(equity))),
        "round_trips_per_year": float(entries / years),
        "fee_share": float(fee * traded.sum() / gains) if gains > 0 else float("nan"),
        "time_in_market": float(np.mean(held > 0)),
    }


def run_one(
    data: PairData, variant: Variant, fold: int, seed: int, fee: float, retrain_days: int
) -> list[Run]:
    """Walk-forward over ``fold`` (a year) for one seed (two runs for a gated variant)."""
    start, end = fold_bounds(fold)
    in_fold = ((data.dates >= start) & (data.dates < end)).to_numpy()
    fold_rows = np.flatnonzero(in_fold)
    daily = decision_candles(data.dates.iloc[fold_rows], "1h", 24)

    def result(hourly: np.ndarray, gates: list[bool]) -> Run:
        figures = metrics(hourly[fold_rows], data.close[fold_rows], daily, fee)
        return Run(variant.name, data.pair, fold, seed, figures, gates)

    if variant.policy == "hold":
        return [result(np.ones(len(data.dates)), [])]
    if variant.policy == "base":  # decided at the daily close, held until the next one
        at_close = np.where(
            decision_candles(data.dates, "1h", 24), LEVELS[data.regime_level], np.nan
        )
        return [result(pd.Series(at_close).ffill().fillna(0.0).to_numpy(), [])]
    mask = np.ones(len(LEVELS), bool)
    state = AgentState()
    held = np.full(len(data.dates), np.nan)
    ungated_state = AgentState()
    ungated = np.full(len(data.dates), np.nan)
    gates: list[bool] = []
    for window in walk_forward(data, variant, fold, retrain_days):
        ensemble = train_ensemble(data, variant, window, fee, seed)
        trade_rows, val_rows = window.trade_rows, window.val_rows
        # The traded window, decided by the ensemble as gated at the time of the call.
        traded = (window.trade_x, data.close[trade_rows], LEVELS, mask, fee)
        options: dict[str, Any] = {
            "base": data.regime_level[trade_rows] if variant.base else None,
            "band": variant.band,
        }
        if variant.gate:
            ungated[trade_rows] = rollout(runner_for(ensemble), *traded, ungated_state, **options)
            gate(
                ensemble,
                window.val_x,
                data.close[val_rows],
                LEVELS,
                mask,
                fee,
                data.regime_level[val_rows],
                variant.band,
            )
            gates.append(ensemble.use_agent)
        held[trade_rows] = rollout(runner_for(ensemble), *traded, state, **options)
    gated = result(pd.Series(held).ffill().fillna(0.0).to_numpy(), gates)
    if not variant.gate:
        return [gated]
    plain = result(pd.Series(ungated).ffill().fillna(0.0).to_numpy(), [])
    plain.variant = f"{variant.name} (no gate)"
    return [plain, gated]


def summarise(runs: Iterable[Run]) -> pd.DataFrame:
    """Mean over seeds and pairs per variant x fold, with the worst seed's Sharpe."""
    rows = [
        {"variant": r.variant, "pair": r.pair, "fold": r.fold, "seed": r.seed, **r.metrics}
        for r in runs
    ]
    frame = pd.DataFrame(rows)
    per_seed = frame.groupby(["variant", "fold", "seed"], sort=False).mean(numeric_only=True)
    table = per_seed.groupby(["variant", "fold"], sort=False).mean()
    table["worst_seed_sharpe"] = per_seed["sharpe"].groupby(["variant", "fold"], sort=False).min()
    return table.reset_index()


def _job(args: tuple[Any, ...]) -> list[Run]:
    data, variant, fold, seed, fee, retrain_days = args
    th.set_num_threads(1)
    return run_one(data, variant, fold, seed, fee, retrain_days)


def run_ablation(
    config: dict[str, Any],
    datadir: Path,
    pairs: list[str],
    folds: list[int],
    seeds: int,
    out: Path,
    fee: float = 0.004,
    retrain_days: int = 180,
    workers: int = 2,
    variants: Iterable[Variant] = DEFAULT_VARIANTS,
) -> pd.DataFrame:
    """Every variant x pair x fold x seed; writes ``runs.json`` and ``ablation.md`` to ``out``."""
    sources = config.get("meta_rl", {}).get("sources", ["trend-v1"])
    datas = [load_pair(config, datadir, pair, sources) for pair in pairs]
    jobs = [
        (data, variant, fold, seed, fee, retrain_days)
        for variant in variants
        for data in datas
        for fold in folds
        for seed in (range(1) if variant.policy != "agent" else range(seeds))
    ]
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        runs = [run for batch in pool.map(_job, jobs) for run in batch]
    table = summarise(runs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "runs.json").write_text(
        json.dumps(
            {
                "pairs": pairs,
                "folds": folds,
                "seeds": seeds,
                "fee": fee,
                "retrain_days": retrain_days,
                "variants": [asdict(v) for v in variants],
                "runs": [asdict(r) for r in runs],
                "seconds": time.monotonic() - started,
            },
            indent=1,
        )
    )
    (out / "ablation.md").write_text(table.to_markdown(index=False, floatfmt=".2f"))
    return table


__all__ = ["DEFAULT_VARIANTS", "Variant", "replace", "run_ablation", "summarise"]
