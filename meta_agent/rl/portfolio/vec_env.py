"""A vectorised residual environment: many coin episodes step at once, one batched policy call.

Each of the ``n_envs`` environments plays one episode of ``episode_length`` days on one coin
from a random start inside the training rows, drawn again at every reset (coins and starts
where the book's weight and every feature exist throughout). The action scales the book's
weight of the day: ``multipliers[action] x book weight``, capped at the coin's whole budget.
Both the agent's and the book's positions keep the book's relative no-trade band and drift
with the price between decisions.

The reward is the agent's advantage over the book on that coin-day, in units of the book's
daily volatility target: ``(agent PnL - book PnL - turnover_penalty x fee x (agent's traded
weight - book's traded weight)) / (vol_target / sqrt(365))``, each PnL net of fees on the
coin's budget; the penalty charges turnover beyond the book's once more (and credits less).
Following the book ("x1") earns exactly 0, so an agent that has learnt nothing defaults to
it; the common noise of the market, which the book also carries, is not in the reward (a
lower-variance signal for the residual; Silver et al. 2018, residual policy learning).

SB3's ``VecEnv`` interface, so PPO sees it as ``n_envs`` environments (SB3 resets finished
ones itself through ``step_wait``, returning ``terminal_observation`` in their info).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from meta_agent.signals.trend_book import DAYS_PER_YEAR

#: The residual actions: the book's weight times one of these (x1 follows the book).
MULTIPLIERS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5)
OBSERVATION_BOUND = 5.0
#: Position block appended to the features: held weight, the book's weight (both x4, weights
#: are small fractions) and the last multiplier over the largest.
POSITION_SIZE = 3


def band_keep(target: np.ndarray, held: np.ndarray, band: float) -> np.ndarray:
    """Where ``held`` stays (both long and within ``band`` of the target, relative to it)."""
    return (target > 0) & (held > 0) & (np.abs(target - held) < band * target)


def observations(
    features: np.ndarray, held: np.ndarray, book: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """The one observation layout, for training and for every rollout: features then the
    position block, clipped to the observation bound."""
    position = np.column_stack([4 * held, 4 * book, last / max(MULTIPLIERS)])
    observation = np.concatenate([features, position], axis=1)
    return np.clip(observation, -OBSERVATION_BOUND, OBSERVATION_BOUND).astype(np.float32)


class ResidualVecEnv(VecEnv):
    """``n_envs`` coin episodes over scaled features ``(T, N, F)``, closes and book weights
    ``(T, N)`` of the training rows; see the module docstring."""

    def __init__(
        self,
        features: np.ndarray,
        close: np.ndarray,
        weight: np.ndarray,
        n_envs: int = 16,
        episode_length: int = 120,
        fee: float = 0.004,
        band: float = 0.2,
        turnover_penalty: float = 1.0,
        vol_target: float = 0.25,
        multipliers: Sequence[float] = MULTIPLIERS,
        seed: int = 0,
    ) -> None:
        self.features = np.nan_to_num(features.astype(np.float32))
        self.prices = close
        self.weight = weight
        self.multipliers = np.asarray(multipliers, dtype=np.float64)
        self.episode_length = episode_length
        self.fee, self.band, self.penalty = fee, band, turnover_penalty
        self.scale = vol_target / np.sqrt(DAYS_PER_YEAR)
        valid = np.isfinite(weight) & np.isfinite(close) & np.isfinite(features).all(axis=2)
        self.starts = self._valid_starts(valid, episode_length)
        if not len(self.starts):
            raise ValueError(
                f"No coin has {episode_length + 1} consecutive days with a book weight and every "
                "feature in the training rows: lengthen the window or shorten the episodes."
            )
        size = features.shape[2] + POSITION_SIZE
        space = spaces.Box(-OBSERVATION_BOUND, OBSERVATION_BOUND, (size,), np.float32)
        self.render_mode = None  # nothing to render; SB3 warns when the attribute is missing
        super().__init__(n_envs, space, spaces.Discrete(len(self.multipliers)))
        self.rng = np.random.default_rng(seed)
        self.coin = np.zeros(n_envs, np.int64)
        self.t = np.zeros(n_envs, np.int64)
        self.end = np.zeros(n_envs, np.int64)
        self.held = np.zeros(n_envs)
        self.book = np.zeros(n_envs)
        self.last = np.ones(n_envs)
        self._actions = np.zeros(n_envs, np.int64)

    @staticmethod
    def _valid_starts(valid: np.ndarray, length: int) -> np.ndarray:
        """(row, coin) pairs from which ``length`` steps stay valid."""
        run = np.zeros_like(valid, dtype=np.int64)
        for t in range(len(valid) - 1, -1, -1):  # consecutive valid days from t on
            run[t] = np.where(valid[t], 1 + (run[t + 1] if t + 1 < len(valid) else 0), 0)
        rows, coins = np.nonzero(run > length)
        return np.column_stack([rows, coins])

    def _start(self, envs: np.ndarray) -> None:
        picks = self.starts[self.rng.integers(0, len(self.starts), len(envs))]
        self.t[envs], self.coin[envs] = picks[:, 0], picks[:, 1]
        self.end[envs] = self.t[envs] + self.episode_length
        self.held[envs] = self.book[envs] = 0.0
        self.last[envs] = 1.0

    def _observe(self, envs: np.ndarray) -> np.ndarray:
        t, coin = self.t[envs], self.coin[envs]
        return observations(
            self.features[t, coin], self.held[envs], self.weight[t, coin], self.last[envs]
        )

    def reset(self) -> np.ndarray:
        everyone = np.arange(self.num_envs)
        self._start(everyone)
        return self._observe(everyone)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        everyone = np.arange(self.num_envs)
        t, coin = self.t, self.coin
        book_target = self.weight[t, coin]
        multiplier = self.multipliers[self._actions]
        target = np.minimum(1.0, multiplier * book_target)
        target = np.where(band_keep(target, self.held, self.band), self.held, target)
        book_new = np.where(band_keep(book_target, self.book, self.band), self.book, book_target)
        change, book_change = np.abs(target - self.held), np.abs(book_new - self.book)
        move = self.prices[t + 1, coin] / self.prices[t, coin] - 1
        agent_pnl = target * move - self.fee * change
        book_pnl = book_new * move - self.fee * book_change
        extra_turnover = change - book_change  # negative when the agent trades less
        rewards = (agent_pnl - book_pnl - self.penalty * self.fee * extra_turnover) / self.scale
        self.held, self.book = target * (1 + move), book_new * (1 + move)
        self.last = multiplier
        self.t = t + 1
        dones = self.t >= self.end
        infos: list[dict[str, Any]] = [{} for _ in everyone]
        observation = self._observe(everyone)
        finished = np.flatnonzero(dones)
        for env in finished:
            infos[env]["terminal_observation"] = observation[env]
            infos[env]["TimeLimit.truncated"] = True
        if len(finished):
            self._start(finished)
            observation[finished] = self._observe(finished)
        return observation, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        return None

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list:
        return [getattr(self, method_name)(*args, **kwargs) for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices: Any) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
