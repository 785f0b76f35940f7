"""From a target exposure to Freqtrade stake amounts (entries and position adjustments)."""

from __future__ import annotations

from meta_agent.rl.actions import within_band


def pair_budget(total_stake: float, slots: int) -> float:
    """Stake one pair may hold at exposure 1: an equal share (of ``slots``) of the whole stake."""
    if slots <= 0:
        raise ValueError(f"The 'slots' parameter must be a positive integer. Got {slots} instead.")
    return total_stake / slots


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
