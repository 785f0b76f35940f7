"""Contrarian at Crypto Fear & Greed extremes. Source ``fear_greed-v1`` as a standalone strategy."""

from meta_agent.strategy.standalone import SourceStrategy


class FearGreedContrarian(SourceStrategy):
    source_id = "fear_greed-v1"
