"""Mean reversion around VWAP and range: VWAP z, RSI, range position.

Source ``reversion-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class VwapReversion(SourceStrategy):
    source_id = "reversion-v1"
