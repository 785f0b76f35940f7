"""Exchange flows live: CryptoQuant's on-chain API into the store's three on-chain series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.feed import Frames
from meta_agent.feeds.providers.keyed import KeyedJsonProvider, complete_days
from meta_agent.security import redact


class OnChainMetric(NamedTuple):
    """One CryptoQuant endpoint (under ``/v1``), its query, the field it serves, our series."""

    path: str
    query: dict[str, str]
    field: str
    series: str


#: The three series ``exchange_flows`` reads, as CryptoQuant documents them (all exchanges,
#: all miners, daily windows; quantities in BTC).
CRYPTOQUANT_METRICS: tuple[OnChainMetric, ...] = (
    OnChainMetric(
        "btc/exchange-flows/reserve",
        {"exchange": "all_exchange"},
        "reserve",
        "btc_exchange_reserves",
    ),
    OnChainMetric(
        "btc/flow-indicator/exchange-inflow-cdd",
        {"exchange": "all_exchange"},
        "inflow_cdd",
        "btc_exchange_inflow_cdd",
    ),
    OnChainMetric(
        "btc/inter-entity-flows/miner-to-exchange",
        {"from_miner": "all_miner", "to_exchange": "all_exchange"},
        "flow_total",
        "btc_miner_to_exchange",
    ),
)


@dataclass
class CryptoQuantProvider(KeyedJsonProvider):
    """BTC exchange reserve, exchange-inflow CDD and miner-to-exchange flow from CryptoQuant.

    Implements CryptoQuant's REST API v1 as documented (https://cryptoquant.com/docs):
    ``GET {url}/btc/exchange-flows/reserve?exchange=all_exchange&window=day&limit=N`` (field
    ``reserve``), ``GET {url}/btc/flow-indicator/exchange-inflow-cdd?exchange=all_exchange&...``
    (field ``inflow_cdd``) and ``GET {url}/btc/inter-entity-flows/miner-to-exchange?
    from_miner=all_miner&to_exchange=all_exchange&...`` (field ``flow_total``), each answering
    ``{"status": {"code": 200, "message": "success"}, "result": {"window": "day", "data":
    [{"date": "YYYY-MM-DD", <field>: number | null}, ...]}}``, newest first. The key goes in
    ``Authorization: Bearer`` from ``$CRYPTOQUANT_API_KEY``; it never reaches a log line or an
    error. Rows become ``btc_exchange_reserves``, ``btc_exchange_inflow_cdd`` and
    ``btc_miner_to_exchange`` exactly as the importer stores them (``date``, ``available_at`` =
    end of the day, ``value``); today's partial value and null days are dropped. A 429 makes the
    feed wait its ``Retry-After``; 401/403 mark the provider down until the key works.
    """

    url: str = "https://api.cryptoquant.com/v1"
    token_env: str = "CRYPTOQUANT_API_KEY"
    name: str = "cryptoquant"
    days: int = 200

    def fetch(self) -> Frames:
        now = self.clock()
        frames: Frames = {}
        for metric in CRYPTOQUANT_METRICS:
            query: dict[str, str | int] = {**metric.query, "window": "day", "limit": self.days}
            answer = self.get(metric.path, query)
            frames[metric.series] = complete_days(self._rows(metric, answer), now)
        return frames

    def _rows(self, metric: OnChainMetric, answer: Any) -> pd.DataFrame:
        try:
            status = answer.get("status", {})
            if int(status.get("code", 200)) != 200:
                raise FeedUnavailableError(
                    f"{self.name}: {metric.path} answered status {status.get('code')} "
                    f"({status.get('message', '')})"
                )
            rows = answer["result"]["data"]
            values = [row[metric.field] for row in rows]
            return pd.DataFrame(
                {
                    "date": pd.to_datetime([row["date"] for row in rows], utc=True),
                    "value": pd.to_numeric(pd.Series(values, dtype="object"), errors="raise"),
                }
            ).astype({"value": "float64"})
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            reason = redact(f"{type(err).__name__}: {err}")  # an echoed key must not leak
            raise FeedUnavailableError(
                f"{self.name}: unexpected answer from {metric.path} ({reason})"
            ) from None
