"""Sequential prediction with carried state: backtest windows equal live candle-by-candle."""

from __future__ import annotations

import numpy as np
import pytest
from sb3_contrib import MaskablePPO, RecurrentPPO
from stable_baselines3 import A2C, PPO

from meta_agent.rl.env import ExposureEnv, make_observation
from meta_agent.rl.inference import PolicyRunner
from meta_agent.rl.masks import action_mask
from meta_agent.rl.rollout import AgentState, rollout
from tests.rl.worlds import LEVELS, foretelling_world

FEE = 0.004
ALGOS = {
    "PPO": (PPO, "MlpPolicy", {"n_steps": 64, "batch_size": 32}),
    "A2C": (A2C, "MlpPolicy", {"n_steps": 8}),
    "MaskablePPO": (MaskablePPO, "MlpPolicy", {"n_steps": 64, "batch_size": 32}),
    "RecurrentPPO": (RecurrentPPO, "MlpLstmPolicy", {"n_steps": 64, "batch_size": 32}),
}


def briefly_trained(name: str, mask: np.ndarray | None = None):
    features, prices = foretelling_world(seed=3, n=200)
    algo, policy, kwargs = ALGOS[name]
    env = ExposureEnv(features, prices, LEVELS, FEE, mask=mask)
    model = algo(policy, env, seed=3, device="cpu", **kwargs)
    model.learn(128)
    return model


@pytest.mark.parametrize("name", list(ALGOS))
def test_window_equals_candle_by_candle_live_path(name: str) -> None:
    model = briefly_trained(name)
    features, prices = foretelling_world(seed=11, n=120)
    mask = np.ones(len(LEVELS), bool)
    runner = PolicyRunner(model)
    window = rollout(runner, features, prices, LEVELS, mask, FEE, AgentState())
    live_state = AgentState()
    live = [  # the live bot: one new candle per call, the agent state carried between calls
        rollout(runner, features[t : t + 1], prices[t : t + 1], LEVELS, mask, FEE, live_state)[0]
        for t in range(len(features))
    ]
    np.testing.assert_array_equal(window, np.array(live))


def test_observations_carry_the_agents_own_position() -> None:
    """Re-deriving each observation from the exposures chosen gives back the same choices."""
    model = briefly_trained("PPO")
    features, prices = foretelling_world(seed=11, n=120)
    mask = np.ones(len(LEVELS), bool)
    exposures = rollout(PolicyRunner(model), features, prices, LEVELS, mask, FEE, AgentState())
    state = AgentState()
    for t in range(len(features)):
        state.position.mark(prices[t])
        obs = make_observation(features[t], state.position.observation(prices[t]))
        action, _ = model.predict(obs, deterministic=True)
        assert LEVELS[int(action)] == exposures[t]
        state.position.rebalance(exposures[t], prices[t], FEE)


def test_recurrent_state_is_carried_not_reset() -> None:
    model = briefly_trained("RecurrentPPO")
    runner = PolicyRunner(model)
    features, prices = foretelling_world(seed=11, n=30)
    state = AgentState()
    rollout(runner, features, prices, LEVELS, np.ones(3, bool), FEE, state)
    hidden, cell = state.lstm
    assert float(hidden.abs().sum()) > 0 and float(cell.abs().sum()) > 0
    # SB3's predict with the carried state agrees with the runner's next decision.
    obs = make_observation(features[-1], state.position.observation(prices[-1]))
    sb3_state = (hidden.numpy(), cell.numpy())
    action, _ = model.predict(obs, state=sb3_state, episode_start=np.zeros(1), deterministic=True)
    decided, _ = runner.decide(obs, np.ones(3, bool), state.lstm)
    assert decided == int(action)


@pytest.mark.parametrize("name", list(ALGOS))
def test_masks_are_respected_at_inference(name: str) -> None:
    mask = action_mask(LEVELS, can_short=False, max_exposure=0.5)
    model = briefly_trained(name, mask)
    features, prices = foretelling_world(seed=5, n=300)
    exposures = rollout(PolicyRunner(model), features, prices, LEVELS, mask, FEE, AgentState())
    assert exposures.max() <= 0.5


def test_save_load_round_trip_gives_the_same_actions(tmp_path) -> None:
    model = briefly_trained("PPO")
    model.save(tmp_path / "model")
    loaded = PPO.load(tmp_path / "model", device="cpu")
    features, prices = foretelling_world(seed=13, n=150)
    mask = np.ones(len(LEVELS), bool)
    before = rollout(PolicyRunner(model), features, prices, LEVELS, mask, FEE, AgentState())
    after = rollout(PolicyRunner(loaded), features, prices, LEVELS, mask, FEE, AgentState())
    np.testing.assert_array_equal(before, after)
