"""ExposureEnv: the agent picks a target exposure level each candle and pays for every change."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from meta_agent.config import RewardConfig
from meta_agent.rl.masks import Levels, nearest_allowed
from meta_agent.rl.position import POSITION_FEATURES, PositionTracker

#: FreqAI scales features to [-1, 1] on the training split; later data may overshoot a little.
#: Observations are clipped to this bound so that the space is honest and finite.
OBSERVATION_BOUND = 5.0


def observation_space(n_features: int) -> spaces.Box:
    """The observation space for ``n_features`` features plus the position block."""
    size = n_features + len(POSITION_FEATURES)
    return spaces.Box(
        low=-OBSERVATION_BOUND, high=OBSERVATION_BOUND, shape=(size,), dtype=np.float32
    )


def make_observation(features_row: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The one place an observation is built, for training and for every prediction path."""
    observation = np.concatenate([features_row, position]).astype(np.float32, copy=False)
    return np.clip(observation, -OBSERVATION_BOUND, OBSERVATION_BOUND)


class ExposureEnv(gym.Env[np.ndarray, np.int64]):
    """A single-asset allocation environment over precomputed features.

    At candle ``t`` the agent sees ``features[t]`` and its own position (exposure, unrealised
    PnL, time in position, drawdown; see :mod:`meta_agent.rl.position`) and chooses the level
    to hold until ``t + 1``. Changing exposure costs ``fee`` per unit of traded notional.

    Reward: ``log(equity_{t+1} / equity_t) - drawdown_penalty * max(0, dd_{t+1} - dd_t)``, where
    equity is net of fees; ``-terminal_penalty`` more when the drawdown reaches ``max_drawdown``,
    which ends the episode. No reward for trading as such (see
    :class:`~meta_agent.config.RewardConfig`).

    Args:
        features: ``(T, F)`` scaled features, one row per candle.
        prices: ``(T,)`` close prices aligned with ``features``.
        levels: Target exposures the actions index, e.g. ``(0, 0.5, 1)``.
        fee: Fee rate per unit of traded notional (Kraken spot taker: 0.004).
        reward: Reward parameters.
        mask: Allowed levels (default: all). MaskablePPO reads it through :meth:`action_masks`;
            with other algorithms a forbidden choice executes the nearest allowed level.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        features: np.ndarray,
        prices: np.ndarray,
        levels: Levels,
        fee: float,
        reward: RewardConfig | None = None,
        mask: np.ndarray | None = None,
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
        self.mask = np.ones(len(self.levels), bool) if mask is None else np.asarray(mask, bool)
        if self.mask.shape != self.levels.shape or not self.mask.any():
            raise ValueError(
                f"The 'mask' parameter of ExposureEnv must have one bool per level "
                f"({len(self.levels)}) with at least one True. Got {mask!r} instead."
            )
        self.observation_space = observation_space(features.shape[1])
        self.action_space = spaces.Discrete(len(self.levels))
        self._t = 0
        self.position = PositionTracker()

    def _observation(self) -> np.ndarray:
        price = self.prices[self._t]
        return make_observation(self.features[self._t], self.position.observation(price))

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._t = 0
        self.position = PositionTracker()
        self.position.mark(self.prices[0])
        return self._observation(), {}

    def step(
        self, action: int | np.integer
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Hold ``levels[action]`` (or the nearest allowed level) over the next candle.

        Returns:
            observation: the next candle's features and the new position block.
            reward: log equity growth net of fees minus the drawdown penalty (and the terminal
                penalty when the drawdown limit is reached).
            terminated: the drawdown reached ``max_drawdown``.
            truncated: the data ran out.
            info: ``equity``, ``drawdown``, ``exposure``, ``fee_paid``.
        """
        cfg = self.reward_config
        index = nearest_allowed(int(action), self.levels, self.mask)
        target = float(self.levels[index])
        equity_before = self.position.equity
        drawdown_before = self.position.drawdown
        fee_paid = self.position.rebalance(target, self.prices[self._t], self.fee)
        self._t += 1
        self.position.mark(self.prices[self._t])
        drawdown = self.position.drawdown
        reward = math.log(self.position.equity / equity_before)
        reward -= cfg.drawdown_penalty * max(0.0, drawdown - drawdown_before)
        terminated = bool(drawdown >= cfg.max_drawdown)
        if terminated:
            reward -= cfg.terminal_penalty
        truncated = not terminated and self._t >= len(self.prices) - 1
        info = {
            "equity": self.position.equity,
            "drawdown": drawdown,
            "exposure": target,
            "fee_paid": fee_paid,
        }
        return self._observation(), float(reward), terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Levels the agent may choose now (MaskablePPO calls this)."""
        return self.mask.copy()
