"""Open-interest build-ups with price direction, flush reversals.

Source ``open_interest-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class OpenInterestSpike(SourceStrategy):
    source_id = "open_interest-v1"
