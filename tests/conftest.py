"""Shared fixtures: the real market data beside the project (../shared/data)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from meta_agent.data.importer import import_data
from meta_agent.feeds.store import StoreFeed
from meta_agent.signals import SourceContext

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def sb3_log_folder() -> Iterator[Path]:
    """One folder, removed after the session, for the log folder Stable-Baselines3 makes per
    training (``SB3-<time>`` in the system temp dir unless ``SB3_LOGDIR`` is set); Freqtrade
    and Ray processes the tests start inherit it."""
    previous = os.environ.get("SB3_LOGDIR")
    with tempfile.TemporaryDirectory(prefix="metarl-tests-sb3-") as folder:
        os.environ["SB3_LOGDIR"] = folder
        try:
            yield Path(folder)
        finally:
            if previous is None:
                os.environ.pop("SB3_LOGDIR", None)
            else:
                os.environ["SB3_LOGDIR"] = previous


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; its absence is a loud failure, not a skip."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"Real market data expected at {SHARED_DATA} (see ../shared/data/README.md).")
    return SHARED_DATA


@pytest.fixture(scope="session")
def imported(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datadir imported once per session from the real data (``<tmp>/data``)."""
    datadir = tmp_path_factory.mktemp("import") / "data"
    import_data(shared_data, datadir)
    return datadir


@pytest.fixture(scope="session")
def btc_candles(shared_data: Path) -> pd.DataFrame:
    """Binance BTC/USDT 1h candles, 2021-01 to 2022-06 (real data): every source's data
    (social index until 2021-05, headlines from 2021-10) overlaps this span."""
    frame = pd.read_feather(shared_data / "binance" / "BTC_USDT-1h.feather")
    span = frame[(frame["date"] >= "2021-01-01") & (frame["date"] < "2022-07-01")]
    return span.reset_index(drop=True)


@pytest.fixture(scope="session")
def btc_context(imported: Path) -> SourceContext:
    return SourceContext("BTC/USDT", "1h", StoreFeed(imported))
