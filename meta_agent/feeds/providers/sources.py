"""The providers: each fetches one kind of data and returns frames in the store's layout.

Every provider has a ``name`` (for logs), a ``ttl`` (seconds between fetches) and ``fetch()``
returning ``{key: frame}``: keys are external-series names (``fear_and_greed``) or reference
markets (``("BTC/USDT:USDT", "funding_rate")``). Parsing follows each API's documented format;
an answer in another shape raises FeedUnavailableError naming the provider.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pandas as pd

from meta_agent.data.external import EXTERNAL_SERIES
from meta_agent.errors import DataImportError, FeedUnavailableError
from meta_agent.feeds.providers.candles import ccxt_answers, ccxt_candles
from meta_agent.feeds.providers.feed import Frames
from meta_agent.feeds.providers.http import get
from meta_agent.security import redact

DAY = pd.Timedelta("1D")


def _fail(provider: str, what: str) -> FeedUnavailableError:
    return FeedUnavailableError(f"{provider}: unexpected answer ({what})")


@dataclass
class FearGreedProvider:
    """alternative.me Crypto Fear & Greed (``/fng/?limit=N``), JSON ``{"data": [{"value",
    "value_classification", "timestamp" (unix seconds of the day)}]}``. A value dated D is
    usable from the end of D, as in backtests."""

    url: str = "https://api.alternative.me/fng/?limit=200&format=json"
    timeout: float = 10.0
    ttl: float = 3600.0
    name: str = "fear_and_greed"

    def fetch(self) -> Frames:
        try:
            rows = json.loads(get(self.url, timeout=self.timeout))["data"]
            dates = pd.to_datetime([int(r["timestamp"]) for r in rows], unit="s", utc=True)
            frame = pd.DataFrame(
                {
                    "date": dates.floor("1D"),
                    "value": [float(r["value"]) for r in rows],
                    "classification": [str(r["value_classification"]) for r in rows],
                }
            )
        except (ValueError, KeyError, TypeError) as err:
            raise _fail(self.name, repr(err)) from None
        frame["available_at"] = frame["date"] + DAY
        frame = frame.sort_values("date").drop_duplicates("date", keep="last")
        return {"fear_and_greed": frame.reset_index(drop=True)}


def _news_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "source", "title", "url"])
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    frame["available_at"] = frame["date"]
    return frame.sort_values(["date", "title"]).reset_index(drop=True)


@dataclass
class RssNewsProvider:
    """Headlines from RSS 2.0 feeds (``<item><title>``, ``<pubDate>`` RFC 822, ``<link>``)."""

    urls: tuple[str, ...] = (
        "https://cointelegraph.com/rss",
        "https://cryptopotato.com/feed/",
    )
    timeout: float = 10.0
    ttl: float = 300.0
    name: str = "rss_news"

    def fetch(self) -> Frames:
        rows: list[dict[str, Any]] = []
        for url in self.urls:
            try:
                channel = ET.fromstring(get(url, timeout=self.timeout)).find("channel")
                if channel is None:
                    raise ValueError("no <channel>")
                source = channel.findtext("title", default=url)
                for item in channel.iter("item"):
                    rows.append(
                        {
                            "date": parsedate_to_datetime(item.findtext("pubDate", "")),
                            "source": source,
                            "title": item.findtext("title", "").strip(),
                            "url": item.findtext("link", ""),
                        }
                    )
            except (ET.ParseError, ValueError, TypeError) as err:
                raise _fail(self.name, f"{url}: {err}") from None
        return {"cryptonews": _news_frame(rows)}


@dataclass
class CryptoPanicProvider:
    """CryptoPanic posts API; the token comes from the environment (``CRYPTOPANIC_TOKEN``)."""

    url: str = "https://cryptopanic.com/api/v1/posts/"
    token_env: str = "CRYPTOPANIC_TOKEN"
    timeout: float = 10.0
    ttl: float = 300.0
    name: str = "cryptopanic"

    def fetch(self) -> Frames:
        token = os.environ.get(self.token_env)
        if not token:
            raise FeedUnavailableError(f"{self.name}: no API token in ${self.token_env}")
        body = get(
            self.url,
            timeout=self.timeout,
            secrets=(token,),
            params={"auth_token": token, "public": "true"},
        )
        try:
            posts = json.loads(body)["results"]
            rows = [
                {
                    "date": post["published_at"],
                    "source": post.get("source", {}).get("title", "CryptoPanic"),
                    "title": post["title"],
                    "url": post.get("url", ""),
                }
                for post in posts
            ]
        except (ValueError, KeyError, TypeError) as err:
            raise _fail(self.name, redact(repr(err), (token,))) from None
        return {"cryptonews": _news_frame(rows)}


@dataclass
class CsvDropInProvider:
    """On-chain (or any daily) series dropped as CSV files into ``folder`` by the user or a
    keyed provider's exporter, in the formats the importer reads (``Date,Data`` ...)."""

    folder: Path
    ttl: float = 3600.0
    name: str = "csv_drop_in"

    def fetch(self) -> Frames:
        frames: Frames = {}
        for series in EXTERNAL_SERIES:
            path = Path(self.folder) / Path(series.source).name
            if path.is_file():
                try:
                    frames[series.name] = series.reader(path)
                except DataImportError as err:
                    raise FeedUnavailableError(f"{self.name}: {err}") from None
        if not frames:
            raise FeedUnavailableError(f"{self.name}: no known CSV in {self.folder}")
        return frames


