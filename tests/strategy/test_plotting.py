"""MetaRL's plot_config, as FreqUI and plot-dataframe read it."""

from __future__ import annotations

import pandas as pd

from meta_agent.strategy.plotting import plot_config, without_label_statistics


def test_exposure_and_one_attribution_line_per_group() -> None:
    config = plot_config(["trend-v1", "funding-v1"])
    assert list(config["subplots"]["exposure"]) == ["&-action"]
    assert list(config["subplots"]["attribution"]) == [
        "%%-attr_trend-v1",
        "%%-attr_funding-v1",
        "%%-attr_context",
        "%%-attr_position",
    ]


def test_one_signal_line_per_source() -> None:
    config = plot_config(["trend-v1", "funding-v1"])
    assert list(config["subplots"]["signals"]) == [
        "%%-trend-v1__score",
        "%%-funding-v1__score",
    ]


def test_label_statistics_of_the_action_and_attributions_are_dropped() -> None:
    frame = pd.DataFrame(
        columns=[
            "close",
            "&-action",
            "&-action_mean",
            "&-action_std",
            "%%-attr_trend-v1",
            "%%-attr_trend-v1_mean",
            "%%-attr_trend-v1_std",
            "volume_mean",
            "do_predict",
        ]
    )
    kept = without_label_statistics(frame)
    assert list(kept.columns) == [
        "close",
        "&-action",
        "%%-attr_trend-v1",
        "volume_mean",
        "do_predict",
    ]
