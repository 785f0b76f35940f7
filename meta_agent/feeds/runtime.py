"""Which feed the sources read: the imported store in backtests, live providers when trading.

``source_context`` is what strategies call; ``refresh_live_feed`` runs at the start of every
bot loop (``bot_loop_start``) so that one cycle's providers are fetched concurrently, once.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from freqtrade.enums import RunMode

from meta_agent.config import LiveFeedsConfig, MetaRLConfig
from meta_agent.feeds.providers.feed import LiveFeed, Provider
from meta_agent.feeds.providers.sources import (
    CcxtDerivativesProvider,
    CryptoPanicProvider,
    CsvDropInProvider,
    FearGreedProvider,
    RssNewsProvider,
)
from meta_agent.feeds.store import Feed, StoreFeed
from meta_agent.signals import SourceContext

TRADING = (RunMode.DRY_RUN, RunMode.LIVE)


def is_trading(config: dict[str, Any]) -> bool:
    return config.get("runmode") in TRADING


def source_context(meta: MetaRLConfig, config: dict[str, Any], pair: str) -> SourceContext:
    """The context external sources read for ``pair`` under a Freqtrade ``config`` whose
    ``meta_rl`` section ``meta`` is (validated once, by the caller)."""
    store = StoreFeed(meta.feed_root(config), meta.reference_exchange)
    feed: Feed = store
    if is_trading(config):
        feed = live_feed(
            str(meta.feed_root(config)), meta.reference_exchange, _bases(config), meta.live_feeds
        )
    return SourceContext(pair, config.get("timeframe", "1h"), feed)


def refresh_live_feed(meta: MetaRLConfig, config: dict[str, Any]) -> None:
    """Fetch the due providers of the live feed (no-op outside dry-run and live)."""
    if is_trading(config):
        context = source_context(meta, config, pair="")
        assert isinstance(context.feed, LiveFeed)
        context.feed.refresh()


def _bases(config: dict[str, Any]) -> tuple[str, ...]:
    pairs = config.get("exchange", {}).get("pair_whitelist", [])
    return tuple(sorted({pair.split("/")[0] for pair in pairs})) or ("BTC",)


@cache
def live_feed(
    feed_root: str,
    reference_exchange: str,
    bases: tuple[str, ...],
    settings: LiveFeedsConfig | None = None,
) -> LiveFeed:
    """One live feed per bot process, over the imported history in ``feed_root``."""
    settings = settings or LiveFeedsConfig()
    return LiveFeed(
        default_providers(Path(feed_root), reference_exchange, bases, settings),
        history=StoreFeed(Path(feed_root), reference_exchange),
        timeout=settings.timeout,
        retry_after=settings.retry_after,
    )


def default_providers(
    feed_root: Path,
    reference_exchange: str,
    bases: tuple[str, ...],
    settings: LiveFeedsConfig | None = None,
) -> list[Provider]:
    """The providers ``meta_rl.live_feeds.providers`` names (default: all): Fear & Greed, RSS
    headlines, CryptoPanic (only when ``$CRYPTOPANIC_TOKEN`` is set), the reference venue's
    derivatives through ccxt, and CSV drop-ins in ``<root>/external_drop_in``."""
    settings = settings or LiveFeedsConfig()
    wanted = set(settings.providers)
    providers: list[Provider] = []
    if "fear_greed" in wanted:
        providers.append(FearGreedProvider(url=settings.fear_greed_url))
    if "rss_news" in wanted:
        urls = settings.rss_urls
        providers.append(RssNewsProvider() if urls is None else RssNewsProvider(urls=urls))
    if "derivatives" in wanted:
        import ccxt

        if reference_exchange == "binance":
            futures = ccxt.binanceusdm()
        else:
            futures = getattr(ccxt, reference_exchange)({"options": {"defaultType": "swap"}})
        spot = getattr(ccxt, reference_exchange)()
        providers.append(CcxtDerivativesProvider(futures_api=futures, spot_api=spot, bases=bases))
    if "csv_drop_in" in wanted:
        providers.append(CsvDropInProvider(feed_root / "external_drop_in"))
    if "cryptopanic" in wanted and os.environ.get(CryptoPanicProvider.token_env):
        providers.append(CryptoPanicProvider())
    return providers
