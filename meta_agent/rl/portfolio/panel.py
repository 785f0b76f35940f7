"""The daily panel a pooled agent learns from: every coin of the universe on one calendar.

One row per UTC day and one column per coin: the close, the book's weight
(:mod:`meta_agent.signals.trend_book`) and the observation features of that coin-day. A value of
day D uses only candles that closed by the end of D (the daily candle of D, or the hourly
candles up to D 23:00), so the decision taken at D's close may use it. A coin enters on the
first day its book weight exists; before, its cells are NaN and it is not traded.

Features are volatility-normalised so that coins weigh alike in one pooled agent:

- **the coin's book state**: the breakout share, the volatility scale, the log of its realised
  volatility, and its 1-, 7- and 30-day returns in units of its own daily volatility;
- **cross-asset context** (``context``): BTC's breakout share, breadth (the share of listed
  coins whose breakout share is above one half), the coin's 30-day return relative to BTC's and
  its rank among the listed coins, the universe's mean realised volatility;
- **sources on the decision clock** (``sources``): each signal source's mean score (0 where
  unavailable) and mean confidence over the day's 24 hourly candles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from meta_agent.data.importer import pair_filename
from meta_agent.signals.trend_book import (
    DAYS_PER_YEAR,
    TrendBookConfig,
    book_weight,
    breakout_signal,
    volatility_scale,
)

RETURN_HORIZONS = (1, 7, 30)
#: Feature groups of :func:`build_panel`, for ablations.
BOOK_FEATURES = ("book_share", "vol_scale", "log_vol", "ret_1", "ret_7", "ret_30")
CONTEXT_FEATURES = ("btc_share", "breadth", "rel_btc_30", "rank_30", "universe_log_vol")


@dataclass
class Panel:
    """Days x coins arrays (NaN where a coin has no value) and features days x coins x F."""

    dates: pd.DatetimeIndex
    coins: list[str]
    close: np.ndarray
    weight: np.ndarray
    features: np.ndarray
    names: list[str] = field(default_factory=list)

    def rows(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Indices of the days in [start, end)."""
        return np.flatnonzero((self.dates >= start) & (self.dates < end))

    def select(self, names: tuple[str, ...] | list[str]) -> Panel:
        """The same panel with only the features whose name starts with one of ``names``."""
        keep = [i for i, name in enumerate(self.names) if name.startswith(tuple(names))]
        return Panel(
            self.dates,
            self.coins,
            self.close,
            self.weight,
            self.features[:, :, keep],
            [self.names[i] for i in keep],
        )


def daily_candles(datadir: Path, pair: str) -> pd.DataFrame:
    """The pair's complete UTC daily candles as the importer wrote them (``<pair>-1d``)."""
    path = Path(datadir) / pair_filename(pair, "1d")
    if not path.is_file():
        raise FileNotFoundError(
            f"No daily candles for {pair}: {path} is missing. Run `python -m meta_agent data "
            "import` (it writes 1d resamples of every 1h file)."
        )
    return pd.read_feather(path).set_index("date")


def coin_features(daily: pd.DataFrame, settings: TrendBookConfig) -> pd.DataFrame:
    """The coin's own book-state features per daily candle (NaN during warm-up)."""
    close = daily["close"].astype("float64")
    log_returns = np.log(close).diff()
    daily_vol = log_returns.rolling(settings.vol_window).std()
    frame = pd.DataFrame(index=daily.index)
    frame["book_share"] = breakout_signal(
        daily.reset_index(), settings.lookbacks, settings.min_lookbacks
    ).to_numpy()
    frame["vol_scale"] = volatility_scale(close, settings.vol_target or 0.25, settings.vol_window)
    frame["log_vol"] = np.log(daily_vol * np.sqrt(DAYS_PER_YEAR))
    for horizon in RETURN_HORIZONS:
        frame[f"ret_{horizon}"] = log_returns.rolling(horizon).sum() / (
            daily_vol * np.sqrt(horizon)
        )
    return frame


