"""The stacking baseline: walk-forward without lookahead, learns signal, maps to levels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.strategy.stacking import nearest_level, walk_forward_probability


def world(n: int = 24 * 200, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """A feature that says where the price will be 24 candles later, and a noise feature."""
    rng = np.random.default_rng(seed)
    direction = np.repeat(rng.choice([-1.0, 1.0], n // 24 + 1), 24)[:n]
    steps = 0.001 * np.roll(direction, -1) + rng.normal(0, 0.001, n)
    close = pd.Series(100 * np.exp(np.cumsum(steps)))
    features = pd.DataFrame({"%-hint": np.roll(direction, -1), "%-noise": rng.normal(size=n)})
    dates = pd.Series(pd.date_range("2021-01-01", periods=n, freq="1h", tz="UTC"))
    return features, close, dates


def test_outcomes_after_a_row_never_change_its_probability() -> None:
    features, close, dates = world()
    full = walk_forward_probability(features, close, dates)
    for t in (24 * 100, 24 * 150 + 7, len(close) - 1):
        prefix = walk_forward_probability(features[:t], close[:t], dates[:t])
        np.testing.assert_array_equal(prefix, full[:t])
    shocked = close.copy()
    shocked.iloc[24 * 150 :] *= 10  # a future shock
    before = walk_forward_probability(features, shocked, dates)[: 24 * 150]
    np.testing.assert_array_equal(before, full[: 24 * 150])


def test_learns_the_informative_feature() -> None:
    features, close, dates = world()
    probability = walk_forward_probability(features, close, dates)
    fitted = np.isfinite(probability)
    assert fitted[: 24 * 30].sum() == 0, "no model before enough history"
    assert fitted[-24 * 30 :].all()
    hint = features["%-hint"].to_numpy()
    assert (probability[fitted & (hint > 0)] > 0.5).mean() > 0.9
    assert (probability[fitted & (hint < 0)] < 0.5).mean() > 0.9


def test_probability_maps_to_the_nearest_allowed_level() -> None:
    levels = (0.0, 0.5, 1.0)
    mapped = nearest_level(np.array([0.1, 0.6, 0.74, 0.9, np.nan]), levels)
    np.testing.assert_array_equal(mapped[:4], [0.0, 0.0, 0.5, 1.0])
    assert np.isnan(mapped[4])
