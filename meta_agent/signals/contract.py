"""The signal-frame contract (DESIGN.md) and its boundary check.

A source's frame has the candles' index and three columns: ``score`` in [-1, 1] (sign is the
direction, magnitude the strength), ``confidence`` in [0, 1] and ``available`` (bool). Where the
source cannot know, ``available`` is False and score and confidence are exactly 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd

from meta_agent.columns import SIGNAL_FIELDS, signal_columns
from meta_agent.errors import SignalContractError


def unavailable_frame(index: pd.Index) -> pd.DataFrame:
    """A contract-valid frame that knows nothing: score 0, confidence 0, not available."""
    return pd.DataFrame(
        {
            "score": np.zeros(len(index)),
            "confidence": np.zeros(len(index)),
            "available": np.zeros(len(index), dtype=bool),
        },
        index=index,
    )


class SignalSource(ABC):
    """One trading idea. Subclasses implement :meth:`compute` and nothing else is required.

    ``__init__`` only stores parameters (scikit-learn style); ``compute`` must be a pure function
    of the candles it is given, so that ``compute(df[:t])`` equals ``compute(df)[:t]``.
    """

    #: Registry id without version, e.g. ``"trend"``; set by subclasses.
    name: ClassVar[str]
    #: Bumped whenever the output changes for the same input, so trained models notice.
    version: ClassVar[int]
    #: True for sources that read external data through a SourceContext.
    needs_context: ClassVar[bool] = False

    @property
    def source_id(self) -> str:
        """Versioned id, e.g. ``trend-v1``."""
        return f"{self.name}-v{self.version}"

    @property
    def startup_candles(self) -> int:
        """Candles needed before the first available value (Freqtrade's startup_candle_count)."""
        return 0

    @abstractmethod
    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        """Return the signal frame for ``candles`` (columns ``date, open, high, low, close,
        volume``; one row per candle, oldest first). Only rows up to t may inform row t."""

    def signal(self, candles: pd.DataFrame) -> pd.DataFrame:
        """:meth:`compute`, checked at the boundary and prefixed with the source id."""
        frame = check_signal_frame(self.compute(candles), self.source_id, candles.index)
        return frame.rename(
            columns=dict(zip(SIGNAL_FIELDS, signal_columns(self.source_id), strict=True))
        )


def check_signal_frame(frame: pd.DataFrame, source_id: str, index: pd.Index) -> pd.DataFrame:
    """Validate ``frame`` against the contract; raise naming the source and the column.

    Returns the frame with canonical dtypes (float64, float64, bool) and column order.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SignalContractError(
            f"Source '{source_id}' must return a pandas DataFrame. Got {type(frame).__name__}."
        )
    missing = [col for col in SIGNAL_FIELDS if col not in frame.columns]
    if missing:
        raise SignalContractError(
            f"Source '{source_id}' returned no column(s) {missing}; "
            f"a signal frame has columns {list(SIGNAL_FIELDS)}."
        )
    if not frame.index.equals(index):
        raise SignalContractError(
            f"Source '{source_id}': the signal frame's index must equal the candles' index "
            f"({len(index)} rows); got {len(frame.index)} rows with a different index."
        )
    out = frame.loc[:, list(SIGNAL_FIELDS)].copy()
    for col in ("score", "confidence"):
        values = pd.to_numeric(out[col], errors="coerce").astype("float64")
        if values.isna().any():
            first = values.index[values.isna().argmax()]
            raise SignalContractError(
                f"Source '{source_id}' column '{col}' has NaN (first at row {first!r}); "
                "mark unknown rows available=False with 0 instead."
            )
        out[col] = values
    if out["available"].dtype != bool:
        raise SignalContractError(
            f"Source '{source_id}' column 'available' must be bool. Got {out['available'].dtype}."
        )
    bounds = {"score": (-1.0, 1.0), "confidence": (0.0, 1.0)}
    for col, (low, high) in bounds.items():
        bad = (out[col] < low) | (out[col] > high)
        if bad.any():
            first = out.index[bad.argmax()]
            raise SignalContractError(
                f"Source '{source_id}' column '{col}' must lie in [{low}, {high}]. "
                f"Got {out[col][bad].iloc[0]!r} at row {first!r}."
            )
    idle = ~out["available"] & ((out["score"] != 0) | (out["confidence"] != 0))
    if idle.any():
        first = out.index[idle.argmax()]
        raise SignalContractError(
            f"Source '{source_id}' columns 'score'/'confidence' must be 0 where available is "
            f"False (first violation at row {first!r})."
        )
    return out
