"""Sequential decisions: the agent's state at t comes from its own decisions before t, as live."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from meta_agent.rl.env import make_observation
from meta_agent.rl.inference import LSTMState, PolicyRunner
from meta_agent.rl.position import PositionTracker


@dataclass
class AgentState:
    """Everything an agent carries from one candle to the next for one pair."""

    position: PositionTracker = field(default_factory=PositionTracker)
    lstm: LSTMState | None = None
    last_date: pd.Timestamp | None = None


def rollout(
    runner: PolicyRunner,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    state: AgentState,
) -> np.ndarray:
    """Decide candle by candle, each observation built from the state the last decision left.

    Per candle, exactly as :class:`~meta_agent.rl.env.ExposureEnv` and the live bot: mark the
    price, observe, choose the most likely allowed level, rebalance. ``state`` is updated in
    place, so a later call continues where this one stopped (next backtest window, next live
    candle).

    Returns:
        ``(T,)`` chosen exposures.
    """
    exposures = np.empty(len(features), dtype=np.float64)
    if state.lstm is None:
        state.lstm = runner.initial_state()
    for t in range(len(features)):
        price = float(prices[t])
        state.position.mark(price)
        observation = make_observation(features[t], state.position.observation(price))
        action, state.lstm = runner.decide(observation, mask, state.lstm)
        exposures[t] = levels[action]
        state.position.rebalance(float(exposures[t]), price, fee)
    return exposures
