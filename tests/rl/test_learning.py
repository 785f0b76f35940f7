"""Learns what is learnable: follow the source that foretells returns, ignore the noise."""

from __future__ import annotations

import numpy as np

from meta_agent.rl.inference import PolicyRunner
from meta_agent.rl.position import PositionTracker
from meta_agent.rl.rollout import AgentState, rollout
from tests.rl.worlds import LEVELS, foretelling_world, trained_on_foretelling

FEE = 0.001
ALL = np.ones(len(LEVELS), bool)


def final_equity(exposures: np.ndarray, prices: np.ndarray) -> float:
    position = PositionTracker()
    for exposure, price in zip(exposures, prices, strict=True):
        position.mark(price)
        position.rebalance(float(exposure), price, FEE)
    return position.equity


def test_short_ppo_training_follows_the_oracle_and_ignores_noise() -> None:
    model = trained_on_foretelling(fee=FEE)

    test_features, test_prices = foretelling_world(seed=7)
    runner = PolicyRunner(model)
    exposures = rollout(runner, test_features, test_prices, LEVELS, ALL, FEE, AgentState())
    oracle = test_features[:, 0]
    assert np.mean((exposures > 0) == (oracle > 0)) >= 0.9, "follows the foretelling source"

    reshuffled = test_features.copy()
    reshuffled[:, 1] = np.random.default_rng(99).uniform(-1, 1, len(reshuffled))
    other = rollout(runner, reshuffled, test_prices, LEVELS, ALL, FEE, AgentState())
    assert np.mean(other != exposures) <= 0.05, "other noise barely changes a decision"

    rng = np.random.default_rng(3)
    random_equity = np.median(
        [final_equity(rng.choice(LEVELS, len(test_prices)), test_prices) for _ in range(20)]
    )
    trained = final_equity(exposures, test_prices)
    assert np.log(trained) - np.log(random_equity) > 1.0, (trained, random_equity)
