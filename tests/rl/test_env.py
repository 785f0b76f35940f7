"""ExposureEnv: checkers, hand-computed rewards, masks, termination."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from meta_agent.config import RewardConfig
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.position import POSITION_FEATURES

LEVELS = (0.0, 0.5, 1.0)


def make_env(prices: list[float], fee: float = 0.004, mask=None, **reward: float) -> ExposureEnv:
    features = np.zeros((len(prices), 2), dtype=np.float32)
    return ExposureEnv(features, np.array(prices), LEVELS, fee, RewardConfig(**reward), mask)


def test_env_passes_gymnasium_and_sb3_checkers() -> None:
    rng = np.random.default_rng(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    env = ExposureEnv(rng.uniform(-1, 1, (200, 4)), prices, LEVELS, 0.004)
    check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=True)


def test_observation_ends_with_the_position_block() -> None:
    env = make_env([100.0, 110.0, 99.0])
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2 + len(POSITION_FEATURES),)
    obs, *_ = env.step(2)
    exposure, pnl, time_in_position, drawdown = obs[-4:]
    assert exposure == 1.0
    assert pnl == pytest.approx(0.10)
    assert time_in_position == pytest.approx(1 / 168)
    assert drawdown == 0.0


def test_reward_is_log_growth_net_of_fees() -> None:
    env = make_env([100.0, 110.0, 99.0], drawdown_penalty=0.0)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(2)  # flat -> 1.0, then +10 %
    assert reward == pytest.approx(math.log((1 - 0.004) * 1.10))
    assert not terminated and not truncated
    _, reward, _, truncated, info = env.step(1)  # 1.0 -> 0.5, then -10 %
    assert reward == pytest.approx(math.log((1 - 0.002) * (1 - 0.05)))
    assert info["fee_paid"] == pytest.approx(0.002)
    assert truncated


def test_holding_still_pays_no_fee() -> None:
    env = make_env([100.0, 100.0, 100.0])
    env.reset(seed=0)
    env.step(0)
    _, reward, _, _, info = env.step(0)
    assert reward == 0.0 and info["fee_paid"] == 0.0


def test_drawdown_penalty_and_terminal_penalty() -> None:
    env = make_env([100.0, 50.0, 60.0], fee=0.0, drawdown_penalty=1.0, max_drawdown=0.4)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(2)
    assert info["drawdown"] == pytest.approx(0.5)
    assert reward == pytest.approx(math.log(0.5) - 1.0 * 0.5 - 1.0)
    assert terminated


def test_forbidden_level_executes_the_nearest_allowed() -> None:
    env = make_env([100.0, 110.0, 99.0], mask=np.array([True, True, False]))
    env.reset(seed=0)
    _, _, _, _, info = env.step(2)
    assert info["exposure"] == 0.5
    assert env.action_masks().tolist() == [True, True, False]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="features of shape"):
        ExposureEnv(np.zeros((3, 2)), np.ones(4), LEVELS, 0.0)
    with pytest.raises(ValueError, match="finite and positive"):
        ExposureEnv(np.zeros((3, 2)), np.array([1.0, 0.0, 1.0]), LEVELS, 0.0)
    with pytest.raises(ValueError, match="one bool per level"):
        ExposureEnv(np.zeros((3, 2)), np.ones(3), LEVELS, 0.0, mask=np.zeros(3, bool))
