"""Base class of the sources that read external data through a SourceContext."""

from __future__ import annotations

import logging
from abc import abstractmethod

import pandas as pd

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.store import align
from meta_agent.signals.context import SourceContext
from meta_agent.signals.contract import SignalSource, unavailable_frame
from meta_agent.signals.scoring import signal_frame

logger = logging.getLogger(__name__)


class ExternalSource(SignalSource):
    """Computes ``score``/``confidence`` rows on its own series, then aligns them to candles.

    Subclasses implement :meth:`rows`: a frame with ``available_at``, ``score`` and
    ``confidence`` computed only from each row's own past. Alignment (:func:`align`) makes a
    row usable from the first candle that closes after it became available, until it is older
    than ``max_age``. A live feed that has nothing makes the source unavailable; in backtests a
    missing file raises.
    """

    needs_context = True

    def __init__(self, context: SourceContext, max_age: str) -> None:
        self.context = context
        self.max_age = pd.Timedelta(max_age)

    @abstractmethod
    def rows(self) -> pd.DataFrame | None:
        """``available_at``, ``score``, ``confidence``; None when the data does not exist."""

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        try:
            rows = self.rows()
        except FeedUnavailableError as err:
            logger.debug("%s unavailable: %s", self.source_id, err)
            return unavailable_frame(candles.index)
        if rows is None or rows.empty:
            return unavailable_frame(candles.index)
        aligned = align(
            candles, self.context.timeframe, rows, ["score", "confidence"], self.max_age
        )
        return signal_frame(
            candles.index, aligned["score"], aligned["confidence"], aligned["fresh"]
        )
