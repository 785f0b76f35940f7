"""Model choice per window: the best validation Sharpe wins; the chosen type reloads."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meta_agent.config import MetaRLConfig
from meta_agent.errors import ConfigError
from meta_agent.rl.algorithms import algorithm_class
from meta_agent.rl.env import ExposureEnv
from meta_agent.rl.model import stored_model_type
from meta_agent.rl.position import equity_curve
from meta_agent.rl.selection import select_model, sharpe
from tests.rl.worlds import LEVELS, foretelling_world


def test_sharpe_of_hand_made_curves() -> None:
    assert sharpe(np.array([1.0, 1.0, 1.0])) == 0.0
    equity = np.exp(np.cumsum([0.0, 0.01, -0.01, 0.02]))
    returns = np.array([0.01, -0.01, 0.02])
    assert sharpe(equity) == pytest.approx(returns.mean() / returns.std())


def test_equity_curve_charges_fees_and_follows_exposure() -> None:
    curve = equity_curve(np.array([1.0, 1.0, 0.0]), np.array([100.0, 110.0, 121.0]), 0.01)
    np.testing.assert_allclose(curve, [0.99, 0.99 * 1.1, 0.99 * 1.1 * 1.1 * 0.99])


def test_keeps_the_candidate_with_the_best_validation_sharpe() -> None:
    features, prices = foretelling_world(seed=0, n=300)
    env = ExposureEnv(features, prices, LEVELS, 0.001)
    kwargs = {"seed": 1, "device": "cpu", "n_steps": 64}
    chosen = select_model(["PPO", "A2C"], env, 0.25, 4, kwargs)
    assert set(chosen.scores) == {"PPO", "A2C"}
    assert chosen.scores[chosen.model_type] == max(chosen.scores.values())
    assert type(chosen.model).__name__ == chosen.model_type


def test_too_short_window_is_refused() -> None:
    features, prices = foretelling_world(seed=0, n=4)
    env = ExposureEnv(features, prices, LEVELS, 0.001)
    with pytest.raises(ValueError, match="validation_fraction"):
        select_model(["PPO", "A2C"], env, 0.2, 1, {})


def test_stored_type_is_read_from_the_model_metadata(tmp_path) -> None:
    (tmp_path / "cb_btc_1_metadata.json").write_text(json.dumps({"metarl_model_type": "A2C"}))
    backtest_dk = SimpleNamespace(live=False, data_path=tmp_path, model_filename="cb_btc_1")
    assert stored_model_type({}, backtest_dk) == "A2C"
    live_dk = SimpleNamespace(live=True, data_path=None, model_filename=None)
    info = {"data_path": str(tmp_path), "model_filename": "cb_btc_1"}
    assert stored_model_type(info, live_dk) == "A2C"
    assert (
        stored_model_type({}, SimpleNamespace(live=False, data_path=tmp_path, model_filename="x"))
        is None
    )
    assert algorithm_class("A2C").__name__ == "A2C"
    assert algorithm_class("RecurrentPPO").__module__.startswith("sb3_contrib")


def test_selection_config_is_strict() -> None:
    with pytest.raises(ConfigError, match=r"model_selection\.candidates"):
        MetaRLConfig.from_freqtrade(
            {"meta_rl": {"model_selection": {"candidates": ["PPO", "DQN"]}}}
        )
    with pytest.raises(ConfigError, match=r"model_selection\.folds"):
        MetaRLConfig.from_freqtrade(
            {"meta_rl": {"model_selection": {"candidates": ["PPO", "A2C"], "folds": 3}}}
        )


def test_training_leaves_no_log_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SB3 would create ``SB3_LOGDIR`` (else ``<tmp>/SB3-<time>``) on every learn()."""
    from stable_baselines3 import PPO

    from meta_agent.rl.selection import without_log_folder

    folder = tmp_path / "sb3"
    monkeypatch.setenv("SB3_LOGDIR", str(folder))
    features, prices = foretelling_world(seed=0, n=100)
    model = PPO("MlpPolicy", ExposureEnv(features, prices, LEVELS, 0.001), n_steps=64, verbose=0)
    without_log_folder(model).learn(total_timesteps=64)
    assert not folder.exists()
    PPO("MlpPolicy", ExposureEnv(features, prices, LEVELS, 0.001), n_steps=64).learn(64)
    assert folder.exists(), "the check above cannot fail: SB3 no longer makes the folder"
