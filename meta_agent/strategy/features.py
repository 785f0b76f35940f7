"""What MetaRL feeds FreqAI: every enabled source's signal frame plus market context.

FreqAI treats columns containing ``%`` as features. ``%-raw_*`` are the prices its RL training
reads and then drops from the features (``drop_ohlc_from_features``). Per-timeframe context
(:func:`timeframe_context`) goes through FreqAI's ``include_timeframes`` so informative 4h and
1d candles are merged without lookahead by Freqtrade's own ``merge_informative_pair``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from freqtrade.exchange import timeframe_to_minutes

from meta_agent.columns import FEATURE_PREFIX
from meta_agent.signals import SignalSource, SourceContext, make
from meta_agent.signals.trend import ema_trend
from meta_agent.signals.trend_regime import trend_regime

VOLATILITY_WINDOW = 24  # candles of the timeframe
TREND_FAST, TREND_SLOW, ATR_PERIOD = 5, 20, 14
#: Candles of each timeframe before its context features are defined. Kraken serves at most
#: 720 candles and Freqtrade refuses a larger startup even in backtests: 28 daily candles are
#: 672 hourly ones.
CONTEXT_WARMUP = 28


def with_utc_dates(candles: pd.DataFrame) -> pd.DataFrame:
    """``candles`` with ``date`` as UTC datetimes. A live FreqAI bot's retraining data is its
    stored history with the exchange's newer candles appended; where their date types differ,
    the combined ``date`` column holds plain objects."""
    if isinstance(candles["date"].dtype, pd.DatetimeTZDtype):
        return candles
    return candles.assign(date=pd.to_datetime(candles["date"], utc=True))


def build_sources(
    source_ids: list[str],
    context: SourceContext,
    params: dict[str, dict[str, Any]] | None = None,
) -> list[SignalSource]:
    """The sources ``source_ids``, each built with its configured ``params``, for one pair."""
    params = params or {}
    return [
        make(source_id, context=context, **params.get(source_id, {})) for source_id in source_ids
    ]


def source_features(
    candles: pd.DataFrame, sources: Sequence[SignalSource], prefix: str = FEATURE_PREFIX
) -> pd.DataFrame:
    """``%-<id>__score``, ``__confidence`` and ``__available`` (0/1) of each built source. With
    ``prefix="%%-"`` FreqAI also hands them back to the strategy (FreqUI,
    ``/api/v1/pair_candles``, plot-dataframe)."""
    candles = with_utc_dates(candles)
    frames = [source.signal(candles).astype("float64") for source in sources]
    return pd.concat(frames, axis=1).add_prefix(prefix)


def signal_features(
    candles: pd.DataFrame,
    source_ids: list[str],
    context: SourceContext,
    params: dict[str, dict[str, Any]] | None = None,
    prefix: str = FEATURE_PREFIX,
) -> pd.DataFrame:
    """:func:`source_features` of the sources ``source_ids``, built here for one use."""
    return source_features(candles, build_sources(source_ids, context, params), prefix)


def time_features(candles: pd.DataFrame) -> pd.DataFrame:
    """Hour of day and day of week on the unit circle (the candle's open time, UTC)."""
    date = with_utc_dates(candles)["date"].dt
    hour = 2 * np.pi * date.hour / 24
    weekday = 2 * np.pi * date.day_of_week / 7
    return pd.DataFrame(
        {
            "%-hour_sin": np.sin(hour),
            "%-hour_cos": np.cos(hour),
            "%-weekday_sin": np.sin(weekday),
            "%-weekday_cos": np.cos(weekday),
        },
        index=candles.index,
    )


def raw_prices(candles: pd.DataFrame) -> pd.DataFrame:
    """The ``%-raw_*`` columns FreqAI's RL training takes its prices from."""
    return candles[["open", "high", "low", "close"]].add_prefix("%-raw_")


def timeframe_context(candles: pd.DataFrame) -> pd.DataFrame:
    """Trend (EMA 5/20 gap in ATRs, squashed to [-1, 1]) and realised volatility (std of log
    returns over 24 candles) of one timeframe's candles."""
    trend, _, _ = ema_trend(candles, TREND_FAST, TREND_SLOW, ATR_PERIOD, scale=2.0)
    log_returns = np.log(candles["close"]).diff()
    volatility = log_returns.rolling(VOLATILITY_WINDOW, min_periods=VOLATILITY_WINDOW).std()
    return pd.DataFrame(
        {"%-trend": trend, "%-volatility": volatility.to_numpy()}, index=candles.index
    )


def regime_features(daily: pd.DataFrame, long_only: bool, **params: Any) -> pd.DataFrame:
    """``%-trend_regime``: the daily trend regime (:mod:`meta_agent.signals.trend_regime`) of daily
    candles, the base MetaRL's agent adjusts (``meta_rl.base``) and a feature it observes.
    Defined from the first daily candle (no NaN warm-up): the volatility scaling, if any, is
    the only part that waits for its window."""
    close = pd.Series(daily["close"].to_numpy(dtype="float64"), index=daily.index)
    regime = trend_regime(close, long_only=long_only, warmup_nan=False, **params)
    return pd.DataFrame({"%-trend_regime": regime.to_numpy()}, index=daily.index)


def startup_candles(
    sources: Sequence[SignalSource], timeframe: str, context_timeframes: list[str]
) -> int:
    """Base-timeframe candles every source and every context timeframe need to settle."""
    base = timeframe_to_minutes(timeframe)
    warmups = [
        CONTEXT_WARMUP * timeframe_to_minutes(tf) // base for tf in [timeframe, *context_timeframes]
    ]
    return max(warmups + [source.startup_candles for source in sources])
