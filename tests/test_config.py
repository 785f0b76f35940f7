"""The strict ``meta_rl`` and reward configuration sections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meta_agent.config import MetaRLConfig, RewardConfig
from meta_agent.errors import ConfigError, UnknownSourceError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid() -> None:
    config = json.loads((PROJECT_ROOT / "config.json").read_text())
    meta = MetaRLConfig.from_freqtrade(config)
    assert meta.levels_for(config["trading_mode"]) == (0.0, 0.5, 1.0)
    RewardConfig.from_rl_config(config["freqai"]["rl_config"])


def test_defaults_by_trading_mode() -> None:
    meta = MetaRLConfig.from_freqtrade({})
    assert meta.levels_for("spot") == (0.0, 0.5, 1.0)
    assert meta.levels_for("futures") == (-1.0, -0.5, 0.0, 0.5, 1.0)


def test_unknown_key_is_named_with_what_is_allowed() -> None:
    with pytest.raises(ConfigError, match=r"`meta_rl.source` is not a known key \(allowed: "):
        MetaRLConfig.from_freqtrade({"meta_rl": {"source": ["trend-v1"]}})


def test_unknown_reward_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"`freqai\.rl_config\.model_reward_parameters\.dd`"):
        RewardConfig.from_rl_config({"model_reward_parameters": {"dd": 1}})


def test_out_of_range_value_names_key_and_value() -> None:
    with pytest.raises(ConfigError, match=r"`meta_rl.rebalance_threshold` = 2"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"rebalance_threshold": 2}})


def test_levels_must_contain_flat() -> None:
    with pytest.raises(ConfigError, match="contain 0"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"exposure_levels": [0.5, 1]}})


def test_short_levels_are_refused_in_spot() -> None:
    meta = MetaRLConfig.from_freqtrade({"meta_rl": {"exposure_levels": [-1, 0, 1]}})
    with pytest.raises(ConfigError, match="trading_mode is spot"):
        meta.levels_for("spot")


def test_unknown_source_suggests() -> None:
    with pytest.raises(UnknownSourceError, match="Did you mean 'trend-v1'"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"sources": ["trnd-v1"]}})


def test_source_params_are_checked_against_the_source() -> None:
    meta = MetaRLConfig.from_freqtrade(
        {"meta_rl": {"source_params": {"fear_greed-v1": {"max_age": "3D"}}}}
    )
    assert meta.params_for("fear_greed-v1") == {"max_age": "3D"}
    assert meta.params_for("trend-v1") == {}
    with pytest.raises(ConfigError, match=r"fear_greed-v1 takes no parameter\(s\) \['maxage'\]"):
        MetaRLConfig.from_freqtrade(
            {"meta_rl": {"source_params": {"fear_greed-v1": {"maxage": "3D"}}}}
        )


def test_risk_section_defaults_and_protections() -> None:
    risk = MetaRLConfig.from_freqtrade({}).risk
    assert (risk.max_pair_exposure, risk.max_total_exposure, risk.daily_loss_cap) == (1, 1, 0.05)
    methods = [protection["method"] for protection in risk.protections()]
    assert methods == ["MaxDrawdown", "StoplossGuard"]
    off = MetaRLConfig.from_freqtrade(
        {"meta_rl": {"risk": {"max_drawdown": None, "stoploss_guard": None}}}
    ).risk
    assert off.protections() == []


def test_risk_keys_are_strict_and_named() -> None:
    with pytest.raises(ConfigError, match=r"`meta_rl.risk.stoploss` = 0.1"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"risk": {"stoploss": 0.1}}})
    with pytest.raises(ConfigError, match=r"`meta_rl.risk.max_drawdown.lookback` is not a known"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"risk": {"max_drawdown": {"lookback": 3}}}})


def test_validation_gate_needs_a_base() -> None:
    with pytest.raises(ConfigError, match="validation_gate"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"validation_gate": True}})
    config = MetaRLConfig.from_freqtrade(
        {"meta_rl": {"validation_gate": True, "base": "trend_regime", "decision_every": 24}}
    )
    assert config.decision_every == 24 and config.seeds == 1


def test_training_levers_change_the_model_folder() -> None:
    from meta_agent.rl.contract import fingerprint

    plain = fingerprint({"meta_rl": {}}, ["trend-v1"], (0.0, 1.0))
    daily = fingerprint({"meta_rl": {"decision_every": 24}}, ["trend-v1"], (0.0, 1.0))
    seeded = fingerprint({"meta_rl": {"seeds": 3}}, ["trend-v1"], (0.0, 1.0))
    assert len({plain, daily, seeded}) == 3
