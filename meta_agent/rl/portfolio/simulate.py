"""One wallet over many coins at daily marks: target weights in, equity and costs out.

Each coin's budget is 1/N of the wallet's equity that day (N = the coins of the panel, listed
or not: what a coin does not hold is cash). A coin's position is resized at the day's close to
``target x budget`` unless it is long, stays long and is within the relative no-trade band;
entries and exits always trade. Every traded notional pays ``fee``. This is the study's
simplified broker (Freqtrade's backtests are the published figures); it is the same for the
book and the agent, so their comparison is fair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from meta_agent.signals.trend_book import DAYS_PER_YEAR


@dataclass(frozen=True)
class Result:
    """Daily equity of one simulated wallet and what it traded."""

    equity: pd.Series
    turnover: float  # traded notional over mean equity, per year
    entries: float  # openings from flat per coin and year
    fees: float  # paid, in units of the starting equity
    gross_profit: float  # winning coin-days' PnL before fees, same units

    @property
    def returns(self) -> pd.Series:
        return self.equity.pct_change().dropna()

    def sharpe(self) -> float:
        returns = self.returns
        spread = returns.std()
        return float(returns.mean() / spread * np.sqrt(DAYS_PER_YEAR)) if spread > 0 else np.nan

    def max_drawdown(self) -> float:
        return float((1 - self.equity / self.equity.cummax()).max())

    def total_return(self) -> float:
        return float(self.equity.iloc[-1] / self.equity.iloc[0] - 1)

    def fee_share(self) -> float:
        return self.fees / self.gross_profit if self.gross_profit > 0 else np.nan


def simulate(
    dates: pd.DatetimeIndex, close: np.ndarray, targets: np.ndarray, fee: float, band: float
) -> Result:
    """Trade ``targets`` (days x coins, fractions of each coin's budget; NaN: flat) at each
    day's ``close``, starting flat with equity 1."""
    n_days, n_coins = close.shape
    prices = np.nan_to_num(close, nan=0.0)
    wanted = np.nan_to_num(targets, nan=0.0)
    units = np.zeros(n_coins)
    last_price = np.zeros(n_coins)
    cash, fees, traded, entries, gross = 1.0, 0.0, 0.0, 0, 0.0
    curve = np.empty(n_days)
    for t in range(n_days):
        price = np.where(prices[t] > 0, prices[t], last_price)
        value = units * price
        gross += np.clip(units * (price - last_price), 0, None).sum() if t else 0.0
        equity = cash + value.sum()
        missing = prices[t] <= 0  # no candle today: nothing trades
        target_value = wanted[t] * equity / n_coins
        keep = (
            (target_value > 0) & (value > 0) & (np.abs(target_value - value) < band * target_value)
        )
        delta = np.where(keep | missing, 0.0, target_value - value)
        entries += int(np.sum((value <= 0) & (target_value > 0) & ~missing))
        cost = np.abs(delta) * fee
        cash -= delta.sum() + cost.sum()
        fees += cost.sum()
        traded += np.abs(delta).sum()
        units = units + np.divide(delta, price, out=np.zeros(n_coins), where=price > 0)
        last_price = price
        curve[t] = cash + (units * price).sum()
    years = max(n_days / DAYS_PER_YEAR, 1e-9)
    return Result(
        pd.Series(curve, index=dates),
        turnover=traded / float(np.mean(curve)) / years,
        entries=entries / n_coins / years,
        fees=fees,
        gross_profit=gross,
    )
