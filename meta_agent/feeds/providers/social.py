"""Social sentiment live: LunarCrush's daily coin time series as ``btc_social_index`` rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.feed import Frames
from meta_agent.feeds.providers.keyed import KeyedJsonProvider, complete_days
from meta_agent.security import redact

#: LunarCrush fields kept, with their documented ranges (``sentiment``: % of posts positive).
LUNARCRUSH_FIELDS: dict[str, tuple[float, float]] = {
    "posts_created": (0.0, float("inf")),
    "posts_active": (0.0, float("inf")),
    "contributors_active": (0.0, float("inf")),
    "interactions": (0.0, float("inf")),
    "sentiment": (0.0, 100.0),
}


@dataclass
class LunarCrushProvider(KeyedJsonProvider):
    """BTC social activity and sentiment per day from LunarCrush (API v4).

    Implements the documented coin time series
    ``GET {url}/public/coins/{coin}/time-series/v2?bucket=day&interval=6m`` with the key in
    ``Authorization: Bearer`` (from ``$LUNARCRUSH_API_KEY``, never logged), answering
    ``{"config": {...}, "data": [{"time": unix seconds of the bucket's start, "posts_created",
    "posts_active", "contributors_active", "interactions", "sentiment" (0-100: share of posts
    that are positive, weighted by interactions), ...}]}``, oldest first; the last bucket is
    the day in progress and is dropped, as are buckets without values. It serves
    ``btc_social_index`` in LunarCrush's definition (``date``, ``available_at`` = end of the day,
    the fields above); ``social-v2`` says how that maps onto the historical Stocktwits/Reddit
    index.
    """

    url: str = "https://lunarcrush.com/api4"
    token_env: str = "LUNARCRUSH_API_KEY"
    name: str = "lunarcrush"
    coin: str = "BTC"
    interval: str = "6m"

    def fetch(self) -> Frames:
        path = f"public/coins/{self.coin}/time-series/v2"
        answer = self.get(path, {"bucket": "day", "interval": self.interval})
        return {"btc_social_index": complete_days(self._rows(answer), self.clock())}

    def _rows(self, answer: Any) -> pd.DataFrame:
        try:
            rows = answer["data"]
            frame = pd.DataFrame(
                {
                    "date": pd.to_datetime([int(row["time"]) for row in rows], unit="s", utc=True),
                    **{
                        name: pd.to_numeric(
                            pd.Series([row.get(name) for row in rows], dtype="object"),
                            errors="raise",
                        ).astype("float64")
                        for name in LUNARCRUSH_FIELDS
                    },
                }
            )
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            reason = redact(f"{type(err).__name__}: {err}")  # an echoed key must not leak
            raise FeedUnavailableError(f"{self.name}: unexpected answer ({reason})") from None
        frame["date"] = frame["date"].dt.floor("1D")
        for name, (low, high) in LUNARCRUSH_FIELDS.items():
            bad = frame[name].notna() & ~frame[name].between(low, high)
            if bad.any():
                row = int(bad.to_numpy().argmax())
                value = float(frame[name].iloc[row])
                raise FeedUnavailableError(
                    f"{self.name}: bucket {row}: `{name}` = {value!r}; expected a number in "
                    f"[{low:g}, {high:g}]"
                )
        return frame
