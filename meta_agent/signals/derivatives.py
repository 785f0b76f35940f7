"""Derivatives sources: funding extremes, open-interest build-ups and flushes, perp basis.

Funding and basis read Freqtrade's own candles (``funding_rate``, ``futures``, spot) of a
reference market, by default the Binance USDT perpetual of the traded pair's base currency,
so a Kraken spot bot can listen to the venue where leverage lives; live, Kraken Futures' USD
perpetual can replace it (``meta_rl.live_feeds.derivatives_venue``: its index candles are the
spot side of the basis). A pair whose reference market has no data is unavailable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals.context import SourceContext
from meta_agent.signals.external_base import ExternalSource
from meta_agent.signals.registry import register
from meta_agent.signals.scoring import (
    contrarian_rows,
    signal_frame,
    squash,
    trailing_zscore,
)


def reference_perp(context: SourceContext) -> str:
    """The reference venue's perpetual of the pair's base (``BTC/USDT:USDT``, ``BTC/USD:USD``)."""
    quote = context.reference_quote
    return f"{context.base_currency}/{quote}:{quote}"


class FundingSource(ExternalSource):
    """Contrarian at funding extremes: crowded longs pay (bearish), crowded shorts get paid.

    ``score = -tanh(z / 2)`` with ``z`` the funding rate's z-score over the trailing
    ``window`` settlements (90 = 30 days of 8h funding); ``confidence = |z| / 3``.
    """

    name = "funding"
    version = 1

    def __init__(self, context: SourceContext, window: int = 90, max_age: str = "17h") -> None:
        super().__init__(context, max_age)
        self.window = window

    def rows(self) -> pd.DataFrame | None:
        funding = self.context.feed.reference_candles(reference_perp(self.context), "funding_rate")
        if funding is None:
            return None
        z = trailing_zscore(funding["open"].astype("float64"), self.window)
        return contrarian_rows(funding["available_at"], z)


class BasisSource(ExternalSource):
    """Contrarian on the perpetual's premium over spot (reference venue, hourly closes).

    ``basis = perp_close / spot_close - 1``, z-scored over the trailing ``window`` hours;
    a rich perp (crowded longs) is bearish: ``score = -tanh(z / 2)``, ``confidence = |z| / 3``.
    """

    name = "basis"
    version = 1

    def __init__(self, context: SourceContext, window: int = 720, max_age: str = "2h") -> None:
        super().__init__(context, max_age)
        self.window = window

    def rows(self) -> pd.DataFrame | None:
        feed = self.context.feed
        perp = feed.reference_candles(reference_perp(self.context), "futures")
        spot = feed.reference_candles(
            f"{self.context.base_currency}/{self.context.reference_quote}", "spot"
        )
        if perp is None or spot is None:
            return None
        joined = perp[["date", "available_at", "close"]].merge(
            spot[["date", "close"]], on="date", suffixes=("_perp", "_spot")
        )
        basis = joined["close_perp"] / joined["close_spot"] - 1
        return contrarian_rows(joined["available_at"], trailing_zscore(basis, self.window))


class OpenInterestSource(ExternalSource):
    """Open-interest build-ups with price direction, and flushes (all-exchange BTC, daily).

    ``z`` is the day's OI change (log) against the trailing ``window`` days. A build-up
    (``z > 0``) backs the direction of the candle's 24h price move: ``score = sign * tanh(z/2)``;
    a flush (``z < -1``) leans against it at half strength (forced sellers done). ``confidence
    = |z| / 3``. Market-wide (BTC), used for every pair.
    """

    name = "open_interest"
    version = 1

    def __init__(
        self, context: SourceContext, window: int = 90, lookback: int = 24, max_age: str = "2D"
    ) -> None:
        super().__init__(context, max_age)
        self.window = window
        self.lookback = lookback

    @property
    def startup_candles(self) -> int:
        return self.lookback

    def rows(self) -> pd.DataFrame | None:
        oi = self.context.feed.series("btc_open_interest_usd").set_index("date")["value"]
        change = np.log(oi.asfreq("1D")).diff()
        z = trailing_zscore(change, self.window, self.window // 2).dropna()
        # "score" carries tanh(z / 2) here; compute() gives it the price direction.
        return pd.DataFrame(
            {
                "available_at": z.index + pd.Timedelta("1D"),
                "score": squash(z),
                "confidence": (z.abs() / 3).clip(upper=1).to_numpy(),
            }
        )

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        frame = super().compute(candles)
        move = np.sign(candles["close"] / candles["close"].shift(self.lookback) - 1)
        pressure = frame["score"]
        flush = pressure < -np.tanh(0.5)  # z < -1
        score = np.where(
            pressure > 0, move * pressure, np.where(flush, -0.5 * move * pressure.abs(), 0.0)
        )
        known = frame["available"] & move.notna()
        return signal_frame(candles.index, score, frame["confidence"], known)


register(
    FundingSource,
    family="derivatives",
    description="contrarian funding-rate z-score of the reference perpetual (30 days)",
)
register(
    OpenInterestSource,
    family="derivatives",
    description="daily all-exchange OI build-up with 24h price direction, flush reversal",
)
register(
    BasisSource,
    family="derivatives",
    description="contrarian perp-spot basis z-score of the reference venue (30 days)",
)
