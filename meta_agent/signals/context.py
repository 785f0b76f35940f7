"""What external-data sources read: the traded pair, its timeframe and a feed.

A source that needs more than the candles gets a :class:`SourceContext`. The feed (the imported
store in backtests, the live providers when trading) and :func:`~meta_agent.feeds.store.align`,
the one place external values meet candles, live in :mod:`meta_agent.feeds`.
"""

from __future__ import annotations

from dataclasses import dataclass

from meta_agent.feeds.store import Feed


@dataclass(frozen=True)
class SourceContext:
    """The traded pair and timeframe, the feed external sources read, and the quote currency
    of the reference market's perpetuals (``USDT`` on Binance, ``USD`` on Kraken Futures)."""

    pair: str
    timeframe: str
    feed: Feed
    reference_quote: str = "USDT"

    @property
    def base_currency(self) -> str:
        return self.pair.split("/")[0]
