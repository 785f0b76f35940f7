"""Telegram through a real client path: ``freqtrade trade`` in dry-run on the replayed Kraken,
its Telegram (python-telegram-bot, Freqtrade's own handlers) polling a fake Bot API on
loopback (:mod:`tests.replay.telegram_api`).

Only the Bot API's URL is changed, by a test-only ``sitecustomize`` in the bot's process
(``tests/replay/telegram_site``: Freqtrade has no configuration key for it). The owner's
``/status``, ``/profit``, ``/balance``, ``/stop`` and ``/start`` reach the bot and are answered;
a stranger's ``/stop`` is ignored; MetaRL's exposure-change line with its top attributions
arrives as a message. The on-chain and social sources run without their keys: they are
unavailable and the log says so once. A few minutes on two cores.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from meta_agent.replay.exchange import ReplayExchange
from tests.conftest import PROJECT_ROOT
from tests.replay.telegram_api import FakeBotApi
from tests.replay.test_live_replay import (
    AUTH,
    SOURCES,
    START,
    Replay,
    api_up,
    bot_config,
    free_port,
    recorded_candles,
    start_bot,
    wait_until,
)

pytestmark = pytest.mark.slow

BOT_TOKEN = "4242:" + "replay-only-bot-token"
CHAT = OWNER = 1000
STRANGER = 666
PAIR = "BTC/USD"
END = START + timedelta(hours=240)
KEYLESS = ["exchange_flows-v1", "social-v2"]  # their providers' keys are not set here
STATUS = re.compile(r"no active trade|Trade ID")


@dataclass
class TelegramRun:
    """What the bot answered, and what it logged."""

    log: str = ""
    replies: dict[str, str] = field(default_factory=dict)
    exposure_lines: list[str] = field(default_factory=list)
    sent_before_stranger: int = 0
    sent: list[str] = field(default_factory=list)
    candles: dict[str, Any] = field(default_factory=dict)


def ask(bot_api: FakeBotApi, bot: Any, text: str, user: int, pattern: re.Pattern[str]) -> str:
    """Send ``text`` as ``user`` and return the first later message matching ``pattern``."""
    seen = len(bot_api.texts())
    bot_api.command(text, user_id=user, chat_id=CHAT)

    def answered() -> str | None:
        return next((t for t in bot_api.texts()[seen:] if pattern.search(t)), None)

    wait_until(lambda: answered() is not None, bot, f"the answer to {text}")
    return str(answered())


@pytest.fixture(scope="module")
def telegram_run(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramRun]:
    userdir = tmp_path_factory.mktemp("telegram") / "user_data"
    for folder in ("data/kraken", "models", "logs"):
        (userdir / folder).mkdir(parents=True)
    candles = {PAIR: recorded_candles(shared_data)[PAIR]}
    history = candles[PAIR][candles[PAIR]["date"] < START].reset_index(drop=True)
    history.to_feather(userdir / "data" / "kraken" / "BTC_USD-1h.feather")
    run = TelegramRun()
    with (
        ReplayExchange(candles, start=START, end=END) as exchange,
        FakeBotApi(BOT_TOKEN) as bot_api,
        pytest.MonkeyPatch.context() as env,
    ):
        port = free_port()
        config = bot_config(userdir, exchange, port)
        config["exchange"]["pair_whitelist"] = [PAIR]
        config["max_open_trades"] = 1
        config["meta_rl"]["sources"] = [*SOURCES[:3], *KEYLESS]
        config["meta_rl"]["live_feeds"] = {"providers": ["cryptoquant", "lunarcrush"], "timeout": 5}
        config["telegram"] = {
            "enabled": True,
            "token": BOT_TOKEN,
            "chat_id": str(CHAT),
            "authorized_users": [str(OWNER)],
            "allow_custom_messages": True,
        }
        config_path = userdir / "config.json"
        config_path.write_text(json.dumps(config, indent=1))
        site = PROJECT_ROOT / "tests" / "replay" / "telegram_site"
        env.setenv("PYTHONPATH", f"{site}:{PROJECT_ROOT}")
        env.setenv("METARL_TEST_TELEGRAM_BASE_URL", bot_api.base_url)
        for key in ("CRYPTOQUANT_API_KEY", "LUNARCRUSH_API_KEY"):
            env.delenv(key, raising=False)
        state = Replay(
            userdir, userdir / "trades.sqlite", userdir / "logs" / "bot.log", exchange=exchange
        )
        bot = start_bot(state, config_path)
        try:
            wait_until(lambda: bot_api.calls["getUpdates"] > 0, bot, "Telegram polling")

            def exposure_lines() -> list[str]:
                return [t for t in bot_api.texts() if t.startswith(f"MetaRL {PAIR}: exposure")]

            wait_until(lambda: bool(exposure_lines()), bot, "an exposure change message")
            run.exposure_lines = exposure_lines()
            run.replies["/status"] = ask(bot_api, bot, "/status", OWNER, STATUS)
            run.replies["/profit"] = ask(
                bot_api, bot, "/profit", OWNER, re.compile("ROI|No trades")
            )
            run.replies["/balance"] = ask(
                bot_api, bot, "/balance", OWNER, re.compile("Starting capital")
            )
            run.sent_before_stranger = len(bot_api.texts())
            bot_api.command("/stop", user_id=STRANGER, chat_id=CHAT)
            # Updates are handled in order: the owner's answer comes after the stranger's.
            run.replies["/status after the stranger's /stop"] = ask(
                bot_api, bot, "/status", OWNER, re.compile(f"{STATUS.pattern}|not running")
            )
            run.replies["/stop"] = ask(bot_api, bot, "/stop", OWNER, re.compile("stopping trader"))
            run.replies["/start"] = ask(
                bot_api, bot, "/start", OWNER, re.compile("starting trader")
            )
            wait_until(lambda: api_up(port), bot, "the API server")
            run.candles = requests.get(
                f"http://127.0.0.1:{port}/api/v1/pair_candles",
                params={"pair": PAIR, "timeframe": "1h", "limit": 24},
                auth=AUTH,
                timeout=30,
            ).json()
            bot.send_signal(signal.SIGINT)
            bot.wait(timeout=120)
        finally:
            if bot.poll() is None:
                bot.kill()
        run.sent = bot_api.texts()
        run.log = state.log.read_text()
    yield run


def test_exposure_changes_arrive_with_their_top_attributions(telegram_run: TelegramRun) -> None:
    line = telegram_run.exposure_lines[0]
    # "MetaRL BTC/USD: exposure 0 → 0.5 | trend-v1 +42%, breakout-v2 -21%, ..."
    assert re.match(r"MetaRL BTC/USD: exposure [\d.]+ → [\d.]+ \| \S+ [+-]\d+%", line), line
    assert all(source in SOURCES[:3] for source in re.findall(r"(\S+-v\d) [+-]\d+%", line))


def test_the_owners_commands_reach_the_bot_and_are_answered(telegram_run: TelegramRun) -> None:
    replies = telegram_run.replies
    assert STATUS.search(replies["/status"])
    assert re.search("ROI|No trades", replies["/profit"])
    assert "Simulated balances in Dry Mode" in replies["/balance"]
    assert "stopping trader" in replies["/stop"]
    assert "starting trader" in replies["/start"]


def test_a_strangers_command_is_ignored(telegram_run: TelegramRun) -> None:
    after = telegram_run.replies["/status after the stranger's /stop"]
    assert STATUS.search(after), after  # still running: "/stop" did not stop it
    later = telegram_run.sent[telegram_run.sent_before_stranger :]
    assert not any("stopping trader" in text for text in later[: later.index(after)])
    assert f"Unauthorized user tried to control the bot: {STRANGER}" in telegram_run.log


def test_sources_without_keys_are_unavailable_and_said_once(telegram_run: TelegramRun) -> None:
    for provider, variable in (("cryptoquant", "CRYPTOQUANT"), ("lunarcrush", "LUNARCRUSH")):
        line = f"Live feed {provider} unavailable: ${variable}_API_KEY is not set"
        assert telegram_run.log.count(line) == 1, provider
    answer = telegram_run.candles
    rows = pd.DataFrame(answer["data"], columns=answer["columns"])
    assert len(rows) > 0
    for source in KEYLESS:
        assert (rows[f"%%-{source}__available"] == 0).all(), source
    assert (rows["%%-trend-v1__available"] == 1).any()
