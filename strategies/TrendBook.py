"""Baseline: the portfolio trend book (Donchian breakout ensemble, volatility-sized, 1/N per
coin, the rest in cash), decided once a day.

Logic in ``meta_agent.strategy.book``; traded with MetaRL's exposure mechanics. Run it over the
whole universe in one wallet (``max_open_trades`` = the number of pairs).
"""

from meta_agent.strategy.book import TrendBookStrategy


class TrendBook(TrendBookStrategy):
    pass
