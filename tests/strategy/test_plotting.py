"""MetaRL's plot_config, as FreqUI and plot-dataframe read it."""

from __future__ import annotations

from meta_agent.strategy.plotting import plot_config


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
