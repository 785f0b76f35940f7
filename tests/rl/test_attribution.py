"""SHAP attribution: the foretelling source dominates; values add up; groups; the line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch as th
from stable_baselines3 import PPO

from meta_agent.columns import CONTEXT, POSITION
from meta_agent.rl.attribution import (
    PolicyExplainer,
    feature_groups,
    global_importance,
    grouped,
)
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.inference import PolicyRunner
from meta_agent.rl.rollout import AgentState, rollout_decisions
from meta_agent.strategy.notify import decision_line
from tests.rl.test_rollout import briefly_trained
from tests.rl.worlds import LEVELS, foretelling_world, trained_on_foretelling

NAMES = ["%-oracle-v1__score", "%-noise-v1__score"]
SOURCES = ["oracle-v1", "noise-v1"]
ALL = np.ones(len(LEVELS), bool)


def decisions_of(model, seed: int = 7, n: int = 300):
    features, prices = foretelling_world(seed=seed, n=n)
    return rollout_decisions(
        PolicyRunner(model), features, prices, LEVELS, ALL, 0.001, AgentState()
    )


@pytest.fixture(scope="module")
def trained() -> PPO:
    return trained_on_foretelling(activation=th.nn.ReLU)


def test_the_foretelling_source_gets_the_largest_attribution(trained: PPO) -> None:
    background = decisions_of(trained, seed=0).observations[::6]
    decisions = decisions_of(trained)
    explained = PolicyExplainer(trained, background).explain(
        decisions.observations, decisions.actions
    )
    shares = global_importance(grouped(explained.values, feature_groups(NAMES, SOURCES)))
    assert shares["oracle-v1"] > 5 * shares["noise-v1"], shares
    assert shares["oracle-v1"] > 0.5, shares


@pytest.mark.parametrize("name", ["PPO", "A2C", "MaskablePPO"])
def test_attributions_plus_expected_value_equal_the_explained_logit(name: str) -> None:
    model = briefly_trained(name)
    decisions = decisions_of(model, n=80)
    explained = PolicyExplainer(model, decisions.observations[::4]).explain(
        decisions.observations, decisions.actions
    )
    np.testing.assert_allclose(
        explained.values.sum(axis=1) + explained.expected, explained.logits, atol=1e-4
    )


def test_recurrent_policy_is_explained_with_its_lstm_state_held() -> None:
    model = briefly_trained("RecurrentPPO")
    decisions = decisions_of(model, n=40)
    explainer = PolicyExplainer(model, decisions.observations[::4], decisions.lstm_start)
    explained = explainer.explain(decisions.observations[:5], decisions.actions[:5])
    assert explained.values.shape == (5, decisions.observations.shape[1])
    assert np.isfinite(explained.values).all()


def test_groups_cover_sources_context_and_position() -> None:
    names = ["%-trend-v1__score", "%-trend-v1__confidence", "%-volatility_1h", "%-news-v1__score"]
    groups = feature_groups(names, ["trend-v1", "news-v1"])
    assert groups == {
        "trend-v1": [0, 1],
        "news-v1": [3],
        CONTEXT: [2],
        POSITION: [4, 5, 6, 7],
    }
    values = np.arange(16, dtype=float).reshape(2, 8)
    frame = grouped(values, groups)
    assert frame.loc[0, "trend-v1"] == 0 + 1 and frame.loc[1, POSITION] == 12 + 13 + 14 + 15


def test_decision_line_names_the_top_sources_with_signed_shares() -> None:
    row = pd.Series(
        {
            "trend-v1": 0.4,
            "funding-v1": -0.2,
            "news-v1": 0.1,
            "social-v2": 0.05,
            CONTEXT: 0.2,
            POSITION: 0.05,
        }
    )
    line = decision_line("BTC/USD", 0.5, 1.0, row)
    assert line == "MetaRL BTC/USD: exposure 0.5 → 1 | trend-v1 +40%, funding-v1 -20%, news-v1 +10%"


def test_training_background_is_stored_with_its_global_importance(trained: PPO) -> None:
    from meta_agent.rl.attribution import training_background

    features, prices = foretelling_world(seed=0)
    env = ExposureEnv(features, prices, LEVELS, 0.001)
    background, importance = training_background(trained, env, NAMES, SOURCES, size=40)
    assert background.shape == (40, len(NAMES) + 4)
    assert sum(importance.values()) == pytest.approx(1.0)
    assert max(importance, key=importance.get) == "oracle-v1"
