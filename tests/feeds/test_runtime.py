"""Which feed sources read: the store in backtests, the live providers when trading."""

from __future__ import annotations

from pathlib import Path

import pytest
from freqtrade.enums import RunMode

from meta_agent.config import MetaRLConfig
from meta_agent.errors import ConfigError
from meta_agent.feeds.providers.feed import LiveFeed
from meta_agent.feeds.runtime import default_providers, source_context
from meta_agent.feeds.store import StoreFeed
from meta_agent.signals import SourceContext


def config(runmode: RunMode, tmp_path: Path) -> dict:
    return {
        "runmode": runmode,
        "user_data_dir": str(tmp_path),
        "timeframe": "1h",
        "exchange": {"pair_whitelist": ["ETH/USD", "BTC/USD"]},
    }


def context_of(config: dict, pair: str) -> SourceContext:
    return source_context(MetaRLConfig.from_freqtrade(config), config, pair)


def test_backtests_read_the_store(tmp_path: Path) -> None:
    context = context_of(config(RunMode.BACKTEST, tmp_path), "BTC/USD")
    assert isinstance(context.feed, StoreFeed)
    assert context.feed.data_root == tmp_path / "data"


@pytest.mark.parametrize("runmode", [RunMode.DRY_RUN, RunMode.LIVE])
def test_trading_reads_one_shared_live_feed_over_the_history(
    runmode: RunMode, tmp_path: Path
) -> None:
    first = context_of(config(runmode, tmp_path), "BTC/USD").feed
    again = context_of(config(runmode, tmp_path), "ETH/USD").feed
    assert isinstance(first, LiveFeed) and first is again
    assert isinstance(first.history, StoreFeed)
    names = [provider.name for provider in first.providers]
    assert names[:4] == ["fear_and_greed", "rss_news", "ccxt_derivatives", "csv_drop_in"]
    derivatives = first.providers[2]
    assert derivatives.bases == ("BTC", "ETH")


def test_cryptopanic_joins_only_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRYPTOPANIC_TOKEN", raising=False)
    assert "cryptopanic" not in [p.name for p in default_providers(tmp_path, "binance", ("BTC",))]
    monkeypatch.setenv("CRYPTOPANIC_TOKEN", "t")
    assert "cryptopanic" in [p.name for p in default_providers(tmp_path, "binance", ("BTC",))]


def test_live_feeds_section_chooses_providers_and_urls(tmp_path: Path) -> None:
    settings = MetaRLConfig.from_freqtrade(
        {
            "meta_rl": {
                "live_feeds": {
                    "providers": ["fear_greed", "csv_drop_in"],
                    "fear_greed_url": "http://127.0.0.1:9/fng/",
                }
            }
        }
    ).live_feeds
    providers = default_providers(tmp_path, "binance", ("BTC",), settings)
    assert [p.name for p in providers] == ["fear_and_greed", "csv_drop_in"]
    assert providers[0].url == "http://127.0.0.1:9/fng/"
    with pytest.raises(ConfigError, match=r"`meta_rl.live_feeds.providers`.*unknown provider"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"live_feeds": {"providers": ["twitter"]}}})
