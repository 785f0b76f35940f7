"""Risk limits at run time: exposure headroom, the daily loss cap, and the masks they imply.

The strategy enforces these limits on every order (:mod:`meta_agent.strategy.exposure`); the RL
model masks the same limits at each live decision (:func:`risk_mask`), so the agent is never
asked to choose an exposure the strategy would refuse. Everything here is pure: the strategy
reads trades, locks and wallets from Freqtrade and passes plain numbers in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import numpy as np

from meta_agent.config import RiskConfig

#: Reason of the global lock the daily loss cap places (shown by FreqUI and Telegram /locks).
DAILY_LOSS_REASON = "MetaRL daily loss cap"
_EPS = 1e-9


@dataclass(frozen=True)
class RiskView:
    """What the risk limits allow at one moment, as the strategy sees it.

    Attributes:
        exposures: Each open pair's signed exposure, as a fraction of the pair budget.
        slots: ``max_open_trades``: the total stake holds this many pair budgets.
        locked: Pairs that may not add exposure (``"*"``: all of them), from Freqtrade's locks
            (daily loss cap, MaxDrawdown, StoplossGuard).
    """

    exposures: dict[str, float] = field(default_factory=dict)
    slots: int = 1
    locked: frozenset[str] = frozenset()

    def is_locked(self, pair: str) -> bool:
        return "*" in self.locked or pair in self.locked

    def held(self, pair: str) -> float:
        return self.exposures.get(pair, 0.0)

    def headroom(self, pair: str, risk: RiskConfig) -> float:
        """Largest |exposure| ``pair`` may reach, given the other pairs' exposures."""
        others = sum(abs(value) for name, value in self.exposures.items() if name != pair)
        total_room = risk.max_total_exposure * self.slots - others
        return max(0.0, min(risk.max_pair_exposure, total_room))


@runtime_checkable
class RiskAware(Protocol):
    """The hook MetaRLModel reads at each decision: a strategy that knows the risk limits the
    next orders will meet says so here (``None``: no live limits, e.g. in a backtest). FreqAI
    hands the model its strategy (``IFreqaiModel.start``); the model asks, the strategy never
    reaches into the model."""

    def decision_risk_view(self) -> RiskView | None: ...


def budget_slots(max_open_trades: float, pairs: int) -> int:
    """How many pair budgets the total stake holds: ``max_open_trades``, or one per whitelisted
    pair when it is unlimited (Freqtrade's -1, which it turns into infinity; its
    ``lookahead-analysis`` sets it so)."""
    if max_open_trades == -1 or math.isinf(max_open_trades):
        return max(pairs, 1)
    if max_open_trades <= 0 or max_open_trades != int(max_open_trades):
        raise ValueError(
            "The 'max_open_trades' parameter must be a positive integer or -1 (unlimited) for "
            f"MetaRL. Got {max_open_trades} instead."
        )
    return int(max_open_trades)


def static_max_exposure(risk: RiskConfig, slots: int) -> float:
    """The largest |exposure| any pair may ever hold: what training masks."""
    return min(risk.max_pair_exposure, risk.max_total_exposure * slots)


def allowed_exposure(target: float, pair: str, view: RiskView, risk: RiskConfig) -> float:
    """``target`` cut to what the limits allow: reductions always pass, increases are capped by
    the headroom and refused while ``pair`` is locked (a reversal counts as new exposure)."""
    held = view.held(pair)
    same_side = target * held > 0 or target == 0
    if same_side and abs(target) <= abs(held) + _EPS:
        return target
    if view.is_locked(pair):
        return held if same_side else 0.0
    cap = view.headroom(pair, risk)
    if same_side:
        cap = max(cap, abs(held))  # never force a reduction because others grew
    return float(np.sign(target)) * min(abs(target), cap)


def risk_mask(levels: np.ndarray, pair: str, view: RiskView, risk: RiskConfig) -> np.ndarray:
    """Levels :func:`allowed_exposure` would execute unchanged, from the pair's held exposure.

    Flat is always allowed. The held exposure may lie between levels (fills, price drift); a
    level counts as a reduction when its magnitude does not exceed the held one on the same side.
    """
    levels = np.asarray(levels, dtype=np.float64)
    allowed = np.array(
        [abs(allowed_exposure(float(level), pair, view, risk) - level) < _EPS for level in levels]
    )
    return allowed | (levels == 0)


def day_start(now: datetime) -> datetime:
    """00:00 UTC of ``now``'s day."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def next_day_start(now: datetime) -> datetime:
    """00:00 UTC of the day after ``now``: when the daily loss cap's lock ends."""
    return day_start(now) + timedelta(days=1)


def lock_until_day_end(now: datetime) -> datetime:
    """What to hand Freqtrade's ``lock_pair`` for a lock that ends at the next 00:00 UTC:
    Freqtrade rounds a lock's end up to the next candle boundary after it."""
    return next_day_start(now) - timedelta(microseconds=1)


def daily_loss_hit(
    closed_today: Iterable[float], unrealised: Iterable[float], stake: float, cap: float | None
) -> bool:
    """Whether the day's loss reached ``cap`` x ``stake``.

    The day's result is the profit of trades closed since 00:00 UTC plus the unrealised profit
    of open trades, in full (also what they lost before today: conservative).
    """
    if cap is None or stake <= 0:
        return False
    result = sum(closed_today) + sum(unrealised)
    return result <= -cap * stake
