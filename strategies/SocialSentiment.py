"""Social sentiment weighted by activity spikes (daily social index).

Source ``social-v2`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class SocialSentiment(SourceStrategy):
    source_id = "social-v2"
