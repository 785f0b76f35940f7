"""HTTP GET with a timeout and bounded retries (connection errors and 5xx only)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from meta_agent.errors import FeedUnavailableError, RateLimitedError
from meta_agent.security import redact, redact_logger

USER_AGENT = "MetaRL (Freqtrade plugin)"
#: A 429 without a usable ``Retry-After`` header waits this long before the next try.
DEFAULT_RETRY_AFTER = 60.0

# urllib3 logs every request's URL, query included, at DEBUG (Freqtrade's -vv).
redact_logger("urllib3.connectionpool")


def get(
    url: str,
    *,
    timeout: float,
    retries: int = 2,
    backoff: float = 0.5,
    secrets: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> str:
    """Body of ``url``; raises FeedUnavailableError after ``retries`` failed retries.

    A 4xx answer is final (retrying will not help); a 429 raises RateLimitedError carrying the
    answer's ``Retry-After`` (seconds or an HTTP date), so the feed waits that long instead of
    hammering a rate limit. Timeouts, connection errors and 5xx are retried after
    ``backoff * 2**attempt`` seconds. The error contains no query string, no header and none of
    ``secrets`` (keys sent in a header or query), nor any secret of the environment.
    """
    last = ""
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    where = url.split("?")[0]
    for attempt in range(retries + 1):
        try:
            response = requests.get(url, timeout=timeout, headers=sent, **kwargs)
        except requests.RequestException as err:
            last = f"{type(err).__name__}: {err}"
        else:
            if response.status_code < 400:
                return response.text
            if response.status_code == 429:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                raise RateLimitedError(
                    redact(f"GET {where} rate-limited (HTTP 429); retry after {wait:g}s", secrets),
                    wait,
                )
            last = f"HTTP {response.status_code}"
            if response.status_code in (401, 403):
                last += " (authentication failed: check the API key)"
            if response.status_code < 500:
                break
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    raise FeedUnavailableError(redact(f"GET {where} failed: {last}", secrets))


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date, RFC 9110)."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, when - (time.time() if now is None else now))
