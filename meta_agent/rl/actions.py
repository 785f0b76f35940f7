"""What an action means: an exposure level, or an adjustment of a base level (residual).

Direct actions index the exposure levels. Residual actions (``meta_rl.base``) move the base's
level by ``action - (L - 1)`` steps, clipped to the levels, so the middle action ("follow the
base") holds the base exposure and an agent that knows nothing can default to it (Silver et al.
2018, residual policy learning). One mapping, used by the environment, the rollout and the
validation gate alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meta_agent.rl.masks import Levels, nearest_allowed


@dataclass(frozen=True)
class ActionMap:
    """Maps actions to level indices for ``n_levels`` levels; residual if ``residual``."""

    n_levels: int
    residual: bool = False

    @property
    def n_actions(self) -> int:
        return 2 * self.n_levels - 1 if self.residual else self.n_levels

    @property
    def follow_base(self) -> int:
        """The action that holds the base level (residual only)."""
        return self.n_levels - 1

    def level_index(self, action: int, base_index: int | None) -> int:
        """The level ``action`` asks for, given the base level's index (residual only)."""
        if not self.residual:
            return int(action)
        if base_index is None:
            raise ValueError("Residual actions need the base level; got none.")
        offset = int(action) - self.follow_base
        return int(np.clip(base_index + offset, 0, self.n_levels - 1))

    def executed_index(
        self, action: int, base_index: int | None, levels: Levels, level_mask: np.ndarray
    ) -> int:
        """The allowed level actually held: the nearest allowed one to what was asked."""
        return nearest_allowed(self.level_index(action, base_index), levels, level_mask)

    def action_mask(self, base_index: int | None, level_mask: np.ndarray) -> np.ndarray:
        """Actions whose level is allowed (direct: the level mask itself)."""
        if not self.residual:
            return np.asarray(level_mask, dtype=bool).copy()
        allowed = np.array(
            [level_mask[self.level_index(a, base_index)] for a in range(self.n_actions)], bool
        )
        if not allowed.any():  # flat is always allowed, so some offset reaches it
            raise ValueError(f"No action reaches an allowed level from base {base_index}.")
        return allowed


def within_band(target: float, current: float, threshold: float) -> bool:
    """Is ``current`` close enough to ``target`` to keep it (the no-trade band)?

    Within the band: both on the same side of flat and less than ``threshold`` apart (exposure
    fractions of the pair's budget). Going flat, opening and flipping always trade. The one
    rule for the environment, the rollout and the orders
    (:func:`meta_agent.strategy.execution.rebalance_amount`).
    """
    same_side = target * current > 0
    return same_side and abs(target - current) < threshold
