"""The strict ``meta_rl`` and reward configuration sections."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from meta_agent.config import (
    MetaRLConfig,
    RewardConfig,
    check_stoploss,
    validate_freqtrade_config,
)
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


def one_line_error(call: Callable[[], object]) -> str:
    """The ConfigError ``call`` raises, checked to be one line."""
    with pytest.raises(ConfigError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message
    return message


def test_an_unknown_nested_key_lists_the_keys_of_its_own_section() -> None:
    message = one_line_error(
        lambda: MetaRLConfig.from_freqtrade({"meta_rl": {"risk": {"stoplos": -0.1}}})
    )
    assert "`meta_rl.risk.stoplos` is not a known key (allowed: daily_loss_cap, leverage" in message
    assert "sources" not in message and "rebalance_threshold" not in message
    message = one_line_error(
        lambda: MetaRLConfig.from_freqtrade({"meta_rl": {"live_feeds": {"timeot": 5}}})
    )
    assert (
        "(allowed: cryptoquant_url, derivatives_url, derivatives_venue, fear_greed_url, "
        "lunarcrush_url, providers, retry_after, rss_urls, timeout)"
    ) in message


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"max_age": "banana"}, r"`meta_rl.source_params.fear_greed-v1.max_age` = 'banana': "),
        ({"max_age": "-2h"}, r"`meta_rl.source_params.fear_greed-v1.max_age` = '-2h': expected "),
        ({"max_age": None}, r"\.max_age` = None: expected a positive duration such as '2D'"),
        ({"neutral": "wide"}, r"`meta_rl.source_params.fear_greed-v1.neutral` = 'wide': expected "),
    ],
)
def test_source_parameter_values_are_checked_with_their_dotted_key(
    params: dict[str, object], expected: str
) -> None:
    section = {"meta_rl": {"source_params": {"fear_greed-v1": params}}}
    assert re.search(expected, one_line_error(lambda: MetaRLConfig.from_freqtrade(section)))


def test_missing_rl_config_or_reward_parameters_take_the_defaults() -> None:
    config: dict = {"freqai": {"enabled": True}}
    validate_freqtrade_config(config)
    rl_config = config["freqai"]["rl_config"]
    assert (rl_config["model_type"], rl_config["policy_type"]) == ("PPO", "MlpPolicy")
    assert RewardConfig.from_rl_config(rl_config) == RewardConfig()
    config = {"freqai": {"enabled": True, "rl_config": {"model_type": "A2C"}}}
    validate_freqtrade_config(config)
    assert config["freqai"]["rl_config"]["model_reward_parameters"] == {
        "rr": 1,
        "profit_aim": 0.025,
    }
    bad = {"freqai": {"enabled": True, "rl_config": {"train_cycles": "many"}}}
    message = one_line_error(lambda: validate_freqtrade_config(bad))
    assert "`freqai.rl_config.train_cycles` = 'many'" in message


def test_leverage_above_one_needs_futures() -> None:
    section = {"risk": {"leverage": 3}}
    message = one_line_error(lambda: MetaRLConfig.from_freqtrade({"meta_rl": section}))
    assert "`meta_rl.risk.leverage` = 3: leverage needs `trading_mode` 'futures'" in message
    futures = MetaRLConfig.from_freqtrade({"trading_mode": "futures", "meta_rl": section})
    assert futures.risk.leverage == 3


def test_a_top_level_stoploss_must_not_override_the_risk_section() -> None:
    risk = MetaRLConfig.from_freqtrade({"meta_rl": {"risk": {"stoploss": -0.05}}}).risk
    message = one_line_error(lambda: check_stoploss({"stoploss": -0.99}, risk))
    assert "`stoploss` = -0.99 conflicts with `meta_rl.risk.stoploss` = -0.05" in message
    check_stoploss({"stoploss": -0.05}, risk)
    check_stoploss({}, risk)
    default = MetaRLConfig.from_freqtrade({}).risk
    assert "= -0.3 (default" in one_line_error(lambda: check_stoploss({"stoploss": -0.1}, default))


def run_freqtrade(
    tmp_path: Path, overrides: dict, *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "override.json").write_text(json.dumps(overrides))
    return subprocess.run(
        [sys.executable, "-m", "meta_agent", "freqtrade", "--offline", "--", *command,
         "--config", "config.json", "--config", str(tmp_path / "override.json")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_show_config_through_the_project_validates_meta_rl(tmp_path: Path) -> None:
    result = run_freqtrade(tmp_path, {"meta_rl": {"risk": {"stoplos": -0.1}}}, "show-config")
    output = " ".join((result.stdout + result.stderr).split())  # Freqtrade's log wraps lines
    assert result.returncode != 0, output[-2000:]
    assert "`meta_rl.risk.stoplos` is not a known key (allowed: daily_loss_cap" in output
    assert "Traceback" not in output


def test_show_config_through_the_project_refuses_a_stoploss_conflict(tmp_path: Path) -> None:
    """No strategy loads for ``show-config``: the launcher checks the stoploss itself."""
    result = run_freqtrade(tmp_path, {"stoploss": -0.99}, "show-config")
    output = " ".join((result.stdout + result.stderr).split())  # Freqtrade's log wraps lines
    assert result.returncode == 2, output[-2000:]
    assert "`stoploss` = -0.99 conflicts with `meta_rl.risk.stoploss` = -0.3" in output
    assert "Traceback" not in output
    agreeing = run_freqtrade(tmp_path, {"stoploss": -0.3}, "show-config")
    assert agreeing.returncode == 0, (agreeing.stdout + agreeing.stderr)[-2000:]


def test_freqtrade_stoploss_from_the_environment_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    result = run_freqtrade(
        tmp_path, {}, "backtesting", "--strategy", "MetaRL", "--timerange", "20220701-20220702",
        env={"FREQTRADE__STOPLOSS": "-0.99"},
    )  # fmt: skip
    output = " ".join((result.stdout + result.stderr).split())  # Freqtrade's log wraps lines
    assert result.returncode == 2, output[-2000:]
    assert "`stoploss` = -0.99 conflicts with `meta_rl.risk.stoploss` = -0.3" in output
    assert "Traceback" not in output
