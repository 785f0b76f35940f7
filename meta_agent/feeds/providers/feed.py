"""LiveFeed: the Feed of dry-run and live bots, refreshed once per bot loop.

All providers that are due are fetched concurrently; the loop waits at most ``timeout``
seconds, never longer, whatever a provider does. A provider that fails or times out is logged
once per outage (a warning when it goes down, an info line when it recovers) and its series
raise FeedUnavailableError, so their sources report ``available=False`` and the bot keeps
trading on the others. An answer with an implausible row (a timestamp out of range, a value
outside its documented range: :mod:`meta_agent.feeds.providers.checks`) counts as a failure. Live
rows are laid over the imported history (``history``), so trailing statistics have their full
window from the first live candle.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

import pandas as pd

from meta_agent.errors import DataImportError, FeedUnavailableError, RateLimitedError
from meta_agent.feeds.providers.checks import check_frames
from meta_agent.feeds.store import Feed
from meta_agent.security import redact

logger = logging.getLogger(__name__)

#: What a provider's ``fetch`` returns: external-series names (``fear_and_greed``) or reference
#: markets (``("BTC/USDT:USDT", "funding_rate")``) to frames in the store's layout.
Frames = dict[Hashable, pd.DataFrame]


class Provider(Protocol):
    name: str
    ttl: float

    def fetch(self) -> Frames: ...


class LiveFeed:
    """Providers' latest frames over the stored history (see the module docstring).

    Args:
        providers: Fetchers of live data (``meta_agent.feeds.providers.sources``).
        history: The backtest feed over imported data, or None.
        timeout: Longest a refresh may hold up the bot loop, in seconds.
        retry_after: Seconds before a failed provider is tried again (or its ttl if shorter).
        clock: Seconds of the wall clock (``time.time``), so a replayed, accelerated clock ages
            the cache as it would age live; tests may replace it.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        history: Feed | None = None,
        timeout: float = 20.0,
        retry_after: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.providers = list(providers)
        self.history = history
        self.timeout = timeout
        self.retry_after = retry_after
        self.clock = clock
        self._frames: dict[Hashable, pd.DataFrame] = {}
        self._owner: dict[Hashable, str] = {}
        self._next_due: dict[str, float] = {}
        self._down: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def down(self) -> dict[str, str]:
        """Providers currently failing, with the reason."""
        return dict(self._down)

    def refresh(self) -> None:
        """Fetch every due provider concurrently; return within ``timeout`` seconds."""
        now = self.clock()
        due = [p for p in self.providers if self._next_due.get(p.name, -math.inf) <= now]
        if not due:
            return
        pool = ThreadPoolExecutor(max_workers=len(due), thread_name_prefix="metarl-feed")
        futures: dict[Future[dict[Hashable, pd.DataFrame]], Provider] = {
            pool.submit(p.fetch): p for p in due
        }
        done, pending = wait(futures, timeout=self.timeout)
        pool.shutdown(wait=False, cancel_futures=True)  # a hung fetch must not hold the loop
        for future in done:
            provider = futures[future]
            try:
                frames = future.result()
                check_frames(provider.name, frames)
            except RateLimitedError as err:
                self._failed(provider, str(err), now, retry_in=err.retry_after)
            except (FeedUnavailableError, DataImportError) as err:
                self._failed(provider, str(err), now)
            except Exception as err:  # a provider bug is contained like an outage
                self._failed(provider, f"{type(err).__name__}: {err}", now)
            else:
                self._succeeded(provider, frames, now)
        for future in pending:
            self._failed(futures[future], f"no answer within {self.timeout:g}s", now)

    def _succeeded(self, provider: Provider, frames: dict[Hashable, Any], now: float) -> None:
        with self._lock:
            for key, frame in frames.items():
                self._frames[key] = frame
                self._owner[key] = provider.name
            self._next_due[provider.name] = now + provider.ttl
            reason = self._down.pop(provider.name, None)
        if reason is not None:
            logger.info("Live feed %s recovered.", provider.name)

    def _failed(self, provider: Provider, reason: str, now: float, retry_in: float = 0.0) -> None:
        """Mark ``provider`` down; try again after ``retry_after`` (at most its ttl), or after
        ``retry_in`` seconds if it asked for longer (a rate limit's ``Retry-After``)."""
        reason = redact(reason)  # a provider's own error may quote its request
        with self._lock:
            first = provider.name not in self._down
            self._down[provider.name] = reason
            for key in [k for k, owner in self._owner.items() if owner == provider.name]:
                self._frames.pop(key, None)
            self._next_due[provider.name] = now + max(retry_in, min(provider.ttl, self.retry_after))
        if first:
            logger.warning(
                "Live feed %s unavailable (%s); its sources are marked unavailable until it "
                "recovers.",
                provider.name,
                reason,
            )

    def _live(self, key: Hashable) -> pd.DataFrame:
        with self._lock:
            frame = self._frames.get(key)
            owner = self._owner.get(key)
        if frame is not None:
            return frame
        if owner is not None and owner in self._down:
            raise FeedUnavailableError(f"{key}: provider {owner} is down")
        down = f"; providers down: {', '.join(sorted(self._down))}" if self._down else ""
        raise FeedUnavailableError(f"{key}: no live data (no provider serves it, or not yet){down}")

    def series(self, name: str) -> pd.DataFrame:
        live = self._live(name)
        return _over_history(live, self._history_series(name), "date")

    def reference_candles(self, pair: str, candle_type: str) -> pd.DataFrame | None:
        live = self._live((pair, candle_type))
        stored = self.history.reference_candles(pair, candle_type) if self.history else None
        return _over_history(live, stored, "date")

    def _history_series(self, name: str) -> pd.DataFrame | None:
        if self.history is None:
            return None
        try:
            return self.history.series(name)
        except DataImportError:
            return None


def _over_history(live: pd.DataFrame, stored: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """``stored`` rows older than the live ones, then the live rows (the live ones win).

    History in another definition (not every live column stored, e.g. the Stocktwits/Reddit
    social index under LunarCrush's live rows) is not laid under the live rows: one trailing
    statistic must never mix two definitions."""
    if stored is None or stored.empty or not set(live.columns) <= set(stored.columns):
        return live
    older = stored[stored[key] < live[key].min()]
    return pd.concat([older[list(live.columns)], live], ignore_index=True)
