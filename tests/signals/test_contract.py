"""The signal contract, checked at the boundary, and contract tests over the whole registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from meta_agent.errors import SignalContractError, UnknownSourceError
from meta_agent.signals import (
    SourceContext,
    check_signal_frame,
    list_sources,
    make,
    register,
    spec,
    unavailable_frame,
)
from meta_agent.signals.trend import TrendSource

INDEX = pd.RangeIndex(4)


def valid_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "score": [0.0, 0.5, -1.0, 1.0],
            "confidence": [0.0, 0.2, 1.0, 0.7],
            "available": [False, True, True, True],
        },
        index=INDEX,
    )


def test_valid_frame_passes_with_canonical_dtypes() -> None:
    checked = check_signal_frame(valid_frame(), "x-v1", INDEX)
    assert list(checked.columns) == ["score", "confidence", "available"]
    assert checked["available"].dtype == bool
    assert checked["score"].dtype == np.float64


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns="confidence"), "no column(s) ['confidence']"),
        (lambda f: f.assign(score=[0.0, np.nan, 0.1, 0.2]), "column 'score' has NaN"),
        (lambda f: f.assign(score=[0.0, 1.5, 0.1, 0.2]), "column 'score' must lie in [-1.0, 1.0]"),
        (lambda f: f.assign(confidence=[0.0, -0.1, 0, 0]), "column 'confidence' must lie in"),
        (lambda f: f.assign(available=[1, 1, 1, 1]), "column 'available' must be bool"),
        (lambda f: f.assign(score=[0.3, 0.5, -1.0, 1.0]), "must be 0 where available is False"),
        (lambda f: f.set_axis(pd.RangeIndex(1, 5)), "index must equal the candles' index"),
    ],
)
def test_violations_name_source_and_column(mutate, message: str) -> None:
    with pytest.raises(SignalContractError) as err:
        check_signal_frame(mutate(valid_frame()), "broken-v1", INDEX)
    assert "'broken-v1'" in str(err.value)
    assert message in str(err.value)


def test_unavailable_frame_is_valid_and_knows_nothing() -> None:
    frame = check_signal_frame(unavailable_frame(INDEX), "x-v1", INDEX)
    assert not frame["available"].any()
    assert (frame[["score", "confidence"]] == 0).all().all()


def test_unknown_id_suggests_the_closest() -> None:
    with pytest.raises(UnknownSourceError, match="Did you mean 'trend-v1'"):
        spec("trend-v2")


def test_registering_an_id_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(TrendSource, family="technical", description="again")


# --- Contract tests, parametrized over every registered source --------------------------------
SOURCE_IDS = [s.source_id for s in list_sources()]


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_source_output_meets_the_contract(
    source_id: str, btc_candles: pd.DataFrame, btc_context: SourceContext
) -> None:
    source = make(source_id, context=btc_context)
    frame = source.signal(btc_candles)  # signal() checks ranges, NaN, dtypes, idle zeros
    assert frame.index.equals(btc_candles.index)
    assert list(frame.columns) == [
        f"{source_id}__{f}" for f in ("score", "confidence", "available")
    ]
    available = frame[f"{source_id}__available"]
    assert available.any(), "every source knows something about these 18 months"
    assert not available.iloc[: source.startup_candles].any()
    assert frame[f"{source_id}__score"][available].abs().max() > 0.1, "a source must lean"


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_source_is_deterministic(
    source_id: str, btc_candles: pd.DataFrame, btc_context: SourceContext
) -> None:
    first = make(source_id, context=btc_context).signal(btc_candles)
    pd.testing.assert_frame_equal(first, make(source_id, context=btc_context).signal(btc_candles))


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_source_is_prefix_invariant(
    source_id: str, btc_candles: pd.DataFrame, btc_context: SourceContext
) -> None:
    """compute(df[:t]) == compute(df)[:t]: no row looks at later candles."""
    source = make(source_id, context=btc_context)
    full = source.signal(btc_candles)
    for t in (500, 2000, 6000, 9000, len(btc_candles) - 1):
        pd.testing.assert_frame_equal(source.signal(btc_candles.iloc[:t]), full.iloc[:t])


def test_external_source_without_context_is_refused() -> None:
    with pytest.raises(ValueError, match="pass a SourceContext"):
        make("funding-v1")
