"""ExposureEnv: the agent picks a target exposure level each candle and pays for every change."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from meta_agent.config import RewardConfig

#: FreqAI scales features to [-1, 1] on the training split; later data may overshoot a little.
#: Observations are clipped to this bound so that the space is honest and finite.
OBSERVATION_BOUND = 5.0


def observation_space(n_features: int) -> spaces.Box:
    """The observation space for ``n_features`` features plus the held exposure."""
    return spaces.Box(
        low=-OBSERVATION_BOUND, high=OBSERVATION_BOUND, shape=(n_features + 1,), dtype=np.float32
    )


def make_observation(features_row: np.ndarray, exposure: float) -> np.ndarray:
    """The one place an observation is built, for training and for every prediction path."""
    observation = np.empty(len(features_row) + 1, dtype=np.float32)
    observation[:-1] = features_row
    observation[-1] = exposure
    return np.clip(observation, -OBSERVATION_BOUND, OBSERVATION_BOUND, out=observation)


class ExposureEnv(gym.Env[np.ndarray, np.int64]):
    """A single-asset allocation environment over precomputed features.

    At candle ``t`` the agent sees ``features[t]`` and the exposure it holds, then chooses a
    level for the next candle. Its equity grows by ``1 + e * r - fee * |e - e_prev|`` with ``r``
    the close-to-close return from ``t`` to ``t + 1``. The reward is the log of that growth minus
    a penalty on any deepening of the drawdown (see :class:`~meta_agent.config.RewardConfig`).

    Observation: ``features[t]`` followed by the current exposure, float32, shape ``(F + 1,)``.
    Action: index into ``levels``. The episode runs once through the data; it terminates early
    when the drawdown reaches ``reward.max_drawdown``.

    Args:
        features: ``(T, F)`` scaled features, one row per candle.
        prices: ``(T,)`` close prices aligned with ``features``.
        levels: Allowed target exposures, e.g. ``(0, 0.5, 1)``.
        fee: Fee rate per unit of traded notional (Kraken spot taker: 0.004).
        reward: Reward parameters.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        features: np.ndarray,
        prices: np.ndarray,
        levels: Sequence[float],
        fee: float,
        reward: RewardConfig | None = None,
    ) -> None:
        features = np.asarray(features, dtype=np.float32)
        prices = np.asarray(prices, dtype=np.float64)
        if features.ndim != 2 or len(features) != len(prices) or len(prices) < 2:
            raise ValueError(
                "ExposureEnv needs features of shape (T, F) and prices of shape (T,) with T >= 2. "
                f"Got features {features.shape} and prices {prices.shape} instead."
            )
        if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
            raise ValueError("The 'prices' parameter of ExposureEnv must be finite and positive.")
        self.features = features
        self.prices = prices
        self.levels = np.asarray(levels, dtype=np.float64)
        self.fee = float(fee)
        self.reward_config = reward or RewardConfig()
        self.observation_space = observation_space(features.shape[1])
        self.action_space = spaces.Discrete(len(self.levels))
        self._t = 0
        self._exposure = 0.0
        self._equity = 1.0
        self._peak = 1.0

    @property
    def exposure(self) -> float:
        """The exposure currently held."""
        return self._exposure

    def _observation(self) -> np.ndarray:
        return make_observation(self.features[self._t], self._exposure)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._t = 0
        self._exposure = 0.0
        self._equity = 1.0
        self._peak = 1.0
        return self._observation(), {}

    def step(
        self, action: int | np.integer
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Hold ``levels[action]`` over the next candle.

        Returns:
            observation: features of the next candle and the new exposure.
            reward: log equity growth net of fees, minus the drawdown penalty (and the
                terminal penalty when the drawdown limit is reached).
            terminated: the drawdown reached ``max_drawdown``.
            truncated: the data ran out.
            info: ``equity``, ``drawdown``, ``exposure``, ``fee_paid``.
        """
        cfg = self.reward_config
        target = float(self.levels[int(action)])
        fee_paid = self.fee * abs(target - self._exposure)
        ret = self.prices[self._t + 1] / self.prices[self._t] - 1.0
        growth = max(1.0 + target * ret - fee_paid, 1e-9)
        drawdown_before = 1.0 - self._equity / self._peak
        self._equity *= growth
        self._peak = max(self._peak, self._equity)
        drawdown = 1.0 - self._equity / self._peak
        reward = math.log(growth) - cfg.drawdown_penalty * max(0.0, drawdown - drawdown_before)
        self._exposure = target
        self._t += 1
        terminated = bool(drawdown >= cfg.max_drawdown)
        if terminated:
            reward -= cfg.terminal_penalty
        truncated = not terminated and self._t >= len(self.prices) - 1
        info = {
            "equity": self._equity,
            "drawdown": drawdown,
            "exposure": target,
            "fee_paid": fee_paid,
        }
        return self._observation(), float(reward), terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Levels the agent may choose now (used by MaskablePPO); all, in this version."""
        return np.ones(len(self.levels), dtype=bool)
