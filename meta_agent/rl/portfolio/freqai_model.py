"""The FreqAI adapter of the pooled design (``meta_rl.base: "book"``): ``MetaRLPortfolioModel``.

FreqAI calls ``train`` once per pair and window; here each call asks
:func:`~meta_agent.rl.portfolio.pooled.window_ensemble` for the window's one pooled ensemble
(trained by the first pair, loaded by the others) and keeps which coin the pair is. ``predict``
returns the pair's target exposure per candle, ``&-action``: the book's weight of the last
closed day (``%-book_weight``, merged from the pair's own daily candles exactly as TrendBook
merges it) times the ensemble's multiplier for that day, decided on the daily clock (1 where
the gate closed: the book trades). A prediction depends only on the candles and the saved
window, so a re-run, a sub-range and a live bot decide the same days alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from freqtrade.freqai.base_models.BaseRegressionModel import BaseRegressionModel
from freqtrade.freqai.data_kitchen import FreqaiDataKitchen
from pandas import DataFrame

from meta_agent.config import MetaRLConfig
from meta_agent.errors import ConfigError
from meta_agent.rl.clock import decision_candles
from meta_agent.rl.freqai_windows import SHOWING_A_BACKTEST, decide_every_window
from meta_agent.rl.portfolio.panel import Panel
from meta_agent.rl.portfolio.pooled import (
    WindowEnsemble,
    multipliers,
    panel_for,
    settings_key,
    window_ensemble,
)

logger = logging.getLogger(__name__)
#: The book's weight of the pair's last closed day, as FreqAI names the merged 1d feature.
BOOK_PREFIX, BOOK_SUFFIX = "%-book_weight", "_1d"


def book_column(columns: Any, pair: str) -> str:
    """The pair's raw daily book weight among ``columns`` (``%-book_weight_gen_<pair>_1d``)."""
    name = f"{BOOK_PREFIX}_gen_{pair.replace(':', '')}{BOOK_SUFFIX}"
    if name not in columns:
        raise ConfigError(
            f"`meta_rl.base` = 'book' needs the daily book weight feature {name}; it is missing. "
            "Add '1d' to `freqai.feature_parameters.include_timeframes`."
        )
    return name


@dataclass(frozen=True)
class PooledPairModel:
    """What FreqAI saves per pair and window: the window's ensemble and the pair's coin."""

    ensemble: WindowEnsemble
    coin: str


class MetaRLPortfolioModelBase(BaseRegressionModel):
    """One pooled residual ensemble per window for every pair; see the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        meta_config = MetaRLConfig.from_freqtrade(kwargs["config"])
        if meta_config.base != "book":
            raise ConfigError(
                "`freqaimodel` MetaRLPortfolioModel scales the trend book: set `meta_rl.base` "
                f"to 'book' (it is {meta_config.base!r}), or use MetaRLModel."
            )
        super().__init__(**kwargs)
        self.meta_config = meta_config
        self._panel: Panel | None = None
        self._train_end: pd.Timestamp | None = None

    @property
    def panel(self) -> Panel:
        """The training universe's daily panel (read once per process)."""
        if self._panel is None:
            root = self.meta_config.feed_root(self.config) / self.meta_config.reference_exchange
            self._panel = panel_for(root, self.meta_config.pooled, self.meta_config.book)
        return self._panel

    def _fee(self) -> float:
        if self.config.get("fee") is not None:
            return float(self.config["fee"])
        exchange = self.data_provider._exchange if self.data_provider else None
        pair = self.config["exchange"]["pair_whitelist"][0]
        return float(exchange.get_fee(symbol=pair, taker_or_maker="taker")) if exchange else 0.004

    def _coin(self, pair: str) -> str:
        return f"{pair.split('/')[0]}/{self.meta_config.pooled.quote}"

    def train(
        self, unfiltered_df: DataFrame, pair: str, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> Any:
        self._train_end = pd.Timestamp(unfiltered_df["date"].iloc[-1])
        return super().train(unfiltered_df, pair, dk, **kwargs)

    def fit(self, data_dictionary: dict[str, Any], dk: FreqaiDataKitchen, **kwargs: Any) -> Any:
        """The window's pooled ensemble (trained here by the window's first pair)."""
        if self._train_end is None:
            raise RuntimeError("MetaRLPortfolioModel.fit runs only through train().")
        end_day = (self._train_end + pd.Timedelta(hours=1)).floor("D")
        meta = self.meta_config
        fee = self._fee()
        key = settings_key(meta.pooled, meta.book, meta.seeds, meta.validation_gate, fee)
        folder = Path(self.full_path) / f"pooled-{key}" / f"{end_day:%Y%m%d}"
        whitelist = self.config["exchange"]["pair_whitelist"]
        coins = self.panel.coins
        traded = sorted({coins.index(self._coin(p)) for p in whitelist if self._coin(p) in coins})
        ensemble = window_ensemble(
            self.panel, end_day, folder, traded or list(range(len(coins))), meta.seeds,
            meta.validation_gate, meta.pooled, meta.book, fee,
            int(self.freqai_info["train_period_days"]),
        )  # fmt: skip
        return PooledPairModel(ensemble, self._coin(dk.pair))

    def start_backtesting(
        self, dataframe: DataFrame, metadata: dict[str, Any], dk: FreqaiDataKitchen,
        strategy: Any,
    ) -> FreqaiDataKitchen:  # fmt: skip
        """FreqAI's walk-forward backtest, every window decided again from its saved model (a
        prediction is cheap next to FreqAI's feature check on reused predictions, which
        compares feature lists the pooled agent does not read); commands that only draw a
        backtest keep FreqAI's reuse."""
        if self.config.get("runmode") not in SHOWING_A_BACKTEST:
            decide_every_window(dk)
        return super().start_backtesting(dataframe, metadata, dk, strategy)

    def check_if_feature_list_matches_strategy(self, dk: FreqaiDataKitchen) -> None:
        """Nothing to check when FreqUI or plot-dataframe reuse a window's saved predictions:
        they depend on the pair's daily book weight and the pooled window (whose folder names
        its settings), not on FreqAI's feature list."""

    def predict(
        self, unfiltered_df: DataFrame, dk: FreqaiDataKitchen, **kwargs: Any
    ) -> tuple[DataFrame, npt.NDArray[np.int_]]:
        """``&-action`` per candle: the book's weight times the day's multiplier."""
        model: PooledPairModel = self.model
        dates = pd.to_datetime(unfiltered_df["date"], utc=True).reset_index(drop=True)
        own = unfiltered_df[book_column(unfiltered_df.columns, dk.pair)].to_numpy(np.float64)
        decides = decision_candles(dates, self.config["timeframe"], self.meta_config.decision_every)
        decides &= np.isfinite(own)
        chosen = pd.Series(np.nan, index=dates.index)
        if model.coin in self.panel.coins and decides.any():
            days = pd.DatetimeIndex(dates[decides].dt.floor("D"))
            by_day = multipliers(self.panel, model.ensemble, self.panel.coins.index(model.coin),
                                 days, self.meta_config.book.band)  # fmt: skip
            chosen[decides] = by_day.to_numpy()
        scale = chosen.ffill().fillna(1.0).to_numpy()
        target = np.clip(np.nan_to_num(own) * scale, 0.0, 1.0)
        pred_df = DataFrame({label: target for label in dk.label_list})
        dk.do_predict = np.isfinite(own).astype(np.int_)
        return pred_df, dk.do_predict
