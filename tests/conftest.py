"""Shared fixtures: the real market data beside the project (../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; its absence is a loud failure, not a skip."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"Real market data expected at {SHARED_DATA} (see ../shared/data/README.md).")
    return SHARED_DATA


@pytest.fixture(scope="session")
def btc_candles(shared_data: Path) -> pd.DataFrame:
    """Binance BTC/USDT 1h candles, 2022 (real data), in Freqtrade's layout."""
    frame = pd.read_feather(shared_data / "binance" / "BTC_USDT-1h.feather")
    year = frame[(frame["date"] >= "2022-01-01") & (frame["date"] < "2023-01-01")]
    return year.reset_index(drop=True)
