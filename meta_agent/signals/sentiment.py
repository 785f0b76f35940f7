"""Sentiment sources: Crypto Fear & Greed (contrarian) and the daily social index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals.context import SourceContext
from meta_agent.signals.external_base import ExternalSource
from meta_agent.signals.registry import register
from meta_agent.signals.scoring import squash, trailing_zscore


class FearGreedSource(ExternalSource):
    """Contrarian at extremes of the Crypto Fear & Greed index (alternative.me, daily).

    ``x = (value - 50) / 50``; inside the ``neutral`` band around 50 the source has no view
    (score 0); beyond it ``score = -sign(x) * (|x| - neutral) / (1 - neutral)``: extreme fear is
    bullish, extreme greed bearish. ``confidence = |x|``.
    """

    name = "fear_greed"
    version = 1

    def __init__(self, context: SourceContext, neutral: float = 0.3, max_age: str = "2D") -> None:
        super().__init__(context, max_age)
        self.neutral = neutral

    def rows(self) -> pd.DataFrame | None:
        index = self.context.feed.series("fear_and_greed")
        x = (index["value"] - 50) / 50
        beyond = (x.abs() - self.neutral).clip(lower=0) / (1 - self.neutral)
        return pd.DataFrame(
            {
                "available_at": index["available_at"],
                "score": -np.sign(x) * beyond,
                "confidence": x.abs(),
            }
        )


class SocialSource(ExternalSource):
    """Social activity spikes and their sentiment (Stocktwits / Reddit daily index).

    ``activity`` = z of log(posts + comments + stocktwits volume) over ``window`` days;
    ``mood`` = z of the mean of the three sentiment series. ``score = tanh(mood / 2)``, weighted
    up to 1 when activity spikes (weight ``0.5 + tanh(max(activity, 0) / 2) / 2``);
    ``confidence = min(1, (|mood| + max(activity, 0)) / 4)``.
    """

    name = "social"
    version = 1

    def __init__(self, context: SourceContext, window: int = 90, max_age: str = "2D") -> None:
        super().__init__(context, max_age)
        self.window = window

    def rows(self) -> pd.DataFrame | None:
        social = self.context.feed.series("btc_social_index").set_index("date").asfreq("1D")
        volume = social[["posts_volume", "comments_volume", "stocktwits_volume"]].sum(
            axis=1, min_count=3
        )
        mood_raw = social[["stocktwits_sent", "reddit_posts_sent", "reddit_comments_sent"]].mean(
            axis=1, skipna=False
        )
        activity = trailing_zscore(np.log1p(volume), self.window, self.window // 2)
        mood = trailing_zscore(mood_raw, self.window, self.window // 2)
        spike = activity.clip(lower=0)
        out = pd.DataFrame(
            {
                "score": squash(mood) * (0.5 + squash(spike) / 2),
                "confidence": ((mood.abs() + spike) / 4).clip(upper=1),
            },
            index=social.index,
        ).dropna()
        out["available_at"] = out.index + pd.Timedelta("1D")
        return out.reset_index(drop=True)


register(
    FearGreedSource,
    family="sentiment",
    description="contrarian Crypto Fear & Greed beyond a neutral band",
)
register(
    SocialSource,
    family="sentiment",
    description="social sentiment z, weighted up by activity spikes (daily social index)",
)
