"""Sequential decisions: the agent's state at t comes from its own decisions before t, as live."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from meta_agent.rl.actions import ActionMap, within_band
from meta_agent.rl.env import make_observation
from meta_agent.rl.inference import Runner
from meta_agent.rl.position import PositionTracker


@dataclass
class AgentState:
    """Everything an agent carries from one candle to the next for one pair."""

    position: PositionTracker = field(default_factory=PositionTracker)
    lstm: Any = None  # LSTMState, or one per ensemble member
    last_date: pd.Timestamp | None = None


class Decisions(NamedTuple):
    """What a rollout decided and saw: for attribution and inspection."""

    exposures: np.ndarray  # (T,)
    observations: np.ndarray  # (T, F + position block)
    actions: np.ndarray  # (T,) the chosen actions (level indices, or residual adjustments)
    lstm_start: Any  # RecurrentPPO: the LSTM state(s) before the first decision


def rollout_decisions(
    runner: Runner,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    state: AgentState,
    *,
    base: np.ndarray | None = None,
    band: float = 0.0,
) -> Decisions:
    """Decide step by step, each observation built from the state the last decision left.

    Per step (a decision candle), exactly as :class:`~meta_agent.rl.env.ExposureEnv` and the
    live bot: mark the price, observe, choose the most likely allowed action, keep the held
    exposure if the new one is within the no-trade ``band``, rebalance. ``mask`` is one level
    mask for every step ``(levels,)`` or one per step ``(T, levels)``; ``base`` the base
    policy's level index per step for residual actions. ``state`` is updated in place, so a
    later call continues where this one stopped (next backtest window, next live candle).
    """
    if state.lstm is None:
        state.lstm = runner.initial_state()
    lstm_start = state.lstm
    action_map = ActionMap(len(levels), residual=base is not None)
    exposures = np.empty(len(features), dtype=np.float64)
    actions = np.empty(len(features), dtype=np.int64)
    observations = []
    masks = np.broadcast_to(mask, (len(features), len(levels)))
    for t in range(len(features)):
        price = float(prices[t])
        base_index = None if base is None else int(base[t])
        state.position.mark(price)
        observation = make_observation(features[t], state.position.observation(price))
        allowed = action_map.action_mask(base_index, masks[t])
        actions[t], state.lstm = runner.decide(observation, allowed, state.lstm)
        index = action_map.executed_index(int(actions[t]), base_index, levels, masks[t])
        exposures[t] = levels[index]
        if within_band(float(exposures[t]), state.position.exposure, band):
            exposures[t] = state.position.exposure
        state.position.rebalance(float(exposures[t]), price, fee)
        observations.append(observation)
    stacked = np.vstack(observations) if observations else np.empty((0, 0), dtype=np.float32)
    return Decisions(exposures, stacked, actions, lstm_start)


def rollout(
    runner: Runner,
    features: np.ndarray,
    prices: np.ndarray,
    levels: np.ndarray,
    mask: np.ndarray,
    fee: float,
    state: AgentState,
    *,
    base: np.ndarray | None = None,
    band: float = 0.0,
) -> np.ndarray:
    """The ``(T,)`` exposures of :func:`rollout_decisions`."""
    return rollout_decisions(
        runner, features, prices, levels, mask, fee, state, base=base, band=band
    ).exposures
