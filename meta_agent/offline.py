"""Run Freqtrade offline: exchange markets come from a pinned snapshot instead of the network.

Freqtrade loads the exchange's markets over the network at start-up, even for a backtest. Inside
:func:`offline_markets` only that market loading (and, for exchanges whose snapshot carries
them, the leverage tiers) is replaced; every other part of Freqtrade runs its real code path.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from freqtrade.exchange.exchange import Exchange

from meta_agent.errors import SnapshotError

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
_REQUIRED_MARKET_KEYS = ("id", "symbol", "base", "quote", "type", "precision", "limits", "taker")


@dataclass(frozen=True)
class MarketSnapshot:
    """Markets of one exchange in ccxt's unified layout, keyed by symbol."""

    exchange: str
    markets: dict[str, dict[str, Any]]
    leverage_tiers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    note: str = ""


def snapshot_path(exchange: str, directory: Path = SNAPSHOT_DIR) -> Path:
    """Where the snapshot of ``exchange`` (a ccxt id such as ``kraken``) lives."""
    return directory / f"{exchange}.json"


def load_snapshot(exchange: str, directory: Path = SNAPSHOT_DIR) -> MarketSnapshot:
    """Read and check the snapshot of ``exchange``; errors name the file and the market."""
    path = snapshot_path(exchange, directory)
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.json"))
        raise SnapshotError(
            f"No market snapshot for exchange '{exchange}' ({path} missing). "
            f"Snapshots exist for: {', '.join(known) or 'none'}. Record one with "
            f"`python -m meta_agent snapshot record --exchange {exchange} --pairs ...` online."
        )
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise SnapshotError(f"{path}:{err.lineno}: invalid JSON ({err.msg}).") from None
    markets = doc.get("markets")
    if not isinstance(markets, dict) or not markets:
        raise SnapshotError(f"{path}: expected a non-empty object under 'markets'.")
    for symbol, market in markets.items():
        missing = [key for key in _REQUIRED_MARKET_KEYS if key not in market]
        if missing:
            raise SnapshotError(f"{path}: market '{symbol}' lacks key(s) {missing}.")
        if market["symbol"] != symbol:
            raise SnapshotError(
                f"{path}: market key '{symbol}' differs from its symbol '{market['symbol']}'."
            )
    return MarketSnapshot(
        exchange=doc.get("exchange", exchange),
        markets=markets,
        leverage_tiers=doc.get("leverage_tiers", {}),
        note=doc.get("note", ""),
    )


@contextmanager
def offline_markets(directory: Path = SNAPSHOT_DIR) -> Iterator[None]:
    """Within this context every Freqtrade ``Exchange`` takes its markets from the snapshot."""
    original_tiers = Exchange.load_leverage_tiers

    def load_markets(self: Exchange, reload: bool = False) -> None:
        snapshot = load_snapshot(self._api_async.id, directory)
        self._api_async.set_markets(list(snapshot.markets.values()))

    def load_leverage_tiers(self: Exchange) -> dict[str, list[dict]]:
        snapshot = load_snapshot(self._api_async.id, directory)
        if snapshot.leverage_tiers:
            return snapshot.leverage_tiers
        # e.g. Binance ships its own tier file that Freqtrade reads in dry-run/backtests.
        return original_tiers(self)

    with (
        mock.patch.object(Exchange, "_load_async_markets", load_markets),
        mock.patch.object(Exchange, "load_leverage_tiers", load_leverage_tiers),
    ):
        yield


def record_snapshot(exchange: str, pairs: list[str], directory: Path = SNAPSHOT_DIR) -> Path:
    """Fetch ``pairs`` of ``exchange`` from the live exchange via ccxt and write the snapshot.

    Needs network access; used to refresh the pinned files, never by tests or backtests.
    """
    import ccxt

    api = getattr(ccxt, exchange)()
    markets = api.load_markets()
    missing = [pair for pair in pairs if pair not in markets]
    if missing:
        raise SnapshotError(f"Exchange '{exchange}' has no market(s) {missing}.")
    doc: dict[str, Any] = {
        "exchange": exchange,
        "note": f"Recorded from {exchange} with ccxt {ccxt.__version__}.",
        "markets": {pair: markets[pair] for pair in pairs},
    }
    if api.has.get("fetchLeverageTiers") and any(markets[p].get("contract") for p in pairs):
        tiers = api.fetch_leverage_tiers([p for p in pairs if markets[p].get("contract")])
        doc["leverage_tiers"] = tiers
    path = snapshot_path(exchange, directory)
    path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    return path


def freqtrade_command(args: list[str], replay: str | None = None) -> list[str]:
    """``python -m meta_agent freqtrade --offline -- ARGS``: Freqtrade's CLI in a subprocess of
    this interpreter, markets from the snapshots (``replay``: the URL of a replayed exchange
    API instead, ``--replay URL``)."""
    mode = ["--offline"] if replay is None else ["--replay", replay]
    return [sys.executable, "-m", "meta_agent", "freqtrade", *mode, "--", *args]


def backtest_command(args: list[str]) -> list[str]:
    """``python -m meta_agent freqtrade --offline -- backtesting ARGS``."""
    return freqtrade_command(["backtesting", *args])
