"""Observation contract: stored with each model, refused on mismatch; contract-keyed folders."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from meta_agent.errors import ConfigError, ObservationContractError
from meta_agent.rl.contract import ObservationContract, check_contract, fingerprint
from meta_agent.rl.model import _check_model_choice

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ObservationContract(
    sources=("trend-v1",), feature_names=("%-a", "%-b"), levels=(0.0, 0.5, 1.0)
)


def test_round_trip_through_json_matches() -> None:
    stored = json.loads(json.dumps(CONTRACT.to_dict()))
    check_contract(stored, CONTRACT)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"sources": ("trend-v1", "funding-v1")}, "sources"),
        ({"feature_names": ("%-a",)}, "feature_names"),
        ({"levels": (-1.0, 0.0, 1.0)}, "levels"),
    ],
)
def test_mismatch_is_refused_naming_the_difference(change: dict, named: str) -> None:
    current = ObservationContract(**{**CONTRACT.__dict__, **change})
    with pytest.raises(ObservationContractError, match=f"{named}: model"):
        check_contract(CONTRACT.to_dict(), current)


def test_model_without_contract_is_refused() -> None:
    with pytest.raises(ObservationContractError, match="no stored observation contract"):
        check_contract(None, CONTRACT)


def test_enabling_a_source_changes_the_model_folder() -> None:
    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    levels = (0.0, 0.5, 1.0)
    base = fingerprint(config, ["trend-v1"], levels)
    assert base == fingerprint(copy.deepcopy(config), ["trend-v1"], levels)
    assert base != fingerprint(config, ["trend-v1", "funding-v1"], levels)
    assert base != fingerprint(config, ["trend-v1"], (0.0, 1.0))
    config["freqai"]["rl_config"]["model_reward_parameters"]["drawdown_penalty"] = 2.0
    assert base != fingerprint(config, ["trend-v1"], levels)


@pytest.mark.parametrize(
    ("rl_config", "message"),
    [
        ({"model_type": "DQN"}, "'DQN' is not supported"),
        ({"model_type": "RecurrentPPO", "policy_type": "MlpPolicy"}, "use 'MlpLstmPolicy'"),
        ({"model_type": "PPO", "policy_type": "MlpLstmPolicy"}, "use 'MlpPolicy'"),
    ],
)
def test_model_choice_errors_name_the_key(rl_config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _check_model_choice(rl_config)


def test_other_contract_folders_are_reported(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    from meta_agent.rl.model import _log_contract

    models = tmp_path / "models"
    for name in ("metarl-0badf00d", "metarl-1234abcd", "metarl-skeleton-v1"):
        (models / name).mkdir(parents=True)
    config = {"user_data_dir": str(tmp_path), "freqai": {"rl_config": {}}}
    with caplog.at_level("INFO"):
        _log_contract(config, "metarl", "1234abcd", ["trend-v1"], (0.0, 1.0))
    assert "Models for other observation contracts exist (metarl-0badf00d)" in caplog.text
    assert "skeleton" not in caplog.text
