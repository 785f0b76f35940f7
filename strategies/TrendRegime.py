"""Baseline: the daily trend regime (EMA 8/24, 16/48, 32/96 days), decided once a day.

Logic in ``meta_agent.strategy.trend``; traded with MetaRL's exposure mechanics.
"""

from meta_agent.strategy.trend import TrendRegimeStrategy


class TrendRegime(TrendRegimeStrategy):
    pass
