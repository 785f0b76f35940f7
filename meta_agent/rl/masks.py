"""Which exposure levels the agent may choose: the same mask in training and at inference."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Exposure levels as configured (a sequence) or as stored on a model (an array).
Levels = Sequence[float] | np.ndarray


def action_mask(levels: Levels, *, can_short: bool, max_exposure: float) -> np.ndarray:
    """Allowed levels: no shorts unless the trading mode can short, ``|level| <= max_exposure``.

    Flat (0) is always allowed, so a mask never leaves the agent without a choice.
    """
    arr = np.asarray(levels, dtype=np.float64)
    allowed = np.abs(arr) <= max_exposure + 1e-12
    if not can_short:
        allowed &= arr >= 0
    allowed |= arr == 0
    return allowed


def nearest_allowed(index: int, levels: Levels, mask: np.ndarray) -> int:
    """The allowed level closest to ``levels[index]``, ties towards flat.

    Algorithms without native masking (PPO, A2C, RecurrentPPO) may pick a forbidden level in
    training; the environment executes this one instead, as the live bot would be refused.
    """
    if mask[index]:
        return index
    arr = np.asarray(levels, dtype=np.float64)
    candidates = np.flatnonzero(mask)
    distance = np.abs(arr[candidates] - arr[index]) + 1e-9 * np.abs(arr[candidates])
    return int(candidates[np.argmin(distance)])
