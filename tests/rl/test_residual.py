"""Residual actions on a base policy, and one no-trade band for env, rollout and orders."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from meta_agent.config import RewardConfig
from meta_agent.rl.actions import ActionMap, within_band
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.rollout import AgentState, rollout
from meta_agent.strategy.execution import rebalance_amount
from tests.rl.worlds import LEVELS, foretelling_world


class Scripted:
    """A runner that plays a fixed sequence of actions (the most likely allowed one)."""

    def __init__(self, actions: np.ndarray) -> None:
        self.actions = list(actions)

    def initial_state(self) -> None:
        return None

    def decide(
        self, observation: np.ndarray, mask: np.ndarray, state: Any = None
    ) -> tuple[int, Any]:
        action = self.actions.pop(0)
        assert mask[action], "the scripted action must be allowed"
        return int(action), state


def test_residual_actions_move_the_base_level_and_clip() -> None:
    actions = ActionMap(3, residual=True)
    assert actions.n_actions == 5 and actions.follow_base == 2
    assert [actions.level_index(a, 1) for a in range(5)] == [0, 0, 1, 2, 2]
    assert [actions.level_index(a, 2) for a in range(5)] == [0, 1, 2, 2, 2]
    no_full = np.array([True, True, False])
    np.testing.assert_array_equal(actions.action_mask(0, no_full), [True, True, True, True, False])
    assert ActionMap(3).level_index(1, None) == 1
    with pytest.raises(ValueError, match="base level"):
        actions.level_index(0, None)


def test_following_the_base_holds_the_base_exposure() -> None:
    features, prices = foretelling_world(seed=3, n=60)
    base = np.random.default_rng(0).integers(0, 3, len(prices))
    env = ExposureEnv(features, prices, LEVELS, 0.004, base=base)
    env.reset(seed=0)
    held = [env.step(env.actions.follow_base)[4]["exposure"] for _ in range(len(prices) - 1)]
    np.testing.assert_array_equal(held, LEVELS[base[:-1]])


def test_band_is_one_rule_for_env_rollout_and_orders() -> None:
    """Levels 0.2 apart under a 0.3 band: small moves on the same side are not traded."""
    levels = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    features, prices = foretelling_world(seed=5, n=200)
    actions = np.random.default_rng(1).integers(0, len(levels), len(prices))
    band, fee = 0.3, 0.004

    env = ExposureEnv(features, prices, levels, fee, RewardConfig(), band=band)
    env.reset(seed=0)
    env_path = [env.step(a)[4]["exposure"] for a in actions[:-1]]

    rolled = rollout(
        Scripted(actions),
        features,
        prices,
        levels,
        np.ones(len(levels), bool),
        fee,
        AgentState(),
        band=band,
    )
    np.testing.assert_array_equal(rolled[:-1], env_path)

    # The orders: a position held at the previous level is resized exactly where the path moves.
    held = 0.0
    for wanted, kept in zip(levels[actions[:-1]], env_path, strict=True):
        if held > 0 and wanted > 0:
            amount = rebalance_amount(wanted, held * 1000, 1000, band, None, 1e9)
            assert (amount is None) == (kept == held) == within_band(wanted, held, band)
        held = kept
    assert len(set(env_path)) > 2, "the path must move between levels"


def test_turnover_penalty_charges_each_change() -> None:
    features, prices = foretelling_world(seed=3, n=10)
    flat_prices = np.full_like(prices, 100.0)
    plain = ExposureEnv(features, flat_prices, LEVELS, 0.0)
    charged = ExposureEnv(features, flat_prices, LEVELS, 0.0, RewardConfig(turnover_penalty=0.01))
    for env in (plain, charged):
        env.reset(seed=0)
    assert plain.step(2)[1] == 0.0
    assert charged.step(2)[1] == pytest.approx(-0.01)
    assert charged.step(1)[1] == pytest.approx(-0.005)


def test_random_episode_starts_are_seeded_and_short() -> None:
    features, prices = foretelling_world(seed=3, n=100)
    env = ExposureEnv(features, prices, LEVELS, 0.004, episode_length=10)
    first, _ = env.reset(seed=7)
    steps = 0
    truncated = False
    while not truncated:
        _, _, _, truncated, _ = env.step(0)
        steps += 1
    assert steps == 10
    again, _ = ExposureEnv(features, prices, LEVELS, 0.004, episode_length=10).reset(seed=7)
    np.testing.assert_array_equal(first, again)
