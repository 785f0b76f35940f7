"""Answers in the documented JSON formats of CryptoQuant, LunarCrush and Kraken Futures,
rendered from frames in the store's layout, and served by :class:`FakeApi` routes."""

from __future__ import annotations

import json
import math

import pandas as pd

from meta_agent.providers.onchain import CRYPTOQUANT_METRICS
from meta_agent.providers.social import LUNARCRUSH_FIELDS
from tests.providers.server import FakeApi, Route

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
