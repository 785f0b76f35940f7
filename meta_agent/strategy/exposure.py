"""A Freqtrade strategy that holds a target exposure per candle, whoever decides it.

MetaRL (the RL agent's ``&-action``) and the stacking baseline (a classifier's level) both
subclass it, so they trade with identical mechanics: enter above 0 (below 0 short, in futures
mode) with |target| x the pair's budget, scale in and out with ``adjust_trade_position``, exit
at 0 or on a change of side. A candle whose ``valid`` column is not 1 keeps what is held.

Entries are marked only on the strategy's entry candles
(:meth:`TargetExposureStrategy.entry_candles`): every candle by default, the decision candles
for a strategy that decides on a clock (MetaRL with ``meta_rl.decision_every``). Freqtrade
opens a position there when none is open, so a position that a stoploss closed, or an entry a
lock refused, is taken up again at the next decision that still wants it, never between
decisions. Exits are marked on every valid candle at or below 0, so an exit the exchange did
not fill is tried again on the next candle.

Risk limits (``meta_rl.risk``) apply to every order: the hard stoploss, Freqtrade's protections,
the exposure caps and the daily loss cap (:mod:`meta_agent.rl.risk`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from freqtrade.persistence import PairLocks, Trade
from freqtrade.persistence.pairlock import PairLock
from pandas import DataFrame, Series

from meta_agent.config import check_stoploss
from meta_agent.feeds.runtime import is_trading
from meta_agent.rl.risk import (
    DAILY_LOSS_REASON,
    RiskView,
    allowed_exposure,
    budget_slots,
    daily_loss_hit,
    day_start,
    lock_until_day_end,
)
from meta_agent.strategy.base import MetaStrategy
from meta_agent.strategy.execution import pair_budget, rebalance_amount


def _keeps_trades() -> bool:
    """Whether trades and locks exist: in memory (backtesting, hyperopt, the analyses) or in
    the trade database (``freqtrade trade``). ``plot-dataframe`` and the webserver's chart only
    analyse candles; Freqtrade opens no database there, so there is no loss to check."""
    return not PairLocks.use_db or getattr(PairLock, "session", None) is not None


class TargetExposureStrategy(MetaStrategy):
    """Realises the column :attr:`target_column` (exposure levels) with Freqtrade's orders."""

    INTERFACE_VERSION = 3
    target_column: ClassVar[str]
    valid_column: ClassVar[str]

    timeframe = "1h"
    # The target decides exits; ROI is off and the stoploss (``meta_rl.risk.stoploss``) only
    # guards against catastrophe.
    minimal_roi = {"0": 100.0}
    stoploss = -0.30
    use_exit_signal = True
    exit_profit_only = False
    process_only_new_candles = True
    position_adjustment_enable = True
    max_entry_position_adjustment = -1
    can_short = False

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        check_stoploss(config, self.meta_config.risk)
        self.stoploss = self.meta_config.risk.stoploss
        self._loop_risk_view: RiskView | None = None

    @property
    def protections(self) -> list[dict[str, Any]]:
        """Freqtrade's MaxDrawdown and StoplossGuard as ``meta_rl.risk`` configures them."""
        return self.meta_config.risk.protections()

    # --- risk limits ---------------------------------------------------------------------------
    def risk_view(self, current_time: datetime) -> RiskView:
        """Open exposures (at cost, signed) and locks at ``current_time``."""
        budget = self._budget()
        exposures: dict[str, float] = {}
        for trade in Trade.get_open_trades():
            side = -1.0 if trade.is_short else 1.0
            notional = trade.stake_amount * trade.leverage
            exposures[trade.pair] = side * notional / budget if budget > 0 else 0.0
        locked = {"*"} if PairLocks.is_global_lock(current_time) else set()
        for pair in self.dp.current_whitelist():
            if PairLocks.is_pair_locked(pair, current_time):
                locked.add(pair)
        return RiskView(exposures, self._slots(), frozenset(locked))

    def check_daily_loss(self, current_time: datetime) -> bool:
        """Lock all new exposure until 00:00 UTC once the day's loss reached the cap.

        The lock is one of Freqtrade's pair locks (``*``), kept in the trade database, so a
        restarted bot keeps it; FreqUI and Telegram ``/locks`` show it.
        """
        cap = self.meta_config.risk.daily_loss_cap
        if cap is None or not _keeps_trades() or PairLocks.is_global_lock(current_time):
            return False
        closed = Trade.get_trades_proxy(is_open=False, close_date=day_start(current_time))
        unrealised = []
        for trade in Trade.get_open_trades():
            dataframe, _ = self.dp.get_analyzed_dataframe(trade.pair, self.timeframe)
            if not dataframe.empty:
                unrealised.append(trade.calc_profit(float(dataframe["close"].iloc[-1])))
        stake = self.wallets.get_total_stake_amount() if self.wallets else 0.0
        profits = [trade.close_profit_abs or 0.0 for trade in closed]
        if not daily_loss_hit(profits, unrealised, stake, cap):
            return False
        self.lock_pair("*", lock_until_day_end(current_time), DAILY_LOSS_REASON)
        return True

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        super().bot_loop_start(current_time, **kwargs)  # the live feed
        self.check_daily_loss(current_time)
        if is_trading(self.config):
            # This cycle's decisions are masked by the limits the orders will meet.
            self._loop_risk_view = self.risk_view(current_time)

    def decision_risk_view(self) -> RiskView | None:
        """The hook a deciding model reads (:class:`meta_agent.rl.risk.RiskAware`): the risk
        limits at the start of this bot loop, after the daily loss cap; None outside dry-run
        and live."""
        return self._loop_risk_view

    def _allowed(self, pair: str, target: float, current_time: datetime) -> float:
        return allowed_exposure(target, pair, self.risk_view(current_time), self.meta_config.risk)

    def rebalance_band(self, target: float) -> float:
        """No-trade band for resizing a position towards ``target``, in fractions of the pair's
        budget: ``meta_rl.rebalance_threshold`` (a strategy whose targets are small fractions,
        like the volatility-sized book, sets a band relative to its target)."""
        return self.meta_config.rebalance_threshold

    def entry_candles(self, dataframe: DataFrame) -> Series:
        """Bool per candle: may a target away from 0 open a position on it? Every candle here;
        a strategy that decides on a clock returns its decision candles, so ``enter_long``
        marks one candle per decision (not every candle of a long stretch) and a re-entry waits
        for the next decision."""
        return Series(True, index=dataframe.index)

    def valid_candles(self, dataframe: DataFrame) -> Series:
        """Bool per candle: does its target hold (entries, exits and resizing act on it)? The
        :attr:`valid_column` is 1; a strategy that acts on its clock only narrows it."""
        return dataframe[self.valid_column] == 1

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        valid = self.valid_candles(dataframe) & self.entry_candles(dataframe)
        target = dataframe[self.target_column]
        dataframe.loc[valid & (target > 0), ["enter_long", "enter_tag"]] = (1, "long")
        if self.can_short:
            dataframe.loc[valid & (target < 0), ["enter_short", "enter_tag"]] = (1, "short")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        valid = self.valid_candles(dataframe)
        target = dataframe[self.target_column]
        dataframe.loc[valid & (target <= 0), ["exit_long", "exit_tag"]] = (1, "flat")
        if self.can_short:
            dataframe.loc[valid & (target >= 0), ["exit_short", "exit_tag"]] = (1, "flat")
        return dataframe

    def _target(self, pair: str) -> float | None:
        dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        if dataframe.empty or not self.valid_candles(dataframe.iloc[-1:]).iloc[-1]:
            return None
        return float(dataframe[self.target_column].iloc[-1])

    def _slots(self) -> int:
        return budget_slots(self.config["max_open_trades"], len(self.dp.current_whitelist()))

    def _budget(self) -> float:
        return pair_budget(self.wallets.get_total_stake_amount(), self._slots())

    def custom_stake_amount(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_stake: float,
        min_stake: float | None,
        max_stake: float,
        leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> float:
        target = self._target(pair)
        if not target:
            return 0.0
        allowed = self._allowed(pair, target, current_time)
        return min(abs(allowed) * self._budget() / leverage, max_stake)

    def leverage(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs: Any,
    ) -> float:
        """``meta_rl.risk.leverage`` (1 by default), at most the exchange's maximum."""
        return min(self.meta_config.risk.leverage, max_leverage)

    def adjust_trade_position(
        self,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        min_stake: float | None,
        max_stake: float,
        current_entry_rate: float,
        current_exit_rate: float,
        current_entry_profit: float,
        current_exit_profit: float,
        **kwargs: Any,
    ) -> float | None:
        target = self._target(trade.pair)
        if target is None or trade.has_open_orders:
            return None
        # In margin terms: notional exposure x budget needs budget / leverage of stake.
        position_value = trade.amount * current_rate / trade.leverage
        amount = rebalance_amount(
            target_exposure=self._allowed(trade.pair, target, current_time),
            position_value=position_value,
            budget=self._budget() / trade.leverage,
            threshold=self.rebalance_band(target),
            min_stake=min_stake,
            max_stake=max_stake,
        )
        if amount is None or amount >= 0 or position_value <= 0:
            return amount
        # Freqtrade sells the share |amount| / trade.stake_amount of the position: a reduction
        # is stake at cost, not at today's value. Sell the share of today's value instead.
        return amount * trade.stake_amount / position_value
