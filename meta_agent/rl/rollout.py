"""Sequential decisions: the agent's state at t comes from its own decisions before t, as live."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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


class Decisions(NamedTuple):
    """What a rollout decided and saw: for attribution and inspection."""

    exposures: np.ndarray  # (T,)
    observations: np.ndarray  # (T, F + position block)
    actions: np.ndarray  # (T,) indices into the levels
    lstm_start: LSTMState | None  # RecurrentPPO: the LSTM state before the first decision


def rollout_decisions(
    runner: PolicyRunner,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    state: AgentState,
) -> Decisions:
    """Decide candle by candle, each observation built from the state the last decision left.

    Per candle, exactly as :class:`~meta_agent.rl.env.ExposureEnv` and the live bot: mark the
    price, observe, choose the most likely allowed level, rebalance. ``mask`` is one mask for
    every candle ``(levels,)`` or one per candle ``(T, levels)``. ``state`` is updated in
    place, so a later call continues where this one stopped (next backtest window, next live
    candle).
    """
    if state.lstm is None:
        state.lstm = runner.initial_state()
    lstm_start = state.lstm
    exposures = np.empty(len(features), dtype=np.float64)
    actions = np.empty(len(features), dtype=np.int64)
    observations = []
    masks = np.broadcast_to(mask, (len(features), len(levels)))
    for t in range(len(features)):
        price = float(prices[t])
        state.position.mark(price)
        observation = make_observation(features[t], state.position.observation(price))
        actions[t], state.lstm = runner.decide(observation, masks[t], state.lstm)
        exposures[t] = levels[actions[t]]
        state.position.rebalance(float(exposures[t]), price, fee)
        observations.append(observation)
    stacked = np.vstack(observations) if observations else np.empty((0, 0), dtype=np.float32)
    return Decisions(exposures, stacked, actions, lstm_start)


def rollout(
    runner: PolicyRunner,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    state: AgentState,
) -> np.ndarray:
    """The ``(T,)`` exposures of :func:`rollout_decisions`."""
    return rollout_decisions(runner, features, prices, levels, mask, fee, state).exposures
