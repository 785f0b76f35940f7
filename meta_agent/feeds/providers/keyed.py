"""What the keyed JSON providers (on-chain flows, social activity) share: the API key from the
environment, a GET with the key in a header, and daily rows without partial days."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.http import get

DAY = pd.Timedelta("1D")
Clock = Callable[[], pd.Timestamp]


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def api_key(provider: str, env: str) -> str:
    """The key in ``$env``; FeedUnavailableError naming the variable (never a value) if unset."""
    key = os.environ.get(env, "")
    if not key:
        raise FeedUnavailableError(f"{provider}: no API key in ${env}")
    return key


def get_json(
    provider: str, url: str, key: str, timeout: float, params: Mapping[str, str | int]
) -> Any:
    """``url``'s JSON answer, the key sent as ``Authorization: Bearer``; errors never hold it."""
    body = get(
        url,
        timeout=timeout,
        secrets=(key,),
        headers={"Authorization": f"Bearer {key}"},
        params=dict(params),
    )
    try:
        return json.loads(body)
    except ValueError:
        raise FeedUnavailableError(f"{provider}: unexpected answer (not JSON)") from None


def complete_days(frame: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Daily rows (``date`` at 00:00 UTC) of days that have ended by ``now``, oldest first, one
    per day, each ``available_at`` the end of its day, as the external store has them.

    The day in progress is dropped: an API serves its running partial value, which the store
    never has (a backtest would never see it, so a live bot must not either). Rows without
    any value are dropped too (the store drops days the publisher left empty)."""
    values = [column for column in frame.columns if column != "date"]
    frame = frame.dropna(subset=values, how="all")
    frame = frame[frame["date"] + DAY <= now]
    frame = frame.sort_values("date").drop_duplicates("date", keep="last")
    frame.insert(1, "available_at", frame["date"] + DAY)
    return frame.reset_index(drop=True)


@dataclass
class KeyedJsonProvider:
    """Base of the providers of one keyed JSON API: the key in ``$token_env``, the API's root
    ``url``, and a ``clock`` deciding which days have ended (tests fix it)."""

    url: str
    token_env: str
    timeout: float = 10.0
    ttl: float = 3600.0
    name: str = "keyed"
    clock: Clock = field(default=utc_now, repr=False)

    def get(self, path: str, params: Mapping[str, str | int]) -> Any:
        """The JSON answer of ``<url>/<path>``; FeedUnavailableError without the key."""
        key = api_key(self.name, self.token_env)
        return get_json(self.name, f"{self.url.rstrip('/')}/{path}", key, self.timeout, params)
