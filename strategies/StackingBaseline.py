"""Baseline: a walk-forward logistic regression on the same signals as MetaRL.

Logic in ``meta_agent.strategy.stacking``; traded with MetaRL's exposure mechanics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pandas import DataFrame

from meta_agent.strategy.exposure import TargetExposureStrategy
from meta_agent.strategy.features import source_features, startup_candles
from meta_agent.strategy.stacking import nearest_level, walk_forward_probability


class StackingBaseline(TargetExposureStrategy):
    target_column = "stack_target"
    valid_column = "stack_valid"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.levels = self.meta_config.levels_for(config.get("trading_mode", "spot"))
        self.startup_candle_count = startup_candles(
            self.sources_for(pair=""), config.get("timeframe", self.timeframe), []
        )

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        features = source_features(dataframe, self.sources_for(metadata["pair"]))
        probability = walk_forward_probability(features, dataframe["close"], dataframe["date"])
        target = nearest_level(probability, self.levels)
        dataframe["stack_probability"] = probability
        dataframe["stack_target"] = np.nan_to_num(target)
        dataframe["stack_valid"] = np.isfinite(target).astype(int)
        return dataframe
