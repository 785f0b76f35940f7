"""MetaRL's ``plot_config``: what FreqUI and ``freqtrade plot-dataframe`` draw."""

from __future__ import annotations

from typing import Any

from pandas import DataFrame

from meta_agent.columns import (
    ATTRIBUTION_PREFIX,
    CONTEXT,
    POSITION,
    SIGNAL_PREFIX,
    TARGET,
    attribution_column,
    signal_column,
)

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
)


def plot_config(sources: list[str]) -> dict[str, Any]:
    """Subplots: the target exposure, each source's score (signed lean x strength; 0 where the
    source is unavailable), and the signed attribution of each source, the context and the
    position block to the decision (one line each). No ``type``: both FreqUI and
    ``plot-dataframe`` draw lines by default, and ``plot-dataframe`` fails on ``"line"``."""
    signals = {
        signal_column(source, "score", SIGNAL_PREFIX): {"color": PALETTE[i % len(PALETTE)]}
        for i, source in enumerate(sources)
    }
    groups = [*sources, CONTEXT, POSITION]
    attribution = {
        attribution_column(name): {"color": PALETTE[i % len(PALETTE)]}
        for i, name in enumerate(groups)
    }
    return {
        "main_plot": {},
        "subplots": {
            "exposure": {TARGET: {"color": "#2962ff"}},
            "signals": signals,
            "attribution": attribution,
        },
    }


def without_label_statistics(dataframe: DataFrame) -> DataFrame:
    """``dataframe`` without FreqAI's ``<label>_mean`` / ``<label>_std`` columns of ``&-action``
    and the attributions: FreqAI adds them for regressors' training-label statistics; for an RL
    action they are constants (0) that FreqUI and ``pair_candles`` would list as indicators."""
    predicted = [c for c in dataframe.columns if c.startswith(("&", ATTRIBUTION_PREFIX))]
    statistics = [
        f"{column}_{stat}"
        for column in predicted
        for stat in ("mean", "std")
        if f"{column}_{stat}" in dataframe.columns
    ]
    return dataframe.drop(columns=statistics)
