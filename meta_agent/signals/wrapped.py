"""Any Freqtrade strategy as a signal source: its position, as its own signals would hold it.

The strategy is found by Freqtrade's resolver and run through Freqtrade's own signal path
(``advise_indicators``, ``advise_entry``, ``advise_exit``). From the first candle after its
``startup_candle_count`` it is long (+1) from an entry signal until its exit signal, short
(-1) likewise, flat (0) otherwise; its ``minimal_roi`` table and ``stoploss`` also end a
position, judged on candle closes. Custom exits, trailing stops and callbacks are not simulated.
Confidence is 1 while it knows.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from freqtrade.exchange import timeframe_to_minutes
from freqtrade.resolvers import StrategyResolver
from freqtrade.strategy import IStrategy

from meta_agent.signals.context import SourceContext
from meta_agent.signals.contract import SignalSource
from meta_agent.signals.registry import register
from meta_agent.signals.scoring import signal_frame


def _templates_dir() -> Path:
    import freqtrade.templates

    return Path(freqtrade.templates.__file__).parent


def position_from_signals(
    signals: pd.DataFrame,
    close: np.ndarray | None = None,
    minimal_roi: dict[int, float] | None = None,
    stoploss: float | None = None,
    candle_minutes: int = 60,
    can_short: bool = True,
) -> np.ndarray:
    """+1 from ``enter_long`` until ``exit_long``, -1 from ``enter_short`` until ``exit_short``;
    an entry of the other side flips. With ``close``, a position also ends when its profit on
    the close reaches the ROI table's target for its age or falls to ``stoploss``, as Freqtrade
    would close it. Short signals of a strategy that cannot short are ignored, as Freqtrade
    ignores them. Missing signal columns count as never set."""

    def column(name: str) -> np.ndarray:
        if name not in signals:
            return np.zeros(len(signals), dtype=bool)
        return signals[name].fillna(0).to_numpy() == 1

    enter_long, exit_long = column("enter_long"), column("exit_long")
    enter_short, exit_short = column("enter_short"), column("exit_short")
    if not can_short:
        enter_short = np.zeros(len(signals), dtype=bool)
    roi = sorted((int(k), float(v)) for k, v in (minimal_roi or {}).items())
    position = np.zeros(len(signals))
    state, entry_price, entry_t = 0.0, 0.0, 0
    for t in range(len(signals)):
        if state != 0 and close is not None:
            profit = state * (close[t] / entry_price - 1)
            age = (t - entry_t) * candle_minutes
            target = next((v for k, v in reversed(roi) if k <= age), None)
            if (target is not None and profit >= target) or (
                stoploss is not None and profit <= stoploss
            ):
                state = 0.0
        if (state > 0 and exit_long[t]) or (state < 0 and exit_short[t]):
            state = 0.0
        side = 1.0 if enter_long[t] and not enter_short[t] else 0.0
        side = -1.0 if enter_short[t] and not enter_long[t] else side
        if side and side != state:
            state, entry_t = side, t
            entry_price = close[t] if close is not None else 0.0
        position[t] = state
    return position


class StrategySource(SignalSource):
    """Wraps the Freqtrade strategy ``strategy_name`` (see the module docstring)."""

    needs_context = True
    strategy_name: ClassVar[str]
    #: The folder holding the strategy; None: Freqtrade's bundled templates.
    strategy_path: ClassVar[str | None]

    def __init__(self, context: SourceContext) -> None:
        self.context = context

    @cached_property
    def strategy(self) -> IStrategy:
        """The wrapped Freqtrade strategy, loaded on first use (once per source instance)."""
        return StrategyResolver.load_strategy(
            {
                "strategy": self.strategy_name,
                "strategy_path": self.strategy_path or str(_templates_dir()),
                "user_data_dir": Path("user_data"),
                "timeframe": self.context.timeframe,
                "stake_currency": self.context.pair.split("/")[-1].split(":")[0] or "USDT",
                "recursive_strategy_search": False,
            }
        )

    @property
    def startup_candles(self) -> int:
        return int(self.strategy.startup_candle_count)

    def compute(self, candles: pd.DataFrame) -> pd.DataFrame:
        metadata = {"pair": self.context.pair}
        frame = self.strategy.advise_indicators(candles.copy(), metadata)
        frame = self.strategy.advise_exit(self.strategy.advise_entry(frame, metadata), metadata)
        position = position_from_signals(
            frame,
            candles["close"].to_numpy(dtype="float64"),
            self.strategy.minimal_roi,
            self.strategy.stoploss,
            timeframe_to_minutes(self.context.timeframe),
            can_short=bool(self.strategy.can_short),
        )
        known = np.arange(len(candles)) >= self.startup_candles
        return signal_frame(candles.index, position, np.ones(len(candles)), known)


def register_strategy(
    strategy_name: str, strategy_path: Path | None, *, description: str = ""
) -> type[StrategySource]:
    """Register Freqtrade strategy ``strategy_name`` (found in ``strategy_path``; None: among
    Freqtrade's bundled templates) as source ``strategy_<snake_case_name>-v1``; returns the new
    source class."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", strategy_name).lower()
    attrs: dict[str, Any] = {
        "name": f"strategy_{snake}",
        "version": 1,
        "strategy_name": strategy_name,
        "strategy_path": None if strategy_path is None else str(strategy_path),
        "__doc__": f"Freqtrade strategy {strategy_name} as a source.",
    }
    source_class = type(f"{strategy_name}Source", (StrategySource,), attrs)
    register(
        source_class,
        family="wrapped",
        description=description or f"position of Freqtrade strategy {strategy_name}",
    )
    return source_class


def register_wrapped(config: dict[str, Any]) -> list[str]:
    """Register the strategies ``meta_rl.wrap_strategies`` names (found in the config's
    ``strategy_path``) as sources, so that ``meta_rl.sources`` may name them; idempotent.
    Called explicitly at strategy start-up (:func:`meta_agent.config.validate_freqtrade_config`)
    and by every command that validates a config without a strategy."""
    section = config.get("meta_rl", {})
    names = section.get("wrap_strategies", []) if isinstance(section, dict) else []
    path = Path(config.get("strategy_path") or "strategies")
    return [ensure_wrapped(name, path) for name in names]


def ensure_wrapped(strategy_name: str, strategy_path: Path) -> str:
    """Register ``strategy_name`` unless it already is; returns its source id."""
    from meta_agent.signals.registry import list_sources

    for spec in list_sources():
        source_class = spec.source_class
        if getattr(source_class, "strategy_name", None) == strategy_name:
            return spec.source_id
    return f"{register_strategy(strategy_name, strategy_path).name}-v1"


# A built-in source like the others: declaring it reads nothing; Freqtrade's bundled template is
# found and loaded when a source instance first computes.
register_strategy(
    "SampleStrategy",
    None,
    description="Freqtrade's bundled SampleStrategy (RSI / TEMA / Bollinger) as a position",
)
