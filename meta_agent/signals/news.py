"""News: headline attention windows and headline sentiment scored with VADER."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from meta_agent.signals.context import SourceContext
from meta_agent.signals.external_base import ExternalSource
from meta_agent.signals.registry import register


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def headline_sentiment(titles: pd.Series) -> np.ndarray:
    """VADER compound score in [-1, 1] of each headline (an established lexicon, not ours)."""
    analyzer = _analyzer()
    return np.array([analyzer.polarity_scores(str(t))["compound"] for t in titles])


class NewsSource(ExternalSource):
    """Attention-weighted headline sentiment.

    Headlines are bucketed per hour and usable once their hour has ended. Over the trailing
    ``window`` hours: ``sentiment`` is the mean VADER score, ``attention`` the headline count
    relative to its trailing ``baseline`` average (1 = usual). ``score = sentiment *
    min(1, attention / 2)`` (loud news counts fully); ``confidence = 1 - exp(-count / 10)``
    (volume of evidence). No headline in the window: unavailable.
    """

    name = "news"
    version = 1

    def __init__(
        self,
        context: SourceContext,
        window: int = 24,
        baseline: int = 24 * 14,
        max_age: str = "1h",
    ) -> None:
        super().__init__(context, max_age)
        self.window = window
        self.baseline = baseline

    def rows(self) -> pd.DataFrame | None:
        news = self.context.feed.series("cryptonews")
        hour = news["available_at"].dt.floor("1h")
        per_hour = (
            pd.DataFrame({"hour": hour, "sentiment": headline_sentiment(news["title"])})
            .groupby("hour")["sentiment"]
            .agg(["count", "sum"])
        )
        hours = pd.date_range(per_hour.index[0], per_hour.index[-1], freq="1h")
        per_hour = per_hour.reindex(hours, fill_value=0)
        count = per_hour["count"].rolling(self.window).sum()
        sentiment = per_hour["sum"].rolling(self.window).sum() / count.where(count > 0)
        usual = count.rolling(self.baseline, min_periods=self.baseline // 2).mean()
        attention = count / usual.where(usual > 0)
        out = pd.DataFrame(
            {
                "available_at": hours + pd.Timedelta("1h"),
                "score": sentiment * (attention / 2).clip(upper=1),
                "confidence": 1 - np.exp(-count / 10),
            }
        )
        return out.dropna().reset_index(drop=True)


register(
    NewsSource,
    family="news",
    description="VADER headline sentiment over 24h, weighted by attention vs a 14-day baseline",
)
