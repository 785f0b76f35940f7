"""Kraken Futures as the derivatives venue: ccxt ``krakenfutures`` against a local server
speaking Kraken Futures' REST JSON, and its selection in ``meta_rl.live_feeds``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from freqtrade.enums import RunMode

from meta_agent.config import LiveFeedsConfig, MetaRLConfig
from meta_agent.errors import ConfigError, FeedUnavailableError
from meta_agent.feeds.providers.feed import LiveFeed
from meta_agent.feeds.providers.kraken_futures import KrakenFuturesDerivativesProvider
from meta_agent.feeds.runtime import default_providers, source_context
from meta_agent.signals import SourceContext, make
from tests.feeds.providers.formats import kraken_api, kraken_ticker_body, serve_kraken
from tests.feeds.providers.server import FakeApi, Route

END = pd.Timestamp("2026-11-20", tz="UTC")


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as server:
        yield server


def test_funding_candles_and_index_in_krakens_format(api: FakeApi) -> None:
    served = serve_kraken(api, END, hours=48)
    now = END + pd.Timedelta("30min")
    provider = KrakenFuturesDerivativesProvider(
        api=kraken_api(api), bases=("BTC", "XRP"), clock=lambda: now
    )
    frames = provider.fetch()
    funding = frames[("BTC/USD:USD", "funding_rate")]
    assert funding["open"].tolist() == pytest.approx(served["funding_rate"]["open"].tolist())
    assert (funding["available_at"] == funding["date"]).all()  # known once set
    futures = frames[("BTC/USD:USD", "futures")]
    assert (
        len(futures) == 48
        and (futures["available_at"] == futures["date"] + pd.Timedelta("1h")).all()
    )
    index = frames[("BTC/USD", "spot")]
    assert index["close"].tolist() == pytest.approx(served["spot"]["close"].tolist())
    assert (index["volume"] == 0).all()  # index candles carry no volume
    assert not any(key[0].startswith("XRP") for key in frames if isinstance(key, tuple))
    assert api.queries["/derivatives/api/v4/historicalfundingrates"] == {"symbol": ["PF_XBTUSD"]}


def test_the_running_hour_is_not_served(api: FakeApi) -> None:
    serve_kraken(api, END, hours=48)
    now = END - pd.Timedelta("30min")  # the last served candle (23:00) has not closed
    frames = KrakenFuturesDerivativesProvider(
        api=kraken_api(api), bases=("BTC",), clock=lambda: now
    ).fetch()
    assert frames[("BTC/USD:USD", "futures")]["date"].iloc[-1] == END - pd.Timedelta("2h")


def test_open_interest_from_ticker_snapshots_one_row_per_ended_day(api: FakeApi) -> None:
    serve_kraken(api, END, hours=48)
    now = [END + pd.Timedelta("1h")]
    provider = KrakenFuturesDerivativesProvider(
        api=kraken_api(api), bases=("BTC",), clock=lambda: now[0]
    )
    assert "btc_open_interest_usd" not in provider.fetch()  # no day has ended yet
    ticker = "/derivatives/api/v3/tickers/PF_XBTUSD"
    api.routes[ticker] = Route(kraken_ticker_body("PF_XBTUSD", 3000.0, 40000.0, 39990.0))
    now[0] = END + pd.Timedelta("23h")
    provider.fetch()  # the day's last snapshot wins
    now[0] = END + pd.Timedelta("1D 2h")
    oi = provider.fetch()["btc_open_interest_usd"]
    assert oi["date"].tolist() == [END]
    assert oi["available_at"].tolist() == [END + pd.Timedelta("1D")]
    assert oi["value"].tolist() == [pytest.approx(3000.0 * 40000.0)]  # BTC contracts x mark


def test_a_failing_venue_masks_the_derivatives_sources_not_the_bot(api: FakeApi) -> None:
    serve_kraken(api, END, hours=48)
    api.routes["/derivatives/api/v4/historicalfundingrates"] = Route(
        '{"result": "error", "error": "rate limited"}', status=429, headers={"Retry-After": "30"}
    )
    provider = KrakenFuturesDerivativesProvider(
        api=kraken_api(api), bases=("BTC",), clock=lambda: END
    )
    with pytest.raises(
        FeedUnavailableError, match=r"krakenfutures_derivatives: (RateLimitExceeded|DDoSProtection)"
    ):
        provider.fetch()
    feed = LiveFeed([provider])
    feed.refresh()
    assert "krakenfutures_derivatives" in feed.down
    candles = pd.DataFrame(
        {"date": pd.date_range(END - pd.Timedelta("1D"), periods=24, freq="1h")}
    ).assign(open=1.0, high=1.0, low=1.0, close=1.0, volume=1.0)
    frame = make("funding-v1", context=SourceContext("BTC/USD", "1h", feed, "USD")).signal(candles)
    assert not frame["funding-v1__available"].any()


def test_the_venue_is_chosen_in_live_feeds(tmp_path: Path) -> None:
    settings = LiveFeedsConfig(
        providers=("derivatives",),
        derivatives_venue="krakenfutures",
        derivatives_url="http://127.0.0.1:9",
    )
    (provider,) = default_providers(tmp_path, "binance", ("BTC", "ETH"), settings)
    assert isinstance(provider, KrakenFuturesDerivativesProvider)
    assert provider.bases == ("BTC", "ETH")
    assert provider.api.urls["api"]["charts"] == "http://127.0.0.1:9/api/charts/"
    config = {
        "runmode": RunMode.DRY_RUN,
        "user_data_dir": str(tmp_path),
        "exchange": {"pair_whitelist": ["BTC/USD"]},
        "meta_rl": {"live_feeds": {"derivatives_venue": "krakenfutures", "providers": []}},
    }
    meta = MetaRLConfig.from_freqtrade(config)
    assert source_context(meta, config, "BTC/USD").reference_quote == "USD"
    config["runmode"] = RunMode.BACKTEST  # backtests keep the reference exchange (Binance)
    assert source_context(meta, config, "BTC/USD").reference_quote == "USDT"
    with pytest.raises(ConfigError, match=r"`meta_rl.live_feeds.derivatives_venue`"):
        MetaRLConfig.from_freqtrade({"meta_rl": {"live_feeds": {"derivatives_venue": "bybit"}}})
