"""On-chain exchange flows: netflow, inflow CDD and miner transfer spikes.

Source ``exchange_flows-v1`` as a standalone strategy.
"""

from meta_agent.strategy.standalone import SourceStrategy


class ExchangeFlows(SourceStrategy):
    source_id = "exchange_flows-v1"
