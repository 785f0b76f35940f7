"""Every MetaRL strategy refreshes the live feed once per bot loop, in the base."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

import meta_agent.strategy.base as base
from meta_agent.strategy.base import MetaStrategy
from meta_agent.strategy.trend import TrendRegimeStrategy


@pytest.mark.parametrize("reads", [True, False])
def test_the_bot_loop_refreshes_the_feed_its_sources_read(
    reads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(base, "refresh_live_feed", calls.append)
    strategy = SimpleNamespace(reads_live_feed=reads, config={"runmode": "dry_run"})
    MetaStrategy.bot_loop_start(strategy, datetime(2022, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert calls == ([strategy.config] if reads else [])


def test_the_trend_regime_reads_candles_only() -> None:
    assert MetaStrategy.reads_live_feed and not TrendRegimeStrategy.reads_live_feed
