"""Trend: EMA 20/50 gap in ATRs, confidence from ADX.

Source ``trend-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class TrendMA(SourceStrategy):
    source_id = "trend-v1"
