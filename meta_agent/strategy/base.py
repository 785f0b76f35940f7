"""What every MetaRL strategy does when Freqtrade builds it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from freqtrade.strategy import IStrategy

from meta_agent.config import validate_freqtrade_config
from meta_agent.feeds.runtime import is_trading, refresh_live_feed, source_context
from meta_agent.security import check_api_server, check_telegram
from meta_agent.signals import SignalSource
from meta_agent.strategy.features import build_sources


class MetaStrategy(IStrategy):
    """Validates the ``meta_rl`` section (and fills ``freqai.rl_config``'s defaults before
    FreqAI reads it), shorts only in futures mode, and refuses to trade behind an exposed API
    server without its own credentials or with Telegram commands open to anyone in the chat.
    In dry-run and live, each bot loop starts by refreshing the live feed its sources read."""

    #: Whether the strategy's sources read external data: its bot loop refreshes the live feed.
    reads_live_feed: ClassVar[bool] = True

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.meta_config = validate_freqtrade_config(config)
        self._sources: dict[str, list[SignalSource]] = {}
        self.can_short = str(config.get("trading_mode", "spot")) == "futures"
        if is_trading(config):
            check_api_server(config)
            check_telegram(config)

    def bot_loop_start(self, current_time: datetime, **kwargs: Any) -> None:
        if self.reads_live_feed:
            # dry-run / live: this cycle's external data, once
            refresh_live_feed(self.meta_config, self.config)

    def source_ids(self) -> list[str]:
        """The sources the strategy reads: ``meta_rl.sources``."""
        return list(self.meta_config.sources)

    def sources_for(self, pair: str) -> list[SignalSource]:
        """The strategy's sources (with their ``meta_rl.source_params``) reading ``pair``'s
        context, built on first use and kept: one set per pair for the strategy's life. Building
        one reads no data, so ``pair=""`` serves for start-up counts."""
        if pair not in self._sources:
            context = source_context(self.meta_config, self.config, pair)
            params = self.meta_config.source_params
            self._sources[pair] = build_sources(self.source_ids(), context, params)
        return self._sources[pair]
