"""Answers in the documented JSON formats of CryptoQuant, LunarCrush and Kraken Futures,
rendered from frames in the store's layout, and served by :class:`FakeApi` routes."""

from __future__ import annotations

import json
import math

import ccxt
import numpy as np
import pandas as pd

from meta_agent.feeds.providers.onchain import CRYPTOQUANT_METRICS
from meta_agent.feeds.providers.social import LUNARCRUSH_FIELDS
from meta_agent.feeds.runtime import _point_at
from meta_agent.offline import load_snapshot
from tests.feeds.providers.server import FakeApi, Route

CRYPTOQUANT_ROOT = "/v1"
LUNARCRUSH_ROOT = "/api4"


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def cryptoquant_body(frame: pd.DataFrame, field: str) -> str:
    """``{"status", "result": {"window": "day", "data": [{"date", field}]}}``, newest first."""
    rows = [
        {"date": f"{date:%Y-%m-%d}", field: _number(value)}
        for date, value in zip(frame["date"], frame["value"], strict=True)
    ]
    return json.dumps(
        {
            "status": {"code": 200, "message": "success"},
            "result": {"window": "day", "data": rows[::-1]},
        }
    )


def serve_cryptoquant(api: FakeApi, series: dict[str, pd.DataFrame]) -> None:
    """Routes for the three on-chain endpoints, each serving its series of ``series``."""
    for metric in CRYPTOQUANT_METRICS:
        api.routes[f"{CRYPTOQUANT_ROOT}/{metric.path}"] = Route(
            cryptoquant_body(series[metric.series], metric.field)
        )


def lunarcrush_body(frame: pd.DataFrame) -> str:
    """``{"config", "data": [{"time": unix seconds, <fields>}]}``, oldest first."""
    rows = [
        {"time": int(row.date.timestamp())}
        | {name: _number(getattr(row, name)) for name in LUNARCRUSH_FIELDS}
        for row in frame.itertuples()
    ]
    return json.dumps({"config": {"coin": "1", "bucket": "day"}, "data": rows})


def serve_lunarcrush(api: FakeApi, frame: pd.DataFrame, coin: str = "BTC") -> str:
    path = f"{LUNARCRUSH_ROOT}/public/coins/{coin}/time-series/v2"
    api.routes[path] = Route(lunarcrush_body(frame))
    return path


def kraken_candles_body(frame: pd.DataFrame) -> str:
    """Kraken Futures charts: ``{"candles": [{"time" (ms), "open", ...}], "more_candles"}``."""
    candles = [
        {
            "time": int(row.date.timestamp() * 1000),
            **{name: str(getattr(row, name)) for name in ("open", "high", "low", "close")},
            "volume": row.volume,
        }
        for row in frame.itertuples()
    ]
    return json.dumps({"candles": candles, "more_candles": False})


def kraken_funding_body(frame: pd.DataFrame) -> str:
    """``/derivatives/api/v4/historicalfundingrates``: ``{"rates": [{"timestamp" (ISO 8601),
    "fundingRate" (absolute), "relativeFundingRate"}]}``; the rate is in ``open``."""
    rates = [
        {
            "timestamp": f"{row.date:%Y-%m-%dT%H:%M:%S.000Z}",
            "fundingRate": str(row.open * 30000),
            "relativeFundingRate": str(row.open),
        }
        for row in frame.itertuples()
    ]
    return json.dumps({"rates": rates})


def kraken_ticker_body(symbol: str, open_interest: float, mark: float, index: float) -> str:
    """``/derivatives/api/v3/tickers/{symbol}``: one perpetual's ticker."""
    return json.dumps(
        {
            "result": "success",
            "ticker": {
                "tag": "perpetual",
                "pair": "XBT:USD",
                "symbol": symbol,
                "markPrice": mark,
                "bid": mark - 1,
                "ask": mark + 1,
                "vol24h": 1000.0,
                "openInterest": open_interest,
                "open24h": mark,
                "indexPrice": index,
                "last": mark,
                "lastTime": "2026-11-20T00:00:00.000Z",
                "suspended": False,
            },
            "serverTime": "2026-11-20T00:00:00.000Z",
        }
    )


def kraken_rows(end: pd.Timestamp, hours: int, seed: int) -> pd.DataFrame:
    dates = pd.date_range(end=end - pd.Timedelta("1h"), periods=hours, freq="1h")
    rng = np.random.default_rng(seed)
    close = 37000 * np.exp(np.cumsum(rng.normal(0, 0.003, hours)))
    return pd.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close * 1.002,
            "low": close * 0.998,
            "close": close,
            "volume": 0.0,
        }
    )


def serve_kraken(api: FakeApi, end: pd.Timestamp, hours: int) -> dict[str, pd.DataFrame]:
    """Kraken Futures' public JSON for PF_XBTUSD; returns the frames served, by candle type."""
    trade, mark, index = (kraken_rows(end, hours, seed) for seed in (1, 2, 3))
    trade["volume"] = 12.5
    rng = np.random.default_rng(4)
    funding = trade[["date"]].assign(open=rng.normal(1e-5, 2e-5, hours), high=0.0, low=0.0)
    funding = funding.assign(close=0.0, volume=0.0)
    for price, frame in (("trade", trade), ("mark", mark), ("spot", index)):
        api.routes[f"/api/charts/v1/{price}/PF_XBTUSD/1h"] = Route(kraken_candles_body(frame))
    api.routes["/derivatives/api/v4/historicalfundingrates"] = Route(kraken_funding_body(funding))
    api.routes["/derivatives/api/v3/tickers/PF_XBTUSD"] = Route(
        kraken_ticker_body("PF_XBTUSD", 2500.0, 37000.0, 36990.0)
    )
    return {"futures": trade, "mark": mark, "spot": index, "funding_rate": funding}


def kraken_api(api: FakeApi) -> ccxt.krakenfutures:
    client = ccxt.krakenfutures({"enableRateLimit": False})  # a local server has no limit
    _point_at(client, api.url)
    client.set_markets(list(load_snapshot("krakenfutures").markets.values()))
    return client
