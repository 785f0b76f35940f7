"""Train pooled residual agents, let them decide day by day, and gate them against the book.

One PPO agent learns from every coin of the training universe at once
(:class:`~meta_agent.rl.portfolio.vec_env.ResidualVecEnv`); seeds train independently and
decide together by the median of their actions. The gate trades them in a window only if their
advantage over the book on the validation slice (the end of the training window, never trained
on) is unlikely to be chance: the lower end of a moving-block bootstrap interval of the mean
daily return difference must be above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch as th
from stable_baselines3 import PPO

from meta_agent.rl.portfolio.simulate import simulate
from meta_agent.rl.portfolio.vec_env import MULTIPLIERS, ResidualVecEnv, band_keep, observations


@dataclass(frozen=True)
class TrainSettings:
    """PPO on the vectorised environment; ``n_steps x n_envs`` steps of experience per update."""

    steps: int = 120_000
    n_envs: int = 16
    episode_length: int = 120
    n_steps: int = 256
    batch_size: int = 512
    n_epochs: int = 5
    gamma: float = 0.9
    learning_rate: float = 3e-4
    ent_coef: float = 0.01
    net_arch: tuple[int, ...] = (64, 64)
    turnover_penalty: float = 1.0
    fee: float = 0.004
    band: float = 0.2


@dataclass(frozen=True)
class Scaler:
    """Standardisation fitted on the training rows of a window, pooled over coins."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> Scaler:
        flat = features.reshape(-1, features.shape[-1])
        mean = np.nanmean(flat, axis=0)
        std = np.nanstd(flat, axis=0)
        return cls(np.nan_to_num(mean), np.where(np.nan_to_num(std) > 0, std, 1.0))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.std


def train_member(
    features: np.ndarray, close: np.ndarray, weight: np.ndarray, settings: TrainSettings, seed: int
) -> PPO:
    """One agent trained on scaled ``features`` (T, N, F) of the training rows."""
    th.set_num_threads(1)  # small MLPs: one thread per process is the fast setting
    env = ResidualVecEnv(
        features,
        close,
        weight,
        n_envs=settings.n_envs,
        episode_length=settings.episode_length,
        fee=settings.fee,
        band=settings.band,
        turnover_penalty=settings.turnover_penalty,
        seed=seed,
    )
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        gamma=settings.gamma,
        learning_rate=settings.learning_rate,
        ent_coef=settings.ent_coef,
        policy_kwargs={"net_arch": list(settings.net_arch)},
        seed=seed,
        verbose=0,
        device="cpu",
    )
    model.learn(total_timesteps=settings.steps)
    return model


def decide_multipliers(
    members: list[PPO], features: np.ndarray, weight: np.ndarray, close: np.ndarray, band: float
) -> np.ndarray:
    """The multiplier of the book's weight (T, N) the members' median action picks each day,
    every coin at once, with the position block tracked as the environment tracks it; NaN
    where the book has no weight."""
    n_days, n_coins = weight.shape
    features = np.nan_to_num(features.astype(np.float32))
    multipliers = np.asarray(MULTIPLIERS)
    held, book, last = np.zeros(n_coins), np.zeros(n_coins), np.ones(n_coins)
    chosen = np.full((n_days, n_coins), np.nan)
    for t in range(n_days):
        live = np.isfinite(weight[t]) & np.isfinite(close[t])
        if not live.any():
            continue
        obs = observations(features[t][live], held[live], weight[t][live], last[live])
        actions = np.median([member.predict(obs, deterministic=True)[0] for member in members], 0)
        multiplier = multipliers[np.rint(actions).astype(int)]
        target = np.minimum(1.0, multiplier * weight[t][live])
        target = np.where(band_keep(target, held[live], band), held[live], target)
        book_new = np.where(
            band_keep(weight[t][live], book[live], band), book[live], weight[t][live]
        )
        chosen[t, live] = multiplier
        if t + 1 < n_days:
            move = np.nan_to_num(close[t + 1][live] / close[t][live] - 1)
            held[live], book[live] = target * (1 + move), book_new * (1 + move)
        last[live] = multiplier
    return chosen


def decide(
    members: list[PPO], features: np.ndarray, weight: np.ndarray, close: np.ndarray, band: float
) -> np.ndarray:
    """Target weights (T, N): the members' multiplier times the book's weight, capped at the
    coin's whole budget; NaN where the book has no weight."""
    chosen = decide_multipliers(members, features, weight, close, band)
    return np.minimum(1.0, chosen * weight)


def bootstrap_lower_bound(
    difference: np.ndarray,
    block: int = 10,
    samples: int = 2000,
    quantile: float = 0.05,
    seed: int = 0,
) -> float:
    """Lower ``quantile`` of the mean of ``difference`` under a moving-block bootstrap (blocks
    of ``block`` days keep the serial dependence of daily returns)."""
    values = np.asarray(difference, dtype=np.float64)
    n = len(values)
    if n < 2 * block:
        return float("-inf")
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(samples, int(np.ceil(n / block))))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(samples, -1)[:, :n]
    return float(np.quantile(values[index].mean(axis=1), quantile))


def gate_record(
    dates: pd.DatetimeIndex, close: np.ndarray, agent: np.ndarray, book: np.ndarray, fee: float,
    band: float, seed: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """The gate's judgement of ``agent`` against ``book`` targets on a validation slice (the
    traded coins' columns): ``lower_bound`` of the daily advantage (open when above 0) and both
    Sharpe ratios, net of fees."""
    a = simulate(dates, close, agent, fee, band)
    b = simulate(dates, close, book, fee, band)
    bound = bootstrap_lower_bound((a.returns - b.returns).to_numpy(), seed=seed)
    return {"lower_bound": bound, "validation_sharpe": {"agent": a.sharpe(), "book": b.sharpe()}}
