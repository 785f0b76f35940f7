"""Does the imported data cover what a backtest asks for? Checked before any training, so a
gap is an error naming the file instead of a failure deep inside FreqAI or a source of zeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from freqtrade.configuration import TimeRange
from freqtrade.data.history import get_datahandler
from freqtrade.enums import CandleType

from meta_agent.data.importer import pair_filename
from meta_agent.errors import ConfigError

#: Reference-market candles each derivatives source reads: (market kind, candle type).
REFERENCE_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "funding-v1": (("perp", "funding_rate"),),
    "basis-v1": (("perp", "futures"), ("spot", "spot")),
}

#: Candle types only a perpetual has: one of its files shows the market exists.
PERP_CANDLE_TYPES = ("futures", "funding_rate", "mark")


def candle_path(datadir: Path, pair: str, timeframe: str, candle_type: CandleType) -> Path:
    """Where Freqtrade keeps the feather candles of ``pair`` (futures types under futures/)."""
    if candle_type == CandleType.SPOT:
        return datadir / pair_filename(pair, timeframe)
    return datadir / "futures" / pair_filename(pair, timeframe, f"-{candle_type.value}")


def check_timerange_covered(
    datadir: Path,
    pairs: Iterable[str],
    timeframe: str,
    candle_type: CandleType,
    timerange: str,
) -> None:
    """Refuse a timerange that starts after a pair's candles end, naming the file and its end."""
    start = TimeRange.parse_timerange(timerange)
    if not start.starttype:
        return
    handler = get_datahandler(datadir, "feather")
    for pair in pairs:
        _, last, rows = handler.ohlcv_data_min_max(pair, timeframe, candle_type)
        if rows and start.startdt > last:
            raise ConfigError(
                f"`timerange` = {timerange!r} starts {start.startdt:%Y-%m-%d %H:%M} UTC, after "
                f"the data ends: {candle_path(datadir, pair, timeframe, candle_type)} ({pair} "
                f"{timeframe}) ends {last:%Y-%m-%d %H:%M} UTC. Choose a timerange within the "
                "data, or import or download later candles."
            )


def check_reference_markets(
    reference_dir: Path,
    sources: Iterable[str],
    bases: Iterable[str],
    listed: Mapping[str, object],
    quote: str = "USDT",
) -> None:
    """Refuse a backtest whose derivatives sources would read a missing reference file.

    A base currency's perpetual is expected when any of its files exist, or when it is
    ``listed`` (the reference exchange's pinned markets) and ``reference_dir`` holds data at
    all; a base without a perpetual (DOGE on Binance here) leaves its sources unavailable.
    """
    needs = [need for source in sources for need in REFERENCE_NEEDS.get(source, ())]
    if not needs:
        return
    for base in sorted(set(bases)):
        markets = {"perp": f"{base}/{quote}:{quote}", "spot": f"{base}/{quote}"}
        paths = {
            need: candle_path(reference_dir, markets[need[0]], "1h", CandleType(need[1]))
            for need in needs
        }
        perp_files = [
            candle_path(reference_dir, markets["perp"], "1h", CandleType(kind))
            for kind in PERP_CANDLE_TYPES
        ]
        expected = any(path.is_file() for path in perp_files) or (
            markets["perp"] in listed and _holds_candles(reference_dir)
        )
        missing = [str(path) for path in paths.values() if not path.is_file()]
        if expected and missing:
            raise ConfigError(
                f"{missing[0]} is missing: the derivatives sources "
                f"{sorted(set(sources) & set(REFERENCE_NEEDS))} read it for {base} pairs "
                "(`meta_rl.sources`). Import or download it (`python -m meta_agent data "
                "import`, `freqtrade download-data --trading-mode futures`), or drop those "
                "sources."
            )


def _holds_candles(reference_dir: Path) -> bool:
    """Whether ``reference_dir`` holds any candle file: Freqtrade creates an empty
    ``<datadir>/<exchange>`` folder whenever it loads a config, which says nothing."""
    return reference_dir.is_dir() and any(reference_dir.rglob("*-1h*"))
