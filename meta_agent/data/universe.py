"""The coin universe of the portfolio: 13 coins with Binance history in ``../shared/data`` that
Kraken spot also lists against USD (see that folder's README)."""

from __future__ import annotations

#: Base currencies, in the order of ``../shared/data/README.md`` (listing dates from 2018-01,
#: BTC ETH LTC, to 2020-10, NEAR).
UNIVERSE: tuple[str, ...] = (
    "BTC", "ETH", "LTC", "XRP", "ADA", "LINK", "DOGE", "BCH", "XTZ", "DOT", "SOL", "AVAX", "NEAR",
)  # fmt: skip


def universe_pairs(quote: str, bases: tuple[str, ...] = UNIVERSE) -> list[str]:
    """The universe as Freqtrade pairs against ``quote``: ``BTC/USDT``, ..."""
    return [f"{base}/{quote}" for base in bases]