def context_features(per_coin: dict[str, pd.DataFrame], btc: str) -> dict[str, pd.DataFrame]:
    """Cross-asset context per coin from the coins listed on each day (no lookahead: every
    input is a same-day value of a listed coin)."""
    share = pd.DataFrame({coin: frame["book_share"] for coin, frame in per_coin.items()})
    ret30 = pd.DataFrame({coin: frame["ret_30"] for coin, frame in per_coin.items()})
    log_vol = pd.DataFrame({coin: frame["log_vol"] for coin, frame in per_coin.items()})
    breadth = (share > 0.5).where(share.notna()).mean(axis=1)
    rank = ret30.rank(axis=1, pct=True)
    universe_vol = log_vol.mean(axis=1)
    out = {}
    for coin in per_coin:
        out[coin] = pd.DataFrame(
            {
                "btc_share": share[btc],
                "breadth": breadth,
                "rel_btc_30": ret30[coin] - ret30[btc],
                "rank_30": rank[coin],
                "universe_log_vol": universe_vol,
            }
        )
    return out


def clock_sources(hourly_signals: pd.DataFrame, dates: pd.Series) -> pd.DataFrame:
    """Each source's mean score (0 where unavailable) and mean confidence over every UTC day's
    hourly candles, indexed by day: the day's summary is known at its last candle's close."""
    frame = hourly_signals.copy()
    frame.index = pd.DatetimeIndex(dates).floor("D")
    columns = {}
    for score in [c for c in frame.columns if c.endswith("__score")]:
        stem = score.removesuffix("__score")
        available = frame[f"{stem}__available"]
        columns[f"src_{stem.lstrip('%-')}_score"] = frame[score] * available
        columns[f"src_{stem.lstrip('%-')}_conf"] = frame[f"{stem}__confidence"] * available
    return pd.DataFrame(columns).groupby(level=0).mean()


def build_panel(
    datadir: Path,
    pairs: list[str],
    settings: TrendBookConfig | None = None,
    context: bool = True,
    source_signals: dict[str, Any] | None = None,
) -> Panel:
    """The panel of ``pairs`` from the daily candles in ``datadir``.

    Args:
        source_signals: Per pair, ``(hourly signal frame, hourly dates)`` (e.g. from
            :func:`meta_agent.strategy.features.signal_features`), summarised on the clock;
            None: no source features.
    """
    settings = settings or TrendBookConfig()
    daily = {pair: daily_candles(datadir, pair) for pair in pairs}
    dates = pd.DatetimeIndex(sorted(set().union(*(frame.index for frame in daily.values()))))
    per_coin = {pair: coin_features(frame, settings) for pair, frame in daily.items()}
    extras: dict[str, list[pd.DataFrame]] = {pair: [] for pair in pairs}
    if context:
        btc = next((pair for pair in pairs if pair.startswith("BTC/")), pairs[0])
        aligned = {pair: frame.reindex(dates) for pair, frame in per_coin.items()}
        for pair, frame in context_features(aligned, btc).items():
            extras[pair].append(frame)
    if source_signals:
        for pair, (signals, hours) in source_signals.items():
            extras[pair].append(clock_sources(signals, hours).reindex(dates).fillna(0.0))
    frames = {
        pair: pd.concat([per_coin[pair].reindex(dates), *extras[pair]], axis=1) for pair in pairs
    }
    names = list(frames[pairs[0]].columns)
    close = np.column_stack([daily[p]["close"].reindex(dates).to_numpy(float) for p in pairs])
    weight = np.column_stack(
        [
            book_weight(daily[p].reset_index(), settings)
            .set_axis(daily[p].index)
            .reindex(dates)
            .to_numpy(float)
            for p in pairs
        ]
    )
    features = np.stack([frames[p][names].to_numpy(np.float64) for p in pairs], axis=1)
    return Panel(dates, list(pairs), close, weight, features, names)
