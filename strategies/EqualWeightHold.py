"""Baseline: equal-weight buy and hold of the pairs in one wallet, rebalanced monthly.

Logic in ``meta_agent.strategy.hold``; traded with MetaRL's exposure mechanics. Run it over the
whole universe in one wallet (``max_open_trades`` = the number of pairs).
"""

from meta_agent.strategy.hold import EqualWeightHoldStrategy


class EqualWeightHold(EqualWeightHoldStrategy):
    pass
