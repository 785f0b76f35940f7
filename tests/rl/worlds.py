"""Tiny deterministic worlds for RL tests (after SB3's identity environments)."""

from __future__ import annotations

from typing import Any

import numpy as np

LEVELS = np.array([0.0, 0.5, 1.0])


def foretelling_world(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Features ``[oracle, noise]`` and prices where the next return is ``1 % * oracle``.

    Source "oracle" says +1 or -1 and is always right about the next candle; source "noise" is
    uniform in [-1, 1] and says nothing.
    """
    rng = np.random.default_rng(seed)
    oracle = rng.choice([-1.0, 1.0], n)
    noise = rng.uniform(-1, 1, n)
    returns = np.r_[0.0, 0.01 * oracle[:-1]]
    prices = 100 * np.cumprod(1 + returns)
    return np.column_stack([oracle, noise]).astype(np.float32), prices


def trained_on_foretelling(activation: type | None = None, fee: float = 0.001) -> Any:
    """PPO after 3,000 steps in the foretelling world (seeded): it follows the oracle."""
    from stable_baselines3 import PPO

    from meta_agent.rl.env import ExposureEnv

    features, prices = foretelling_world(seed=0)
    policy_kwargs: dict[str, Any] = {"net_arch": [32, 32]}
    if activation is not None:
        policy_kwargs["activation_fn"] = activation
    model = PPO(
        "MlpPolicy",
        ExposureEnv(features, prices, LEVELS, fee),
        learning_rate=1e-3,
        n_steps=256,
        batch_size=64,
        seed=1,
        device="cpu",
        policy_kwargs=policy_kwargs,
    )
    model.learn(3000)
    return model
