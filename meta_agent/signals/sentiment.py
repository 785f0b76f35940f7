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


#: The historical index's columns (Stocktwits / Reddit, ends 2021-05).
INDEX_VOLUMES = ("posts_volume", "comments_volume", "stocktwits_volume")
INDEX_SENTIMENTS = ("stocktwits_sent", "reddit_posts_sent", "reddit_comments_sent")
#: LunarCrush's columns, served live by
#: :class:`~meta_agent.feeds.providers.social.LunarCrushProvider`.
LIVE_VOLUME, LIVE_SENTIMENT = "posts_created", "sentiment"


def social_inputs(social: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(activity, raw mood) per day of a ``btc_social_index`` frame in either definition.

    Historical index: activity = posts + comments + Stocktwits messages, mood = the mean of
    the three lexicon sentiments. LunarCrush: activity = ``posts_created``, mood =
    ``sentiment`` (share of positive posts, 0-100). Raises KeyError naming the columns of
    neither definition.
    """
    if all(column in social.columns for column in (*INDEX_VOLUMES, *INDEX_SENTIMENTS)):
        volume = social[list(INDEX_VOLUMES)].sum(axis=1, min_count=3)
        mood = social[list(INDEX_SENTIMENTS)].mean(axis=1, skipna=False)
        return volume, mood
    if LIVE_VOLUME in social.columns and LIVE_SENTIMENT in social.columns:
        return social[LIVE_VOLUME], social[LIVE_SENTIMENT]
    raise KeyError(
        f"btc_social_index has columns {sorted(social.columns)}; expected the historical "
        f"index's {[*INDEX_VOLUMES, *INDEX_SENTIMENTS]} or LunarCrush's "
        f"{[LIVE_VOLUME, LIVE_SENTIMENT]}"
    )


class SocialSource(ExternalSource):
    """Social activity spikes and their sentiment (daily ``btc_social_index``).

    ``activity`` = z of log(daily post count) over ``window`` days; ``mood`` = z of the daily
    sentiment level. ``score = tanh(mood / 2)``, weighted up to 1 when activity spikes (weight
    ``0.5 + tanh(max(activity, 0) / 2) / 2``); ``confidence = min(1, (|mood| +
    max(activity, 0)) / 4)``.

    Two definitions of the series map onto these inputs (:func:`social_inputs`):

    - **historical** (imported Stocktwits / Reddit index, 2014-11 to 2021-05): post count =
      Reddit posts + Reddit comments + Stocktwits messages; sentiment = the mean of their three
      lexicon scores (about -1 to 1);
    - **live** (LunarCrush v4, BTC): post count = ``posts_created`` (new posts on all networks
      LunarCrush tracks); sentiment = ``sentiment`` (share of positive posts, 0-100,
      interaction-weighted).

    Both inputs are z-scored against their own trailing window, so their units do not matter,
    but the two definitions count different networks: a z is only computed within one
    definition (live rows are never laid over the historical index). v2 (this mapping) decides
    exactly as v1 on the historical index.
    """

    name = "social"
    version = 2

    def __init__(self, context: SourceContext, window: int = 90, max_age: str = "2D") -> None:
        super().__init__(context, max_age)
        self.window = window

    def rows(self) -> pd.DataFrame | None:
        social = self.context.feed.series("btc_social_index").set_index("date").asfreq("1D")
        volume, mood_raw = social_inputs(social)
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
    description="social sentiment z, weighted up by activity spikes (daily index or LunarCrush)",
)
