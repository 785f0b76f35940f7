"""Sequential decisions: the agent's exposure at t is the one it chose at t - 1, as live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from meta_agent.rl.env import make_observation


def rollout(
    model: Any, features: np.ndarray, levels: Sequence[float], start_exposure: float = 0.0
) -> np.ndarray:
    """Decide candle by candle, feeding each decision back into the next observation.

    This is exactly what the live bot does one candle at a time, so a backtest made with it
    takes the same actions as live trading on the same candles.

    Args:
        model: A trained SB3 model whose observation is ``features[t] + [exposure]``.
        features: ``(T, F)`` scaled features.
        levels: Exposure levels the model's actions index.
        start_exposure: Exposure held before the first candle.

    Returns:
        ``(T,)`` chosen exposures.
    """
    levels_arr = np.asarray(levels, dtype=np.float64)
    if start_exposure not in levels_arr:
        start_exposure = 0.0  # a level set changed between runs: start flat
    exposures = np.empty(len(features), dtype=np.float64)
    exposure = float(start_exposure)
    for t, row in enumerate(np.asarray(features, dtype=np.float32)):
        action, _ = model.predict(make_observation(row, exposure), deterministic=True)
        exposure = float(levels_arr[int(action)])
        exposures[t] = exposure
    return exposures
