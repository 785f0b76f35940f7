"""ExposureEnv: the agent picks a target exposure level each candle and pays for every change."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from meta_agent.config import RewardConfig
from meta_agent.rl.actions import ActionMap, within_band
from meta_agent.rl.masks import Levels
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

    At step ``t`` the agent sees ``features[t]`` and its own position (exposure, unrealised
    PnL, time in position, drawdown; see :mod:`meta_agent.rl.position`) and chooses the level
    to hold until ``t + 1``. Changing exposure costs ``fee`` per unit of traded notional. The
    rows are the decision candles (:mod:`meta_agent.rl.clock`): on a daily clock one step is a
    day.

    Reward: ``log(equity_{t+1} / equity_t) - drawdown_penalty * max(0, dd_{t+1} - dd_t)
    - turnover_penalty * |change of exposure|``, where equity is net of fees;
    ``-terminal_penalty`` more when the drawdown reaches ``max_drawdown``, which ends the
    episode. No reward for trading as such (see :class:`~meta_agent.config.RewardConfig`).

    Args:
        features: ``(T, F)`` scaled features, one row per candle.
        prices: ``(T,)`` close prices aligned with ``features``.
        levels: Target exposures the actions index, e.g. ``(0, 0.5, 1)``.
        fee: Fee rate per unit of traded notional (Kraken spot taker: 0.004).
        reward: Reward parameters.
        mask: Allowed levels (default: all). MaskablePPO reads it through :meth:`action_masks`;
            with other algorithms a forbidden choice executes the nearest allowed level.
        base: ``(T,)`` level indices of a base policy: actions then adjust the base level
            (:class:`~meta_agent.rl.actions.ActionMap`, residual); None: actions are levels.
        band: No-trade band (``meta_rl.rebalance_threshold``): a change smaller than this on
            the same side keeps the held exposure, as the orders do.
        episode_length: Steps per episode from a random start (seeded by ``reset``); None:
            one episode over all rows.
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
        base: np.ndarray | None = None,
        band: float = 0.0,
        episode_length: int | None = None,
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
        if base is not None:
            base = np.asarray(base, dtype=np.int64)
            if base.shape != prices.shape or base.min() < 0 or base.max() >= len(self.levels):
                raise ValueError(
                    "The 'base' parameter of ExposureEnv must hold one level index per row "
                    f"(shape {prices.shape}, values in [0, {len(self.levels) - 1}])."
                )
        if episode_length is not None and not episode_length >= 2:
            raise ValueError(f"episode_length must be at least 2; got {episode_length}.")
        self.base = base
        self.band = float(band)
        self.episode_length = episode_length
        self.actions = ActionMap(len(self.levels), residual=base is not None)
        self.observation_space = observation_space(features.shape[1])
        self.action_space = spaces.Discrete(self.actions.n_actions)
        self._t = 0
        self._end = len(self.prices) - 1
        self.position = PositionTracker()

    def _observation(self) -> np.ndarray:
        price = self.prices[self._t]
        return make_observation(self.features[self._t], self.position.observation(price))

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        last = len(self.prices) - 1
        if self.episode_length is None or self.episode_length >= last:
            self._t, self._end = 0, last
        else:
            self._t = int(self.np_random.integers(0, last - self.episode_length + 1))
            self._end = self._t + self.episode_length
        self.position = PositionTracker()
        self.position.mark(self.prices[self._t])
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
        target = float(self.levels[self.executed_index(int(action))])
        held = self.position.exposure
        if within_band(target, held, self.band):
            target = held
        equity_before = self.position.equity
        drawdown_before = self.position.drawdown
        fee_paid = self.position.rebalance(target, self.prices[self._t], self.fee)
        self._t += 1
        self.position.mark(self.prices[self._t])
        drawdown = self.position.drawdown
        reward = math.log(self.position.equity / equity_before)
        reward -= cfg.drawdown_penalty * max(0.0, drawdown - drawdown_before)
        reward -= cfg.turnover_penalty * abs(target - held)
        terminated = bool(drawdown >= cfg.max_drawdown)
        if terminated:
            reward -= cfg.terminal_penalty
        truncated = not terminated and self._t >= self._end
        info = {
            "equity": self.position.equity,
            "drawdown": drawdown,
            "exposure": target,
            "fee_paid": fee_paid,
        }
        return self._observation(), float(reward), terminated, truncated, info

    def base_index(self) -> int | None:
        """The base policy's level index at the current step (None without a base)."""
        return None if self.base is None else int(self.base[self._t])

    def executed_index(self, action: int) -> int:
        """The allowed level index ``action`` holds at the current step."""
        return self.actions.executed_index(action, self.base_index(), self.levels, self.mask)

    def action_masks(self) -> np.ndarray:
        """Actions the agent may choose now (MaskablePPO calls this)."""
        return self.actions.action_mask(self.base_index(), self.mask)
