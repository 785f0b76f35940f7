"""Volatility breakout: Donchian channel position with ATR expansion.

Source ``breakout-v2`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class VolatilityBreakout(SourceStrategy):
    source_id = "breakout-v2"
