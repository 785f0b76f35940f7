"""Find the standalone source strategies in a strategy folder through Freqtrade's resolver.

The folder is always given (the config's ``strategy_path``, as Freqtrade reads it): the library
never looks for the project's ``strategies/`` beside its own source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from freqtrade.resolvers import StrategyResolver

from meta_agent.errors import ConfigError
from meta_agent.strategy.standalone import SourceStrategy


def strategy_dir(config: dict[str, Any]) -> Path:
    """The config's ``strategy_path`` (relative to the working directory, as for Freqtrade)."""
    path = config.get("strategy_path")
    if not path:
        raise ConfigError(
            "`strategy_path` is not set: name the folder of the strategies (e.g. `strategies/`)."
        )
    return Path(path)


def standalone_strategies(directory: Path) -> dict[str, str]:
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
