"""What every MetaRL strategy does when Freqtrade builds it."""

from __future__ import annotations

from typing import Any

from freqtrade.strategy import IStrategy

from meta_agent.config import validate_freqtrade_config
from meta_agent.feeds import is_trading
from meta_agent.security import check_api_server, check_telegram


class MetaStrategy(IStrategy):
    """Validates the ``meta_rl`` section (and fills ``freqai.rl_config``'s defaults before
    FreqAI reads it), shorts only in futures mode, and refuses to trade behind an exposed API
    server without its own credentials or with Telegram commands open to anyone in the chat."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.meta_config = validate_freqtrade_config(config)
        self.can_short = str(config.get("trading_mode", "spot")) == "futures"
        if is_trading(config):
            check_api_server(config)
            check_telegram(config)