@dataclass
class CcxtDerivativesProvider:
    """Funding rates, perpetual / mark / spot candles and open interest of a reference venue
    through ccxt's public methods (default Binance: ``binanceusdm`` for perpetuals).

    ``futures_api`` and ``spot_api`` are ccxt exchange instances; tests point them at a local
    server through ccxt's ``urls`` option.
    """

    futures_api: Any
    spot_api: Any
    bases: tuple[str, ...] = ("BTC", "ETH")
    quote: str = "USDT"
    history_days: int = 40
    ttl: float = 300.0
    name: str = "ccxt_derivatives"
    open_interest_base: str = "BTC"
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def fetch(self) -> Frames:
        since = int((pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=self.history_days)).timestamp())
        since_ms = since * 1000
        frames: Frames = {}
        with ccxt_answers(self.name):
            for base in self.bases:
                perp = f"{base}/{self.quote}:{self.quote}"
                spot = f"{base}/{self.quote}"
                funding = self.futures_api.fetch_funding_rate_history(perp, since=since_ms)
                frames[(perp, "funding_rate")] = ccxt_candles(
                    [[r["timestamp"], r["fundingRate"], 0, 0, 0, 0] for r in funding],
                    candle_type="funding_rate",
                )
                frames[(perp, "futures")] = ccxt_candles(
                    self.futures_api.fetch_ohlcv(perp, "1h", since=since_ms, limit=1000)
                )
                frames[(perp, "mark")] = ccxt_candles(
                    self.futures_api.fetch_ohlcv(
                        perp, "1h", since=since_ms, limit=1000, params={"price": "mark"}
                    )
                )
                frames[(spot, "spot")] = ccxt_candles(
                    self.spot_api.fetch_ohlcv(spot, "1h", since=since_ms, limit=1000)
                )
            perp = f"{self.open_interest_base}/{self.quote}:{self.quote}"
            history = self.futures_api.fetch_open_interest_history(perp, "1d", limit=30)
            dates = pd.to_datetime([h["timestamp"] for h in history], unit="ms", utc=True)
            frames["btc_open_interest_usd"] = pd.DataFrame(
                {
                    "date": dates.floor("1D"),
                    "available_at": dates.floor("1D") + DAY,
                    "value": [float(h["openInterestValue"]) for h in history],
                }
            )
        return frames
