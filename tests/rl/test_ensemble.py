"""Seed ensembles decide by median; the validation gate keeps the base unless the agent earns it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from stable_baselines3 import PPO

from meta_agent.rl.actions import ActionMap
from meta_agent.rl.ensemble import SeedEnsemble, gate, member_path, runner_for
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import EnsembleRunner
from meta_agent.rl.rollout import AgentState, rollout
from tests.rl.test_rollout import briefly_trained
from tests.rl.worlds import LEVELS, foretelling_world

ALL = np.ones(len(LEVELS), bool)


class Constant:
    """A stand-in member that always prefers one action."""

    def __init__(self, action: int) -> None:
        self.action = action

    def decide(self, observation, mask, state=None):
        return self.action, state

    def initial_state(self):
        return None


def test_ensemble_takes_the_median_member_action_or_the_fixed_one() -> None:
    runner = EnsembleRunner.__new__(EnsembleRunner)
    runner.members = [Constant(0), Constant(2), Constant(4)]
    runner.fixed_action = None
    assert runner.decide(np.zeros(2), np.ones(5, bool))[0] == 2
    runner.members = [Constant(1), Constant(4), Constant(4), Constant(0)]
    assert runner.decide(np.zeros(2), np.ones(5, bool))[0] == 1  # lower middle
    runner.fixed_action = 2
    assert runner.decide(np.zeros(2), np.ones(5, bool))[0] == 2
    # The fixed action masked: the nearest allowed one.
    assert runner.decide(np.zeros(2), np.array([True, True, False, False, True]))[0] == 1


def test_ensemble_saves_and_loads_every_member(tmp_path: Path) -> None:
    members = [briefly_trained("PPO"), briefly_trained("PPO")]
    ensemble = SeedEnsemble(members, use_agent=False, follow_base=2, scores={"agent": 0.1})
    path = tmp_path / "cb_btc_1700000000_model.zip"
    ensemble.save(path)
    assert member_path(path, 1).is_file()
    info = ensemble.metadata()
    loaded = SeedEnsemble.load(PPO.load(path), path, info, [PPO, PPO])
    assert loaded.use_agent is False and loaded.follow_base == 2 and len(loaded.members) == 2
    features, prices = foretelling_world(seed=9, n=80)
    before = rollout(runner_for(ensemble), features, prices, LEVELS, ALL, 0.004, AgentState())
    after = rollout(runner_for(loaded), features, prices, LEVELS, ALL, 0.004, AgentState())
    np.testing.assert_array_equal(before, after)


def residual_world(base_right: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The foretelling world with a base that is always right (full when the price rises next,
    flat otherwise) or always wrong."""
    features, prices = foretelling_world(seed=seed, n=400)
    rises = features[:, 0] > 0
    base = np.where(rises == base_right, 2, 0)
    return features, prices, base


def trained_residual(features: np.ndarray, prices: np.ndarray, base: np.ndarray, seed: int):
    env = ExposureEnv(features, prices, LEVELS, 0.001, base=base)
    model = PPO(
        "MlpPolicy",
        env,
        learning_rate=1e-3,
        n_steps=256,
        batch_size=64,
        seed=seed,
        device="cpu",
        policy_kwargs={"net_arch": [32, 32]},
    )
    model.learn(3000)
    return model


def test_gate_keeps_a_perfect_base() -> None:
    features, prices, base = residual_world(base_right=True)
    members = [trained_residual(features, prices, base, seed=1)]
    ensemble = SeedEnsemble(members, follow_base=ActionMap(3, residual=True).follow_base)
    check, check_prices, check_base = residual_world(base_right=True, seed=5)
    gate(ensemble, check, check_prices, LEVELS, ALL, 0.001, check_base, 0.0)
    assert ensemble.use_agent is False
    assert ensemble.scores["base"] >= ensemble.scores["agent"]


def test_gate_lets_an_agent_that_corrects_a_wrong_base_trade() -> None:
    features, prices, base = residual_world(base_right=False)
    members = [trained_residual(features, prices, base, seed=1)]
    ensemble = SeedEnsemble(members, follow_base=ActionMap(3, residual=True).follow_base)
    check, check_prices, check_base = residual_world(base_right=False, seed=5)
    gate(ensemble, check, check_prices, LEVELS, ALL, 0.001, check_base, 0.0)
    assert ensemble.use_agent is True
    assert ensemble.scores["agent"] > ensemble.scores["base"]
