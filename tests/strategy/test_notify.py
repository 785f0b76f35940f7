"""The exposure-change line, sent through Freqtrade's own RPC message path to a webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace

import pandas as pd
import pytest
from freqtrade.data.dataprovider import DataProvider
from freqtrade.enums import RunMode
from freqtrade.rpc import RPCManager

from meta_agent.strategy.notify import exposure_change_line, notify_exposure_change
from tests.feeds.providers.server import FakeApi


def analysed(targets: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "&-action": targets,
            "%%-attr_trend-v1": [0.0] * (len(targets) - 1) + [0.6],
            "%%-attr_funding-v1": [0.0] * (len(targets) - 1) + [-0.3],
            "%%-attr_news-v1": [0.0] * (len(targets) - 1) + [0.05],
            "%%-attr_context": [0.0] * (len(targets) - 1) + [0.05],
            "%%-attr_position": [0.0] * len(targets),
        }
    )


def test_no_line_while_the_target_holds() -> None:
    assert exposure_change_line(analysed([0.5, 0.5]), "BTC/USD") is None


@pytest.fixture
def webhook() -> Iterator[FakeApi]:
    with FakeApi() as server:
        yield server


def test_line_travels_through_freqtrades_rpc_to_a_webhook(webhook: FakeApi) -> None:
    config = {
        "runmode": RunMode.DRY_RUN,
        "dry_run": True,
        "timeframe": "1h",
        "stake_currency": "USD",
        "webhook": {
            "enabled": True,
            "url": f"{webhook.url}/hook",
            "format": "json",
            "allow_custom_messages": True,
            "strategy_msg": {"text": "{msg}"},
        },
    }
    provider = DataProvider(config, exchange=None)
    line = notify_exposure_change(analysed([0.0, 0.5, 1.0]), "BTC/USD", provider.send_msg)
    assert line == "MetaRL BTC/USD: exposure 0.5 → 1 | trend-v1 +60%, funding-v1 -30%, news-v1 +5%"
    # FreqtradeBot.process() hands the strategy's queue to its RPCManager the same way.
    RPCManager(SimpleNamespace(config=config)).process_msg_queue(provider._msg_queue)
    assert [(path, json.loads(body)) for path, body in webhook.posted] == [
        ("/hook", {"text": line})
    ]


def test_backtests_send_nothing() -> None:
    provider = DataProvider({"runmode": RunMode.BACKTEST, "timeframe": "1h"}, exchange=None)
    notify_exposure_change(analysed([0.0, 1.0]), "BTC/USD", provider.send_msg)
    assert not provider._msg_queue
