"""Target exposure to stake amounts."""

from __future__ import annotations

import pytest

from meta_agent.rl.risk import budget_slots
from meta_agent.strategy.execution import pair_budget, rebalance_amount


def test_budget_is_an_equal_share() -> None:
    assert pair_budget(10_000, 2) == 5_000
    with pytest.raises(ValueError, match="slots"):
        pair_budget(10_000, 0)


def test_unlimited_open_trades_give_one_budget_per_pair() -> None:
    """Freqtrade's -1 (infinity once loaded; lookahead-analysis sets it) is one slot per pair."""
    assert budget_slots(3, pairs=5) == 3
    assert budget_slots(-1, pairs=4) == 4
    assert budget_slots(float("inf"), pairs=2) == 2
    assert budget_slots(float("inf"), pairs=0) == 1
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="max_open_trades"):
            budget_slots(bad, pairs=2)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        (1.0, 500.0, 500.0),  # half in, target full: buy the other half
        (0.5, 1000.0, -500.0),  # full, target half: sell half
        (1.0, 900.0, None),  # within threshold (250) of target: leave it
        (0.0, 1000.0, None),  # flat is the exit signal's job
        (-1.0, 500.0, 500.0),  # shorts are sized by magnitude
    ],
)
def test_rebalance(target: float, value: float, expected: float | None) -> None:
    amount = rebalance_amount(target, value, 1000.0, 0.25, min_stake=10.0, max_stake=5000.0)
    assert amount == expected


def test_rebalance_respects_exchange_limits() -> None:
    assert rebalance_amount(1.0, 0.0, 1000.0, 0.25, min_stake=10.0, max_stake=300.0) == 300.0
    assert rebalance_amount(1.0, 700.0, 1000.0, 0.25, min_stake=400.0, max_stake=5000.0) is None
