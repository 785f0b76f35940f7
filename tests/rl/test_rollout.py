"""Sequential prediction: a backtest over a window equals live decisions candle by candle."""

from __future__ import annotations

import numpy as np
from stable_baselines3 import PPO

from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.rollout import rollout

LEVELS = (0.0, 0.5, 1.0)


def trained_model(seed: int = 3) -> tuple[PPO, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.uniform(-1, 1, (300, 3)).astype(np.float32)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    env = ExposureEnv(features, prices, LEVELS, 0.004)
    model = PPO("MlpPolicy", env, n_steps=128, batch_size=32, seed=seed, device="cpu")
    model.learn(256)
    return model, features


def test_window_rollout_equals_candle_by_candle_live_path() -> None:
    model, features = trained_model()
    window = rollout(model, features, LEVELS)
    exposure = 0.0
    live = []
    for t in range(len(features)):  # the live bot: one new candle per call, state carried
        exposure = float(rollout(model, features[t : t + 1], LEVELS, exposure)[0])
        live.append(exposure)
    np.testing.assert_array_equal(window, np.array(live))
    assert set(np.unique(window)) <= set(LEVELS)


def test_exposure_is_fed_back_into_the_observation() -> None:
    """The same features with a different held exposure may lead elsewhere; the rollout must
    use the exposure it chose, not a constant."""
    model, features = trained_model()
    exposures = rollout(model, features, LEVELS)
    observations = np.column_stack([features, np.r_[0.0, exposures[:-1]]]).astype(np.float32)
    actions, _ = model.predict(observations, deterministic=True)
    np.testing.assert_array_equal(np.asarray(LEVELS)[actions], exposures)
