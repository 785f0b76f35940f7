"""From a target exposure to Freqtrade stake amounts (entries and position adjustments)."""

from __future__ import annotations

import math


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


def pair_budget(total_stake: float, slots: int) -> float:
    """Stake one pair may hold at exposure 1: an equal share (of ``slots``) of the whole stake."""
    if slots <= 0:
        raise ValueError(f"The 'slots' parameter must be a positive integer. Got {slots} instead.")
    return total_stake / slots


def within_band(target: float, current: float, threshold: float) -> bool:
    """Is ``current`` close enough to ``target`` to keep it (the no-trade band)?

    Within the band: both on the same side of flat and less than ``threshold`` apart (exposure
    fractions of the pair's budget). Going flat, opening and flipping always trade. The one
    rule for the environment, the rollout and the orders (:func:`rebalance_amount`).
    """
    same_side = target * current > 0
    return same_side and abs(target - current) < threshold


def rebalance_amount(
    target_exposure: float,
    position_value: float,
    budget: float,
    threshold: float,
    min_stake: float | None,
    max_stake: float,
) -> float | None:
    """Stake to add (> 0) or remove (< 0) so the position approaches ``|target| * budget``.

    ``None`` when the position is within ``threshold * budget`` of its target (price drift
    alone should not pay fees), when the order would be below the exchange minimum, or when
    the target is flat (the exit signal closes the trade).
    """
    if target_exposure == 0:
        return None
    if budget <= 0 or within_band(abs(target_exposure), position_value / budget, threshold):
        return None
    difference = abs(target_exposure) * budget - position_value
    amount = min(difference, max_stake) if difference > 0 else max(difference, -position_value)
    if min_stake is not None and abs(amount) < min_stake:
        return None
    return amount
