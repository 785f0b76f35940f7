"""What the ccxt providers share: OHLCV rows in the layout of Freqtrade's candles (with the
moment each is known), and one boundary turning ccxt's errors into an unavailable provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.store import with_available_at
from meta_agent.security import redact


@contextmanager
def ccxt_answers(provider: str) -> Iterator[None]:
    """Inside: a ccxt error (its text redacted) or a malformed answer raises
    FeedUnavailableError naming ``provider``."""
    import ccxt

    try:
        yield
    except ccxt.BaseError as err:
        reason = redact(f"{type(err).__name__}: {err}")
        raise FeedUnavailableError(f"{provider}: {reason}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise FeedUnavailableError(f"{provider}: unexpected answer ({err!r})") from None


def ccxt_candles(rows: list[list[Any]], candle_type: str = "futures") -> pd.DataFrame:
    """ccxt OHLCV rows as Freqtrade candles of ``candle_type``, with their ``available_at``
    (:func:`~meta_agent.feeds.store.known_after`: a candle once closed, funding at once)."""
    frame = pd.DataFrame(rows, columns=["date", "open", "high", "low", "close", "volume"])
    frame["date"] = pd.to_datetime(frame["date"], unit="ms", utc=True)
    frame = frame.astype({c: "float64" for c in ("open", "high", "low", "close", "volume")})
    frame["volume"] = frame["volume"].fillna(0.0)  # mark and index candles have no volume
    frame = with_available_at(frame, candle_type)
    return frame.drop_duplicates("date", keep="last").reset_index(drop=True)
