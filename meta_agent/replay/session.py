"""A replay for a manual dry-run: ``python -m meta_agent replay``.

Sets up what :mod:`tests.replay.test_live_replay` sets up for its bot, from the imported data:

- a user data folder whose candles and external series end where the replay starts (the history
  a bot has when it goes live), every timeframe imported for the pairs;
- a config file to lay over the user's own (``--config config.json --config <it>``): ccxt sent
  to the replay exchange, the pairs, that data folder, and the live feed reduced to the Fear &
  Greed index, which the replay exchange serves day by day (the other providers need the
  internet: their sources read ``available`` 0 in a replay);
- the replay exchange itself (:class:`~meta_agent.replay.exchange.ReplayExchange`), serving the
  recorded candles until Ctrl-C; the bot moves its clock one candle per iteration
  (``python -m meta_agent freqtrade --replay URL -- trade ...``).
"""

from __future__ import annotations

import json
import shlex
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from meta_agent.data.importer import pair_stem
from meta_agent.errors import ReplayError
from meta_agent.replay.exchange import ReplayExchange

#: The timeframe the replay exchange records and advances by.
TIMEFRAME = "1h"
FEAR_GREED_FILE = "fear_and_greed.feather"


@dataclass(frozen=True)
class ReplaySetup:
    """Where a prepared replay lives.

    Attributes:
        userdir: The replay's user data folder (``--userdir`` of the trade command).
        config: The config file to lay over the user's own.
        database: The replay's trade database.
    """

    userdir: Path
    config: Path
    database: Path

    def trade_command(self, url: str, configs: Sequence[Path]) -> list[str]:
        """The command that runs ``freqtrade trade`` (dry-run) on the replay at ``url``."""
        config_args = [arg for path in (*configs, self.config) for arg in ("--config", str(path))]
        return [
            "python",
            "-m",
            "meta_agent",
            "freqtrade",
            "--replay",
            url,
            "--",
            "trade",
            *config_args,
            "--userdir",
            str(self.userdir),
            "--db-url",
            f"sqlite:///{self.database}",
        ]


def recorded_candles(datadir: Path, pairs: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The imported ``1h`` candles of ``pairs`` from ``<datadir>/kraken``."""
    candles = {}
    for pair in pairs:
        path = datadir / "kraken" / f"{pair_stem(pair)}-{TIMEFRAME}.feather"
        if not path.is_file():
            raise ReplayError(
                f"No {TIMEFRAME} candles for {pair}: {path} does not exist. Import the data "
                "first (`python -m meta_agent data import`) or pick pairs that have some."
            )
        candles[pair] = pd.read_feather(path)
    return candles


def check_span(candles: dict[str, pd.DataFrame], start: datetime, end: datetime) -> None:
    """Refuse a replay the recorded candles do not cover (naming the pair and its span)."""
    for pair, frame in candles.items():
        first, last = frame["date"].min(), frame["date"].max()
        if first >= pd.Timestamp(start) or last < pd.Timestamp(end) - timedelta(hours=1):
            raise ReplayError(
                f"The recorded candles of {pair} span {first} to {last}: they must start before "
                f"the replay's start {start} and reach its end {end}."
            )


def prepare(
    datadir: Path, userdir: Path, pairs: Sequence[str], start: datetime, exchange: ReplayExchange
) -> ReplaySetup:
    """Write the replay's user data folder and config (see the module docstring)."""
    cut = pd.Timestamp(start)
    data = userdir / "data"
    for folder in (data / "kraken", data / "external", userdir / "models", userdir / "logs"):
        folder.mkdir(parents=True, exist_ok=True)
    candles = [
        path for pair in pairs for path in (datadir / "kraken").glob(f"{pair_stem(pair)}-*.feather")
    ]
    reference = datadir.glob("binance/**/*.feather")  # the derivatives sources' market
    for path in sorted([*candles, *reference]):  # candles that opened before the start
        _copy_before(path, data / path.relative_to(datadir), "date", cut)
    for path in sorted((datadir / "external").glob("*.feather")):  # rows known at the start
        _copy_before(path, data / "external" / path.name, "available_at", cut, inclusive=True)
    config = userdir / "replay.json"
    config.write_text(json.dumps(overlay(exchange, pairs, userdir), indent=1) + "\n")
    return ReplaySetup(userdir, config, userdir / "trades.sqlite")


def _copy_before(
    source: Path, target: Path, column: str, cut: pd.Timestamp, inclusive: bool = False
) -> None:
    """Write the rows of ``source`` whose ``column`` is before ``cut`` (or at it, with
    ``inclusive``) to ``target``; a frame without ``column`` is copied whole."""
    frame = pd.read_feather(source)
    if column in frame.columns:
        kept = frame[column] <= cut if inclusive else frame[column] < cut
        frame = frame[kept].reset_index(drop=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_feather(target)


def overlay(exchange: ReplayExchange, pairs: Sequence[str], userdir: Path) -> dict[str, Any]:
    """The config laid over the user's: ccxt, pairs, data and the live feed of the replay."""
    ccxt = {**exchange.ccxt_urls(), "enableRateLimit": False}
    return {
        "dry_run": True,
        "datadir": str(userdir / "data" / "kraken"),
        "exchange": {
            "name": "kraken",
            "pair_whitelist": list(pairs),
            "ccxt_config": ccxt,
            "ccxt_async_config": ccxt,
        },
        "meta_rl": {
            "data_root": str(userdir / "data"),
            "live_feeds": {"providers": ["fear_greed"], "fear_greed_url": exchange.fear_greed_url},
        },
    }


def served_fear_greed(datadir: Path) -> pd.DataFrame | None:
    """The imported Fear & Greed days in alternative.me's layout, or None without them."""
    path = datadir / "external" / FEAR_GREED_FILE
    if not path.is_file():
        return None
    frame = pd.read_feather(path)
    return frame.rename(columns={"classification": "value_classification"})


def run(
    *,
    datadir: Path,
    userdir: Path,
    pairs: Sequence[str],
    start: datetime,
    hours: int,
    configs: Sequence[Path],
    port: int,
) -> int:
    """Prepare the replay, print the trade command and serve until Ctrl-C."""
    end = start + timedelta(hours=hours)
    candles = recorded_candles(datadir, pairs)
    check_span(candles, start, end)
    exchange = ReplayExchange(
        candles, start=start, end=end, fear_greed=served_fear_greed(datadir), port=port
    )
    with exchange:
        try:  # from here on Ctrl-C is the normal way out
            setup = prepare(datadir, userdir, pairs, start, exchange)
            command = shlex.join(setup.trade_command(exchange.url, configs))
            print(
                f"Replay exchange on {exchange.url}: {', '.join(pairs)} from "
                f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({hours} candles of "
                f"{TIMEFRAME}).\nHistory up to the start is in {setup.userdir}; the config to lay "
                f"over yours is {setup.config}.\nIn another terminal, from the project root:\n\n"
                f"  {command}\n\nThe bot advances the clock one candle per iteration and stops "
                "at the end. Ctrl-C here stops the exchange.",
                flush=True,
            )
            threading.Event().wait()  # the exchange serves in its own thread
        except KeyboardInterrupt:
            print(f"\nStopped at {exchange.now:%Y-%m-%d %H:%M} UTC.", file=sys.stderr)
    return 0
