"""Small numeric helpers shared by the sources: trailing z-scores and contract-valid frames."""

from __future__ import annotations

import numpy as np
import pandas as pd


def trailing_zscore(values: pd.Series, window: int, min_periods: int | None = None) -> pd.Series:
    """z-score of each value against the ``window`` values up to and including it."""
    rolling = values.rolling(window, min_periods=min_periods or window)
    std = rolling.std()
    return (values - rolling.mean()) / std.where(std > 0)


def squash(values: pd.Series | np.ndarray, scale: float = 2.0) -> np.ndarray:
    """Map to (-1, 1) with ``tanh(x / scale)``: a z of 2 gives 0.76 at the default scale."""
    return np.tanh(np.asarray(values, dtype="float64") / scale)


def signal_frame(
    index: pd.Index,
    score: pd.Series | np.ndarray,
    confidence: pd.Series | np.ndarray,
    available: pd.Series | np.ndarray,
) -> pd.DataFrame:
    """A contract-valid frame: unavailable where any input is missing, then 0 score/confidence."""
    score = np.asarray(score, dtype="float64")
    confidence = np.asarray(confidence, dtype="float64")
    ok = np.asarray(available, dtype=bool) & np.isfinite(score) & np.isfinite(confidence)
    return pd.DataFrame(
        {
            "score": np.where(ok, np.clip(score, -1.0, 1.0), 0.0),
            "confidence": np.where(ok, np.clip(confidence, 0.0, 1.0), 0.0),
            "available": ok,
        },
        index=index,
    )


def contrarian_rows(available_at: pd.Series, z: pd.Series) -> pd.DataFrame:
    """Rows leaning against an extreme: ``score = -tanh(z / 2)``, ``confidence = |z| / 3``."""
    return pd.DataFrame(
        {
            "available_at": available_at.to_numpy(),
            "score": -squash(z),
            "confidence": (z.abs() / 3).clip(upper=1).to_numpy(),
        }
    )
