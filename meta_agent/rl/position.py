"""The agent's own position state, one implementation for training, backtests and live.

Each candle runs the same two steps everywhere: :meth:`PositionTracker.mark` the new price
(equity moves with the exposure held), then :meth:`PositionTracker.rebalance` to the level the
agent chose (paying the fee on the traded notional). What the agent observes about itself,
:meth:`PositionTracker.observation`, is therefore identical in training and at inference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Names of the position block at the end of every observation, in order.
POSITION_FEATURES: tuple[str, ...] = (
    "exposure",
    "unrealized_pnl",
    "time_in_position",
    "drawdown",
)
#: Time in position is observed in weeks of 1h candles, so typical values stay near [0, 1].
TIME_SCALE_CANDLES = 168.0


@dataclass
class PositionTracker:
    """Exposure, entry price, candles in position and equity curve of one pair."""

    exposure: float = 0.0
    entry_price: float = math.nan
    candles_in_position: int = 0
    equity: float = 1.0
    peak: float = 1.0
    last_price: float = math.nan

    @property
    def drawdown(self) -> float:
        """Fall of equity from its running peak, in [0, 1]."""
        return 1.0 - self.equity / self.peak

    def unrealized_pnl(self, price: float) -> float:
        """Return of the open position since it was entered (signed by its side); 0 when flat."""
        if self.exposure == 0.0 or not math.isfinite(self.entry_price):
            return 0.0
        return math.copysign(1.0, self.exposure) * (price / self.entry_price - 1.0)

    def mark(self, price: float) -> float:
        """Move to ``price``: equity follows the held exposure. Returns the growth factor."""
        growth = 1.0
        if math.isfinite(self.last_price) and self.exposure != 0.0:
            growth = max(1.0 + self.exposure * (price / self.last_price - 1.0), 1e-9)
            self.equity *= growth
            self.peak = max(self.peak, self.equity)
        if self.exposure != 0.0:
            self.candles_in_position += 1
        self.last_price = price
        return growth

    def rebalance(self, target: float, price: float, fee: float) -> float:
        """Hold ``target`` from ``price`` on, paying ``fee`` per unit of traded notional.

        A position that opens or flips side takes ``price`` as its entry; scaling within the same
        side keeps the entry and the time in position. Returns the fee paid (share of equity).
        """
        fee_paid = fee * abs(target - self.exposure)
        self.equity *= 1.0 - fee_paid
        opened = target != 0.0 and (self.exposure == 0.0 or (target > 0) != (self.exposure > 0))
        if opened:
            self.entry_price = price
            self.candles_in_position = 0
        elif target == 0.0:
            self.entry_price = math.nan
            self.candles_in_position = 0
        self.exposure = target
        self.last_price = price
        return fee_paid

    def observation(self, price: float) -> np.ndarray:
        """The position block of the observation, ordered as :data:`POSITION_FEATURES`."""
        return np.array(
            [
                self.exposure,
                self.unrealized_pnl(price),
                self.candles_in_position / TIME_SCALE_CANDLES,
                self.drawdown,
            ],
            dtype=np.float32,
        )


def equity_curve(exposures: np.ndarray, prices: np.ndarray, fee: float) -> np.ndarray:
    """Equity after each candle when holding ``exposures[t]`` from ``prices[t]`` on, net of fees.

    The same bookkeeping as the environment and the rollout; used to score decisions.
    """
    position = PositionTracker()
    equity = np.empty(len(prices))
    for t, (exposure, price) in enumerate(zip(exposures, prices, strict=True)):
        position.mark(float(price))
        position.rebalance(float(exposure), float(price), fee)
        equity[t] = position.equity
    return equity
