"""HTTP GET with a timeout and bounded retries (connection errors and 5xx only)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import requests

from meta_agent.errors import FeedUnavailableError
from meta_agent.security import redact, redact_logger

USER_AGENT = "MetaRL (Freqtrade plugin)"

# urllib3 logs every request's URL, query included, at DEBUG (Freqtrade's -vv).
redact_logger("urllib3.connectionpool")


def get(
    url: str,
    *,
    timeout: float,
    retries: int = 2,
    backoff: float = 0.5,
    secrets: Sequence[str] = (),
    **kwargs: Any,
) -> str:
    """Body of ``url``; raises FeedUnavailableError after ``retries`` failed retries.

    A 4xx answer is final (retrying will not help); timeouts, connection errors and 5xx are
    retried after ``backoff * 2**attempt`` seconds. The error contains no query string and
    none of ``secrets`` (tokens sent as query parameters), nor any secret of the environment.
    """
    last = ""
    for attempt in range(retries + 1):
        try:
            response = requests.get(
                url, timeout=timeout, headers={"User-Agent": USER_AGENT}, **kwargs
            )
        except requests.RequestException as err:
            last = f"{type(err).__name__}: {err}"
        else:
            if response.status_code < 400:
                return response.text
            last = f"HTTP {response.status_code}"
            if response.status_code < 500:
                break
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    raise FeedUnavailableError(redact(f"GET {url.split('?')[0]} failed: {last}", secrets))
