"""Tiny deterministic worlds for RL tests (after SB3's identity environments)."""

from __future__ import annotations

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
