"""Per strategy and pair: a mark-to-market equity curve from Freqtrade's own orders, and the
figures the evaluation reports.

Sharpe, Sortino, Calmar, max drawdown and CAGR come from ``freqtrade.data.metrics`` (computed
on the equity curve, sampled daily there). Written here, because Freqtrade has no equivalent:
the equity curve itself (Freqtrade's balance only moves when trades close), time under water,
time in market, average exposure, profit factor, win rate and fees as a share of gross profit.

A ratio whose denominator is zero is undefined and reported as NaN ("—" in the ranking and the
report, null in ``summary.json``), not Freqtrade's stand-in of -100 or a made-up 0: Sharpe of a
curve whose daily returns never vary (a strategy that never trades), Sortino without losing
days, Calmar without a drawdown, profit factor and win rate without a closed trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from freqtrade.data.metrics import (
    calculate_cagr,
    calculate_calmar_from_balance,
    calculate_max_drawdown_from_balance,
    calculate_sharpe_from_balance,
    calculate_sortino_from_balance,
)

METRICS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "time_under_water",
    "profit_factor",
    "win_rate",
    "trades",
    "time_in_market",
    "average_exposure",
    "fee_share_of_gross_profit",
)


@dataclass(frozen=True)
class Fill:
    """One filled order: ``side`` +1 buys, -1 sells ``amount`` at ``price``, paying
    ``fee_rate`` of its cost."""

    time: pd.Timestamp
    side: int
    amount: float
    price: float
    fee_rate: float


def fills_from_trades(trades: list[dict[str, Any]]) -> list[Fill]:
    """Every filled order of Freqtrade's exported trades (entries pay ``fee_open``, exits
    ``fee_close``), oldest first."""
    fills = []
    for trade in trades:
        for order in trade["orders"]:
            if not order.get("amount"):
                continue
            entry = order["ft_is_entry"]
            fills.append(
                Fill(
                    time=pd.Timestamp(order["order_filled_timestamp"], unit="ms", tz="UTC"),
                    side=1 if order["ft_order_side"] == "buy" else -1,
                    amount=float(order["amount"]),
                    price=float(order["safe_price"]),
                    fee_rate=float(trade["fee_open"] if entry else trade["fee_close"]),
                )
            )
    return sorted(fills, key=lambda fill: fill.time)


def holdings(close: pd.Series, fills: list[Fill]) -> pd.DataFrame:
    """Cash spent or received (``cash``, from 0) and the holding's value (``value``) at every
    candle's close, indexed by candle open time; a fill at time d is applied before the close
    of the candle opening at d."""
    cash = 0.0
    holding = 0.0
    queue = iter(fills)
    pending = next(queue, None)
    rows = []
    for date, price in close.items():
        while pending is not None and pending.time <= date:
            cost = pending.amount * pending.price
            cash -= pending.side * cost + cost * pending.fee_rate
            holding += pending.side * pending.amount
            pending = next(queue, None)
        rows.append((date, cash, holding * float(price)))
    return pd.DataFrame(rows, columns=["date", "cash", "value"]).set_index("date")


def _curve(starting_balance: float, cash: pd.Series, values: pd.DataFrame) -> pd.DataFrame:
    equity = starting_balance + cash + values.sum(axis=1)
    gross = values.abs().sum(axis=1)
    exposure = (gross / equity).where(equity > 0)
    in_market = (values != 0).any(axis=1)
    frame = pd.DataFrame({"equity": equity, "exposure": exposure, "in_market": in_market})
    return frame.rename_axis("date").reset_index()


def equity_curve(close: pd.Series, fills: list[Fill], starting_balance: float) -> pd.DataFrame:
    """Equity at every candle's close, holdings marked at the close.

    ``close`` is indexed by candle open time (Freqtrade's convention); a fill at time d is
    applied before the close of the candle opening at d. Returns ``date``, ``equity``,
    ``exposure`` (|position value| / equity) and ``in_market`` (bool).
    """
    held = holdings(close, fills)
    return _curve(starting_balance, held["cash"], held[["value"]])


def portfolio_curve(
    closes: dict[str, pd.Series], fills: dict[str, list[Fill]], starting_balance: float
) -> pd.DataFrame:
    """One wallet's equity over several pairs: every pair's holding marked at its own close
    (the last known one where a pair has no candle), cash shared. Columns as
    :func:`equity_curve`; ``exposure`` is the gross value of all holdings over equity."""
    dates = pd.DatetimeIndex(sorted(set().union(*(close.index for close in closes.values()))))
    cash = pd.Series(0.0, index=dates)
    values = {}
    for pair, close in closes.items():
        held = holdings(close, fills.get(pair, [])).reindex(dates).ffill().fillna(0.0)
        cash += held["cash"]
        values[pair] = held["value"]
    return _curve(starting_balance, cash, pd.DataFrame(values, index=dates))


def time_under_water(equity: pd.Series) -> float:
    """Share of candles whose equity is below its running peak."""
    return float((equity < equity.cummax()).mean()) if len(equity) else 0.0


def profit_factor(profits: pd.Series) -> float:
    """Gross wins over gross losses of closed trades (inf without a loss, 0 without a win, NaN
    without a trade)."""
    if not len(profits):
        return float("nan")
    wins, losses = profits[profits > 0].sum(), -profits[profits < 0].sum()
    if losses == 0:
        return float("inf") if wins > 0 else 0.0
    return float(wins / losses)


def fee_share(trades: pd.DataFrame) -> float:
    """Fees paid over the gross profit they were paid from (PnL before fees, winners only);
    NaN when nothing was won before fees."""
    fees = trades["fees"].sum()
    gross = (trades["profit_abs"] + trades["fees"]).clip(lower=0).sum()
    return float(fees / gross) if gross > 0 else float("nan")


def trade_table(trades: list[dict[str, Any]]) -> pd.DataFrame:
    """Closed trades: close date, net profit, fees paid (entry and exit orders)."""
    rows = []
    for trade in trades:
        fees = sum(
            float(o["amount"])
            * float(o["safe_price"])
            * float(trade["fee_open"] if o["ft_is_entry"] else trade["fee_close"])
            for o in trade["orders"]
            if o.get("amount")
        )
        rows.append(
            {
                "close_date": pd.Timestamp(trade["close_timestamp"], unit="ms", tz="UTC"),
                "profit_abs": float(trade["profit_abs"]),
                "fees": fees,
            }
        )
    return pd.DataFrame(rows, columns=["close_date", "profit_abs", "fees"])


def daily_returns(curve: pd.DataFrame) -> pd.Series:
    """Returns of the equity at each UTC day's last candle, as Freqtrade's ratios sample it."""
    daily = curve.set_index("date")["equity"].resample("1D").last().dropna()
    return daily.pct_change().dropna()


def _defined(ratio: float, denominator: float) -> float:
    """``ratio``, or NaN where its denominator is zero or undefined (Freqtrade then returns
    -100 for Sharpe and Sortino, 0 or -100 for Calmar)."""
    return ratio if denominator > 0 else float("nan")


def compute_metrics(curve: pd.DataFrame, trades: pd.DataFrame) -> dict[str, float]:
    """Every figure of :data:`METRICS` for one equity curve and the trades closed within it."""
    equity = curve["equity"]
    start, end = float(equity.iloc[0]), float(equity.iloc[-1])
    days = max(1, (curve["date"].iloc[-1] - curve["date"].iloc[0]).days)
    balance = curve.rename(columns={"equity": "total_quote"})
    try:
        max_drawdown = calculate_max_drawdown_from_balance(
            balance, relative=True
        ).relative_account_drawdown
    except ValueError:  # flat curve: Freqtrade finds no drawdown to measure
        max_drawdown = 0.0
    returns = daily_returns(curve)
    spread = float(returns.std(ddof=0)) if len(returns) else 0.0
    losses = returns[returns < 0]
    downside = float(losses.std(ddof=0)) if len(losses) else 0.0
    return {
        "total_return": end / start - 1,
        "cagr": calculate_cagr(days, start, end),
        "sharpe": _defined(calculate_sharpe_from_balance(balance), spread),
        "sortino": _defined(calculate_sortino_from_balance(balance), downside),
        "calmar": _defined(calculate_calmar_from_balance(balance), float(max_drawdown)),
        "max_drawdown": float(max_drawdown),
        "time_under_water": time_under_water(equity),
        "profit_factor": profit_factor(trades["profit_abs"]),
        "win_rate": float((trades["profit_abs"] > 0).mean()) if len(trades) else float("nan"),
        "trades": len(trades),
        "time_in_market": float(curve["in_market"].mean()),
        "average_exposure": float(curve["exposure"].mean()),
        "fee_share_of_gross_profit": fee_share(trades),
    }


def window(curve: pd.DataFrame, trades: pd.DataFrame, start: str, end: str) -> dict[str, float]:
    """Metrics of the candles in [start, end) (e.g. a fold or a stress window), with the
    trades that closed inside it."""
    lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    part = curve[(curve["date"] >= lo) & (curve["date"] < hi)].reset_index(drop=True)
    if len(part) < 2:
        raise ValueError(f"Window {start}..{end} holds fewer than two candles of the curve.")
    closed = trades[(trades["close_date"] >= lo) & (trades["close_date"] < hi)]
    return compute_metrics(part, closed)
