"""PositionTracker: entries, scaling, flips, equity and drawdown."""

from __future__ import annotations

import math

import pytest

from meta_agent.rl.position import PositionTracker


def test_scaling_keeps_entry_and_time_flip_resets_them() -> None:
    position = PositionTracker()
    position.mark(100.0)
    position.rebalance(0.5, 100.0, fee=0.0)
    position.mark(110.0)
    position.rebalance(1.0, 110.0, fee=0.0)  # scale in: same side
    assert position.entry_price == 100.0
    assert position.candles_in_position == 1
    assert position.unrealized_pnl(110.0) == pytest.approx(0.10)
    position.rebalance(-1.0, 110.0, fee=0.0)  # flip to short
    assert position.entry_price == 110.0 and position.candles_in_position == 0
    assert position.unrealized_pnl(99.0) == pytest.approx(0.10)  # a short gains when price falls
    position.rebalance(0.0, 99.0, fee=0.0)
    assert math.isnan(position.entry_price) and position.unrealized_pnl(50.0) == 0.0


def test_equity_and_drawdown_follow_exposure_and_fees() -> None:
    position = PositionTracker()
    position.mark(100.0)
    assert position.rebalance(1.0, 100.0, fee=0.004) == pytest.approx(0.004)
    position.mark(120.0)
    assert position.equity == pytest.approx(0.996 * 1.2)
    position.rebalance(0.5, 120.0, fee=0.004)
    position.mark(60.0)
    assert position.equity == pytest.approx(0.996 * 1.2 * 0.998 * 0.75)  # half of -50 %
    assert position.drawdown == pytest.approx(1 - 0.998 * 0.75)
