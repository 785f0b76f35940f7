"""Find the standalone source strategies in ``strategies/`` through Freqtrade's resolver."""

from __future__ import annotations

from pathlib import Path

from freqtrade.resolvers import StrategyResolver

from meta_agent.strategy.standalone import SourceStrategy

STRATEGY_DIR = Path(__file__).resolve().parents[2] / "strategies"


def standalone_strategies(directory: Path = STRATEGY_DIR) -> dict[str, str]:
    """``{strategy class name: source id}`` of every SourceStrategy in ``directory``."""
    found = StrategyResolver.search_all_objects(
        {
            "strategy_path": str(directory),
            "recursive_strategy_search": False,
            "user_data_dir": directory.parent / "user_data",
        },
        enum_failed=False,
    )
    return {
        entry["name"]: entry["class"].source_id
        for entry in sorted(found, key=lambda e: e["name"])
        if issubclass(entry["class"], SourceStrategy)
    }
