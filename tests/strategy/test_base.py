"""Every MetaRL strategy refreshes the live feed once per bot loop, in the base."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

import meta_agent.strategy.base as base
from meta_agent.config import MetaRLConfig
from meta_agent.strategy.base import MetaStrategy
from meta_agent.strategy.trend import TrendRegimeStrategy


@pytest.mark.parametrize("reads", [True, False])
def test_the_bot_loop_refreshes_the_feed_its_sources_read(
    reads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(base, "refresh_live_feed", lambda meta, config: calls.append(config))
    strategy = SimpleNamespace(reads_live_feed=reads, meta_config=None, config={"runmode": "x"})
    MetaStrategy.bot_loop_start(strategy, datetime(2022, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert calls == ([strategy.config] if reads else [])


def test_the_trend_regime_reads_candles_only() -> None:
    assert MetaStrategy.reads_live_feed and not TrendRegimeStrategy.reads_live_feed


def test_sources_are_built_once_per_pair(tmp_path: Any) -> None:
    meta = MetaRLConfig.from_freqtrade({"meta_rl": {"sources": ["trend-v1", "fear_greed-v1"]}})
    strategy = SimpleNamespace(
        meta_config=meta, config={"user_data_dir": str(tmp_path)}, _sources={}
    )
    strategy.source_ids = lambda: MetaStrategy.source_ids(strategy)  # type: ignore[arg-type]
    first = MetaStrategy.sources_for(strategy, "BTC/USD")  # type: ignore[arg-type]
    assert [s.source_id for s in first] == ["trend-v1", "fear_greed-v1"]
    assert MetaStrategy.sources_for(strategy, "BTC/USD") is first  # type: ignore[arg-type]
    assert MetaStrategy.sources_for(strategy, "ETH/USD") is not first  # type: ignore[arg-type]


def test_exposure_strategies_offer_the_models_risk_hook() -> None:
    from meta_agent.rl.risk import RiskAware
    from meta_agent.strategy.exposure import TargetExposureStrategy

    assert issubclass(TargetExposureStrategy, RiskAware)
