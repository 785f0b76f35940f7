"""Contrarian at funding-rate extremes of the reference perpetual.

Source ``funding-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class FundingRateExtremes(SourceStrategy):
    source_id = "funding-v1"
