"""MetaRL's feature frame: every source through its configured parameters, time, context."""

from __future__ import annotations

import numpy as np
import pandas as pd

from meta_agent.signals import SourceContext
from meta_agent.strategy.features import signal_features, time_features
from tests.signals.test_faults import FrameFeed, fear_greed, hourly


def test_configured_max_age_reaches_the_source() -> None:
    context = SourceContext(
        "BTC/USD", "1h", FrameFeed({"fear_and_greed": fear_greed(["2022-01-01"], [90.0])})
    )
    candles = hourly("2022-01-05 00:00", 3)  # 3-4 days after the only value
    default = signal_features(candles, ["fear_greed-v1"], context)
    patient = signal_features(
        candles, ["fear_greed-v1"], context, {"fear_greed-v1": {"max_age": "7D"}}
    )
    assert (default["%-fear_greed-v1__available"] == 0).all()
    assert (patient["%-fear_greed-v1__available"] == 1).all()


def test_time_features_are_on_the_unit_circle() -> None:
    frame = time_features(hourly("2022-01-03 00:00", 48))  # a Monday
    np.testing.assert_allclose(frame["%-hour_sin"] ** 2 + frame["%-hour_cos"] ** 2, 1.0)
    assert frame["%-hour_sin"].iloc[6] == 1.0  # 06:00
    assert frame["%-weekday_sin"].iloc[0] == 0.0 and frame["%-weekday_cos"].iloc[0] == 1.0
    assert isinstance(frame, pd.DataFrame)


def test_dates_held_as_objects_are_read_as_utc() -> None:
    """A live bot's retraining frame: stored history plus appended exchange candles."""
    dates = pd.date_range("2022-11-05", periods=3, freq="1h", tz="UTC")
    frame = pd.DataFrame({"date": pd.Series(list(dates), dtype=object)})
    expected = time_features(pd.DataFrame({"date": dates}))
    pd.testing.assert_frame_equal(time_features(frame), expected)
