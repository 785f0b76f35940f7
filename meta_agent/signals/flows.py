"""Exchange flows (on-chain): coins moving onto exchanges are supply about to be sold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals.context import SourceContext
from meta_agent.signals.external_base import ExternalSource
from meta_agent.signals.registry import register
from meta_agent.signals.scoring import squash, trailing_zscore


def _daily_values(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index("date")["value"].asfreq("1D")


class ExchangeFlowsSource(ExternalSource):
    """BTC exchange netflow, inflow coin-days-destroyed and miner-to-exchange transfers.

    Each is z-scored against its trailing ``window`` days. Netflow (day-over-day change of
    exchange reserves) leans both ways: inflows bearish, outflows bullish. CDD and miner
    transfers only count as spikes (z > 0), bearish. ``score`` is the mean of the components a
    day has; ``confidence`` the largest |z| / 3 times the share of components present. The
    series are market-wide (BTC), used for every pair.
    """

    name = "exchange_flows"
    version = 1

    def __init__(self, context: SourceContext, window: int = 90, max_age: str = "2D") -> None:
        super().__init__(context, max_age)
        self.window = window

    def rows(self) -> pd.DataFrame | None:
        feed = self.context.feed
        reserves = _daily_values(feed.series("btc_exchange_reserves"))
        cdd = _daily_values(feed.series("btc_exchange_inflow_cdd"))
        miners = _daily_values(feed.series("btc_miner_to_exchange"))
        frame = pd.concat({"reserves": reserves, "cdd": cdd, "miners": miners}, axis=1)
        netflow = frame["reserves"].diff()  # NaN across a missing day: no multi-day diff
        z = pd.DataFrame(
            {
                "netflow": trailing_zscore(netflow, self.window, self.window // 2),
                "cdd": trailing_zscore(np.log1p(frame["cdd"]), self.window, self.window // 2),
                "miners": trailing_zscore(np.log1p(frame["miners"]), self.window, self.window // 2),
            }
        )
        parts = pd.DataFrame(
            {
                "netflow": -squash(z["netflow"]),
                "cdd": -squash(z["cdd"].clip(lower=0)),
                "miners": -squash(z["miners"].clip(lower=0)),
            },
            index=z.index,
        )
        present = parts.notna().sum(axis=1)
        confidence = (z.abs().max(axis=1) / 3).clip(upper=1) * present / 3
        out = pd.DataFrame({"score": parts.mean(axis=1), "confidence": confidence})
        out = out[present > 0]
        out["available_at"] = out.index + pd.Timedelta("1D")
        return out.reset_index(drop=True)


register(
    ExchangeFlowsSource,
    family="exchange_flows",
    description="BTC exchange netflow, inflow CDD and miner-to-exchange spikes (90-day z)",
)
