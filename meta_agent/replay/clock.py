"""Run ``freqtrade trade`` on the replay exchange's clock, one candle per bot iteration.

Freqtrade, FreqAI and ccxt read the wall clock (``datetime.now``, ``time.time``) to decide
which candle is the latest, whether a model must be retrained, when a lock ends. Inside
:func:`replay_clock` that clock is the replay server's (``time_machine``, ticking from there),
and after each of Freqtrade's bot iterations (``FreqtradeBot.process``) the clock moves to the
next candle, a few seconds after it opened, as a live bot wakes just after a candle closes.

Patched, and only this: the clock, and ``FreqtradeBot.process`` wrapped to advance it. Before
advancing, the clock waits (in real time) while FreqAI's training thread owes a model that is
due at the current time, as a live bot gets the minutes of an hour-long candle to retrain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import time_machine
from freqtrade.freqai.data_kitchen import FreqaiDataKitchen
from freqtrade.freqtradebot import FreqtradeBot

from meta_agent.errors import ReplayError
from meta_agent.replay.exchange import advance_server, clock_from_server

logger = logging.getLogger(__name__)

#: Seconds after a candle's open at which the replayed bot wakes.
WAKE_OFFSET = 5.0


class ReplayFinished(KeyboardInterrupt):
    """The replay reached its end: stops Freqtrade through its own Ctrl-C shutdown path."""


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds + WAKE_OFFSET, tz=UTC)


def training_due(bot: FreqtradeBot) -> list[str]:
    """Pairs for which FreqAI owes a (re)trained model at the current clock."""
    freqai_config = bot.config.get("freqai", {})
    freqai = getattr(bot.strategy, "freqai", None)
    if not freqai_config.get("enabled") or freqai is None or not getattr(freqai, "scanning", 0):
        return []
    due = []
    for pair in bot.active_pair_whitelist:
        trained = freqai.dd.pair_dict.get(pair, {}).get("trained_timestamp", 0)
        kitchen = FreqaiDataKitchen(bot.config, True, pair)
        retrain, _, _ = kitchen.check_if_new_training_required(trained)
        if retrain:
            due.append(pair)
    return due


def wait_for_training(bot: FreqtradeBot, timeout: float, poll: float = 0.5) -> None:
    """Block (real seconds) until no model is due; raise after ``timeout``."""
    deadline = time.monotonic() + timeout
    while due := training_due(bot):
        if time.monotonic() > deadline:
            raise ReplayError(
                f"FreqAI owes a model for {due} for more than {timeout:g}s; see the log above "
                "for the training error."
            )
        time.sleep(poll)


@contextmanager
def replay_clock(url: str, *, training_timeout: float = 900.0) -> Iterator[dict[str, Any]]:
    """Within this context, Freqtrade runs on the replay server's clock at ``url``.

    Yields a status dict whose ``finished`` is True once the replay reached its end.
    """
    status: dict[str, Any] = {"finished": False, "iterations": 0}
    clock = clock_from_server(url)
    if clock["done"]:
        raise ReplayError(f"The replay at {url} has already ended ({clock}).")
    traveller = time_machine.travel(_at(clock["now"]), tick=True)
    coordinates = traveller.start()
    original = FreqtradeBot.process

    def process(bot: FreqtradeBot) -> None:
        original(bot)
        status["iterations"] += 1
        wait_for_training(bot, training_timeout)
        clock = advance_server(url)
        if clock["done"]:
            status["finished"] = True
            raise ReplayFinished()
        coordinates.move_to(_at(clock["now"]))

    logger.info("Replay clock from %s at %s.", url, _at(clock["now"]).isoformat())
    try:
        with mock.patch.object(FreqtradeBot, "process", process):
            yield status
    finally:
        traveller.stop()
