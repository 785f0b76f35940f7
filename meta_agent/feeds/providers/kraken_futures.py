"""Derivatives from the venue the bot trades on: Kraken Futures through ccxt ``krakenfutures``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from meta_agent.feeds.providers.candles import ccxt_answers, ccxt_candles
from meta_agent.feeds.providers.feed import Frames
from meta_agent.feeds.providers.keyed import DAY, Clock, utc_now


@dataclass
class KrakenFuturesDerivativesProvider:
    """Funding rates, perpetual / mark / index candles and open interest of Kraken Futures'
    perpetuals (``BTC/USD:USD`` = ``PF_XBTUSD`` ...), the venue of ``config.futures.json``.

    Through ccxt's public ``krakenfutures`` methods (``api`` is the exchange instance; tests
    point its ``urls`` at a local server): ``fetch_funding_rate_history`` (Kraken's
    ``/derivatives/api/v4/historicalfundingrates``: the hourly ``relativeFundingRate``, a
    fraction per settlement), ``fetch_ohlcv`` with ``price`` ``trade`` / ``mark`` / ``index``
    (``/api/charts/v1/{trade,mark,spot}/{symbol}/1h``) and ``fetch_ticker``
    (``/derivatives/api/v3/tickers/{symbol}``: ``openInterest``, ``markPrice``, ``indexPrice``).

    Keys as the sources read them (``reference_quote`` ``USD``): ``(perp, "funding_rate")``
    with the rate in ``open``, ``(perp, "futures")``, ``(perp, "mark")`` and ``("BTC/USD",
    "spot")``: the index candles, the spot reference of the basis (perp / index - 1). Funding
    settles hourly on Kraken (8-hourly on Binance): ``funding-v1``'s window of 90 settlements
    spans 90 hours here. ccxt 4.5 has no ``fetch_open_interest`` for Kraken Futures, so open
    interest comes from the ticker: ``openInterest`` (BTC for a linear ``PF_`` contract) times
    the mark price, in USD. Kraken serves no history of it; the provider keeps the last
    snapshot of each UTC day and serves ``btc_open_interest_usd`` rows for the days that have
    ended (Kraken's open interest, not the all-exchange series of the imported history).
    """

    api: Any
    bases: tuple[str, ...] = ("BTC", "ETH")
    quote: str = "USD"
    history_days: int = 40
    ttl: float = 300.0
    name: str = "krakenfutures_derivatives"
    open_interest_base: str = "BTC"
    clock: Clock = field(default=utc_now, repr=False)
    _open_interest: dict[pd.Timestamp, float] = field(default_factory=dict, repr=False)

    def fetch(self) -> Frames:
        now = self.clock()
        since_ms = int((now - pd.Timedelta(days=self.history_days)).timestamp()) * 1000
        frames: Frames = {}
        with ccxt_answers(self.name):
            for base in self.bases:
                perp = f"{base}/{self.quote}:{self.quote}"
                if perp not in self.api.load_markets():
                    continue  # no Kraken perpetual for this base: its sources are unavailable
                funding = self.api.fetch_funding_rate_history(perp, since=since_ms)
                frames[(perp, "funding_rate")] = ccxt_candles(
                    [[r["timestamp"], r["fundingRate"], 0, 0, 0, 0] for r in funding],
                    candle_type="funding_rate",
                )
                for price, key in (("trade", (perp, "futures")), ("mark", (perp, "mark"))):
                    frames[key] = self._closed(self._ohlcv(perp, since_ms, price), now)
                index = self._ohlcv(perp, since_ms, "index")
                frames[(f"{base}/{self.quote}", "spot")] = self._closed(index, now)
            ticker = self.api.fetch_ticker(f"{self.open_interest_base}/{self.quote}:{self.quote}")
            self._record_open_interest(ticker, now)
        ended = sorted(day for day in self._open_interest if day + DAY <= now)
        if ended:
            frames["btc_open_interest_usd"] = pd.DataFrame(
                {
                    "date": pd.DatetimeIndex(ended),
                    "available_at": pd.DatetimeIndex(ended) + DAY,
                    "value": [self._open_interest[day] for day in ended],
                }
            )
        return frames

    def _ohlcv(self, perp: str, since_ms: int, price: str) -> pd.DataFrame:
        params = {} if price == "trade" else {"price": price}
        return ccxt_candles(self.api.fetch_ohlcv(perp, "1h", since=since_ms, params=params))

    @staticmethod
    def _closed(candles: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
        """Candles that have closed (the chart API also serves the running hour)."""
        return candles[candles["available_at"] <= now].reset_index(drop=True)

    def _record_open_interest(self, ticker: dict[str, Any], now: pd.Timestamp) -> None:
        info = ticker["info"]
        contracts, mark = float(info["openInterest"]), float(ticker["markPrice"])
        market = self.api.market(ticker["symbol"])
        size = float(market.get("contractSize") or 1.0)
        usd = contracts * size * (mark if market.get("linear") else 1.0)
        self._open_interest[now.floor("1D")] = usd
