"""The check every keyed provider's test makes: a secret reaches no log line, no error and no
state of the live feed, whatever the endpoint answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from meta_agent.errors import FeedUnavailableError
from meta_agent.feeds.providers.feed import LiveFeed


def refresh_without_leaking(
    provider: Any, secret: str, caplog: pytest.LogCaptureFixture
) -> LiveFeed:
    """Refresh a feed of ``provider`` and fetch it once more, at DEBUG; assert that ``secret``
    appears nowhere. Returns the feed (its ``down`` says whether the provider failed)."""
    feed = LiveFeed([provider])
    with caplog.at_level(logging.DEBUG):
        feed.refresh()
        try:
            provider.fetch()
        except FeedUnavailableError as err:
            assert secret not in str(err)
    assert secret not in caplog.text
    assert all(secret not in reason for reason in feed.down.values())
    return feed
