"""The supervised stacking baseline: "what a quant would try first" with the same signals.

A scikit-learn logistic regression reads the same signal frames MetaRL reads and predicts
whether the close ``horizon`` candles ahead will be higher. It is refit walk-forward at fixed
calendar boundaries (every ``refit_days`` since the Unix epoch), each time on the rows of the
trailing ``train_days`` whose labels were already known at the boundary, and its probability
``p`` becomes the exposure level nearest to ``2p - 1`` (clipped to the allowed levels), traded
with MetaRL's own mechanics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def walk_forward_probability(
    features: pd.DataFrame,
    close: pd.Series,
    dates: pd.Series,
    horizon: int = 24,
    train_days: int = 90,
    refit_days: int = 30,
    min_rows: int = 500,
) -> np.ndarray:
    """P(close[t + horizon] > close[t]) per row, NaN where no model was fit yet.

    A model fit at boundary ``b`` (the first row of a ``refit_days`` calendar block) trains on
    rows ``r`` with ``r + horizon <= b`` (their outcome closed before ``b``'s decision) inside
    the trailing ``train_days``, and predicts the rows of its block. No row's prediction uses
    an outcome that was unknown when the row closed.
    """
    x = features.to_numpy(dtype="float64")
    up = (close.shift(-horizon) > close).to_numpy(dtype="float64")
    up[len(up) - horizon :] = np.nan  # outcomes not yet known
    block = ((dates - EPOCH) // pd.Timedelta(days=refit_days)).to_numpy()
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]
    probability = np.full(len(x), np.nan)
    span = pd.Timedelta(days=train_days)
    for start, end in zip(starts, ends, strict=True):
        known = np.arange(len(x)) + horizon <= start
        recent = (dates >= dates.iloc[start] - span).to_numpy()
        rows = known & recent & np.isfinite(up) & np.isfinite(x).all(axis=1)
        if rows.sum() < min_rows or len(np.unique(up[rows])) < 2:
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        model.fit(x[rows], up[rows])
        block_x = np.nan_to_num(x[start:end])
        probability[start:end] = model.predict_proba(block_x)[:, 1]
    # BLAS sums a shorter block in another order (last-digit noise, ~1e-16); rounding keeps a
    # row's value identical however many rows follow it, as Freqtrade's lookahead check needs.
    return np.round(probability, 12)


def nearest_level(probability: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """The allowed level nearest to ``2p - 1`` for each probability (NaN stays NaN)."""
    arr = np.asarray(levels, dtype="float64")
    target = 2 * probability - 1
    index = np.abs(target[:, None] - arr[None, :]).argmin(axis=1)
    return np.where(np.isfinite(probability), arr[index], np.nan)
