"""Risk limits: what an order may add, the masks that mirror it, the daily loss cap."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from freqtrade.exchange import timeframe_to_next_date

from meta_agent.config import RiskConfig
from meta_agent.rl.risk import (
    RiskView,
    allowed_exposure,
    daily_loss_hit,
    lock_until_day_end,
    next_day_start,
    risk_mask,
    static_max_exposure,
)

RISK = RiskConfig(max_pair_exposure=1.0, max_total_exposure=0.5)
SPOT = np.array([0.0, 0.5, 1.0])
FUTURES = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])


def test_total_exposure_caps_what_one_pair_may_add() -> None:
    # 4 slots, total cap 0.5 -> 2 pair budgets in all; ETH holds 1.5 of them.
    view = RiskView({"ETH/USD": 1.0, "XRP/USD": 0.5}, slots=4)
    assert view.headroom("BTC/USD", RISK) == pytest.approx(0.5)
    assert allowed_exposure(1.0, "BTC/USD", view, RISK) == pytest.approx(0.5)
    assert risk_mask(SPOT, "BTC/USD", view, RISK).tolist() == [True, True, False]


def test_reductions_always_pass_even_over_the_cap() -> None:
    view = RiskView({"BTC/USD": 1.0, "ETH/USD": 1.0}, slots=2)  # total cap 0.5 -> 1 budget
    assert allowed_exposure(0.5, "BTC/USD", view, RISK) == 0.5
    assert allowed_exposure(1.0, "BTC/USD", view, RISK) == 1.0  # holding is not forced down
    assert risk_mask(SPOT, "BTC/USD", view, RISK).tolist() == [True, True, True]


def test_a_lock_allows_only_reductions_and_flat() -> None:
    view = RiskView({"BTC/USD": 0.5}, slots=2, locked=frozenset({"*"}))
    assert allowed_exposure(1.0, "BTC/USD", view, RiskConfig()) == 0.5
    assert allowed_exposure(0.5, "ETH/USD", view, RiskConfig()) == 0.0
    assert allowed_exposure(-0.5, "BTC/USD", view, RiskConfig()) == 0.0  # reversal = new
    assert risk_mask(FUTURES, "BTC/USD", view, RiskConfig()).tolist() == [
        False,
        False,
        True,
        True,
        False,
    ]
    pair_lock = RiskView({}, slots=2, locked=frozenset({"ETH/USD"}))
    assert risk_mask(SPOT, "BTC/USD", pair_lock, RiskConfig()).all()
    assert risk_mask(SPOT, "ETH/USD", pair_lock, RiskConfig()).tolist() == [True, False, False]


def test_mask_and_order_limit_agree_on_every_level() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        held = {p: float(rng.choice(FUTURES)) for p in ("A", "B", "C") if rng.random() < 0.7}
        locked = frozenset({"*"}) if rng.random() < 0.3 else frozenset()
        view = RiskView(held, slots=3, locked=locked)
        risk = RiskConfig(max_pair_exposure=float(rng.choice([0.5, 1.0])), max_total_exposure=0.5)
        mask = risk_mask(FUTURES, "A", view, risk)
        executed = [allowed_exposure(float(level), "A", view, risk) for level in FUTURES]
        assert mask.tolist() == [e == level for e, level in zip(executed, FUTURES, strict=True)]


def test_training_mask_bound() -> None:
    assert static_max_exposure(RISK, slots=1) == 0.5
    assert static_max_exposure(RISK, slots=4) == 1.0


def test_daily_loss_cap() -> None:
    assert not daily_loss_hit([-100.0], [-300.0], stake=10_000, cap=0.05)
    assert daily_loss_hit([-100.0], [-400.0], stake=10_000, cap=0.05)
    assert not daily_loss_hit([-900.0], [], stake=10_000, cap=None)
    now = datetime(2022, 11, 9, 17, 30, tzinfo=UTC)
    assert next_day_start(now) == datetime(2022, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize("timeframe", ["5m", "1h", "4h", "1d"])
def test_the_daily_lock_ends_at_midnight_after_freqtrades_rounding(timeframe: str) -> None:
    now = datetime(2022, 11, 9, 17, 30, tzinfo=UTC)
    end = timeframe_to_next_date(timeframe, lock_until_day_end(now))
    assert end == datetime(2022, 11, 10, tzinfo=UTC)
