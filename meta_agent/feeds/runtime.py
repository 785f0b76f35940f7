"""Which feed the sources read: the imported store in backtests, live providers when trading.

``source_context`` is what strategies call; ``refresh_live_feed`` runs at the start of every
bot loop (``bot_loop_start``) so that one cycle's providers are fetched concurrently, once.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

from freqtrade.enums import RunMode

from meta_agent.config import DERIVATIVES_VENUES, LiveFeedsConfig, MetaRLConfig
from meta_agent.feeds.providers.feed import LiveFeed, Provider
from meta_agent.feeds.providers.kraken_futures import KrakenFuturesDerivativesProvider
from meta_agent.feeds.providers.onchain import CryptoQuantProvider
from meta_agent.feeds.providers.social import LunarCrushProvider
from meta_agent.feeds.providers.sources import (
    CcxtDerivativesProvider,
    CryptoPanicProvider,
    CsvDropInProvider,
    FearGreedProvider,
    RssNewsProvider,
)
from meta_agent.feeds.store import Feed, StoreFeed
from meta_agent.signals import SourceContext
from meta_agent.signals.flows import ExchangeFlowsSource
from meta_agent.signals.sentiment import SocialSource

TRADING = (RunMode.DRY_RUN, RunMode.LIVE)
#: The sources a keyed provider feeds (named when its key is missing).
KEYED_SOURCES = {
    "cryptoquant": f"{ExchangeFlowsSource.name}-v{ExchangeFlowsSource.version}",
    "lunarcrush": f"{SocialSource.name}-v{SocialSource.version}",
}

logger = logging.getLogger(__name__)


def is_trading(config: dict[str, Any]) -> bool:
    return config.get("runmode") in TRADING


def source_context(meta: MetaRLConfig, config: dict[str, Any], pair: str) -> SourceContext:
    """The context external sources read for ``pair`` under a Freqtrade ``config`` whose
    ``meta_rl`` section ``meta`` is (validated once, by the caller)."""
    store = StoreFeed(meta.feed_root(config), meta.reference_exchange)
    feed: Feed = store
    venue = meta.reference_exchange
    if is_trading(config):
        venue = meta.live_feeds.derivatives_venue
        feed = live_feed(
            str(meta.feed_root(config)), meta.reference_exchange, _bases(config), meta.live_feeds
        )
    quote = DERIVATIVES_VENUES.get(venue, "USDT")
    return SourceContext(pair, config.get("timeframe", "1h"), feed, reference_quote=quote)


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
    # Candle history of the live venue only: Binance's candles under Kraken's would mix venues.
    venue = settings.derivatives_venue
    history_venue = reference_exchange if venue == "binance" else venue
    return LiveFeed(
        default_providers(Path(feed_root), reference_exchange, bases, settings),
        history=StoreFeed(Path(feed_root), history_venue),
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
    headlines, CryptoPanic (only when ``$CRYPTOPANIC_TOKEN`` is set), the derivatives venue's
    funding, candles and open interest through ccxt, CSV drop-ins in
    ``<root>/external_drop_in``, CryptoQuant's exchange flows and LunarCrush's social series
    (each only with its key; without it one warning names the variable and the source)."""
    settings = settings or LiveFeedsConfig()
    wanted = set(settings.providers)
    providers: list[Provider] = []
    if "fear_greed" in wanted:
        providers.append(FearGreedProvider(url=settings.fear_greed_url))
    if "rss_news" in wanted:
        urls = settings.rss_urls
        providers.append(RssNewsProvider() if urls is None else RssNewsProvider(urls=urls))
    if "derivatives" in wanted:
        providers.append(derivatives_provider(reference_exchange, bases, settings))
    if "csv_drop_in" in wanted:
        providers.append(CsvDropInProvider(feed_root / "external_drop_in"))
    if "cryptopanic" in wanted and os.environ.get(CryptoPanicProvider.token_env):
        providers.append(CryptoPanicProvider())
    keyed: list[CryptoQuantProvider | LunarCrushProvider] = []
    if "cryptoquant" in wanted:
        keyed.append(CryptoQuantProvider(url=settings.cryptoquant_url))
    if "lunarcrush" in wanted:
        keyed.append(LunarCrushProvider(url=settings.lunarcrush_url))
    for provider in keyed:
        if os.environ.get(provider.token_env):
            providers.append(provider)
        else:
            logger.warning(
                "Live feed %s unavailable: $%s is not set; %s reads `available` 0 (set the key "
                "and restart the bot to use it).",
                provider.name,
                provider.token_env,
                KEYED_SOURCES[provider.name],
            )
    return providers


def derivatives_provider(
    reference_exchange: str, bases: tuple[str, ...], settings: LiveFeedsConfig
) -> Provider:
    """The derivatives provider of ``settings.derivatives_venue`` (ccxt, public endpoints)."""
    import ccxt

    venue = settings.derivatives_venue
    if venue == "krakenfutures":
        kraken = ccxt.krakenfutures()
        _point_at(kraken, settings.derivatives_url)
        return KrakenFuturesDerivativesProvider(api=kraken, bases=bases)
    if reference_exchange == "binance":
        futures = ccxt.binanceusdm()
    else:
        futures = getattr(ccxt, reference_exchange)({"options": {"defaultType": "swap"}})
    spot = getattr(ccxt, reference_exchange)()
    for api in (futures, spot):
        _point_at(api, settings.derivatives_url)
    return CcxtDerivativesProvider(futures_api=futures, spot_api=spot, bases=bases)


def _point_at(api: Any, base_url: str | None) -> None:
    """Replace the scheme and host of every public URL of a ccxt exchange with ``base_url``."""
    if base_url is None:
        return
    api.urls["api"] = {
        name: base_url.rstrip("/") + "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
        for name, url in api.urls["api"].items()
        if isinstance(url, str)
    }
