"""Test-only, loaded by the bot process of ``tests/replay/test_telegram_replay.py`` (this folder
leads its ``PYTHONPATH``): point Freqtrade's Telegram at the fake Bot API on loopback.

Freqtrade 2026.9 builds python-telegram-bot's ``Application`` from the token alone
(``Telegram._init_telegram_app``) and has no configuration key for the Bot API's URL, so this
replaces that one method with the same builder plus python-telegram-bot's own ``base_url``
option. Everything else (handlers, polling, authorization, message formatting) is Freqtrade's.
"""

import os

_BASE_URL = os.environ.get("METARL_TEST_TELEGRAM_BASE_URL")

if _BASE_URL:
    from freqtrade.rpc import telegram as _freqtrade_telegram
    from telegram.ext import Application

    def _init_telegram_app(self):  # type: ignore[no-untyped-def]
        token = self._config["telegram"]["token"]
        return Application.builder().token(token).base_url(_BASE_URL).build()

    _freqtrade_telegram.Telegram._init_telegram_app = _init_telegram_app
