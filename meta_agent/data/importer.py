"""``python -m meta_agent data import``: build a Freqtrade datadir from a local data folder.

Everything is read and checked before anything is written, and each output file is replaced
atomically, so a malformed input leaves previously imported data untouched and a re-run
produces identical files.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from meta_agent.data.external import EXTERNAL_SERIES, check_series, external_path
from meta_agent.data.kraken import OHLCV, read_kraken_ohlcvt, resample_complete
from meta_agent.errors import DataImportError

logger = logging.getLogger(__name__)

#: Kraken's file stems and the Freqtrade pair names they become.
KRAKEN_PAIRS: dict[str, str] = {
    "XBTUSD": "BTC/USD",
    "ETHUSD": "ETH/USD",
    "XRPUSD": "XRP/USD",
    "XDGUSD": "DOGE/USD",
}
RESAMPLED_TIMEFRAMES: tuple[str, ...] = ("4h", "1d")


@dataclass
class ImportReport:
    """What an import wrote: one line per output file."""

    written: list[str] = field(default_factory=list)

    def add(self, path: Path, rows: int, span: str = "") -> None:
        self.written.append(f"{path} ({rows} rows{', ' + span if span else ''})")


def pair_stem(pair: str) -> str:
    """``pair`` as Freqtrade writes it in file names: ``BTC/USDT:USDT`` -> ``BTC_USDT_USDT``."""
    return pair.replace("/", "_").replace(":", "_")


def pair_filename(pair: str, timeframe: str, suffix: str = "") -> str:
    """Freqtrade's file name for ``pair``: ``BTC/USD`` -> ``BTC_USD-1h.feather``."""
    return f"{pair_stem(pair)}-{timeframe}{suffix}.feather"


def _write_feather_atomic(frame: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.reset_index(drop=True).to_feather(tmp, compression="lz4")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_candle_feather(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_feather(path)
    except Exception as err:
        raise DataImportError(f"{path}: not a readable feather file ({err}).") from None
    missing = [col for col in OHLCV if col not in frame.columns]
    if missing:
        raise DataImportError(
            f"{path}: expected Freqtrade candle columns {OHLCV}; missing {missing}."
        )
    if frame.empty:
        raise DataImportError(f"{path}: no candles; expected at least one row.")
    return frame


def _span(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "empty"
    return f"{frame['date'].iloc[0]:%Y-%m-%d %H:%M} .. {frame['date'].iloc[-1]:%Y-%m-%d %H:%M}"


def import_data(source: Path, datadir: Path) -> ImportReport:
    """Import every known input under ``source`` into the Freqtrade datadir ``datadir``.

    Kraken OHLCVT CSVs become ``kraken/<PAIR>-{1h,4h,1d}.feather``; Binance feathers are placed
    in ``binance/`` and ``binance/futures/``, with 4h and 1d resamples of the spot and perpetual
    price candles; external series go to ``external/``. Inputs that
    are absent are skipped with a log line; an input that is present but malformed raises
    :class:`DataImportError` before anything is written.
    """
    if not source.is_dir():
        raise DataImportError(
            f"{source}: data source folder not found. Pass --source DIR, or download candles "
            "with `freqtrade download-data`."
        )
    frames: dict[Path, pd.DataFrame] = {}

    for stem, pair in KRAKEN_PAIRS.items():
        csv = source / "kraken" / "raw" / f"{stem}_60.csv"
        if not csv.is_file():
            logger.info("No Kraken file %s; skipped.", csv)
            continue
        hourly = read_kraken_ohlcvt(csv)
        frames[datadir / "kraken" / pair_filename(pair, "1h")] = hourly
        for timeframe in RESAMPLED_TIMEFRAMES:
            frames[datadir / "kraken" / pair_filename(pair, timeframe)] = resample_complete(
                hourly, timeframe
            )

    for sub in ("binance", "binance/futures"):
        for path in sorted((source / sub).glob("*.feather")):
            candles = _read_candle_feather(path)
            frames[datadir / sub / path.name] = candles
            # FreqAI's informative timeframes need 4h/1d price candles (not mark/funding).
            if "-1h" in path.name and path.name.endswith(("-1h.feather", "-1h-futures.feather")):
                for timeframe in RESAMPLED_TIMEFRAMES:
                    name = path.name.replace("-1h", f"-{timeframe}", 1)
                    frames[datadir / sub / name] = resample_complete(candles, timeframe)

    for series in EXTERNAL_SERIES:
        path = source / series.source
        if not path.is_file():
            logger.info("No %s file %s; skipped.", series.name, path)
            continue
        frames[external_path(datadir, series.name)] = check_series(
            path, series.reader(path), series.daily
        )

    if not frames:
        raise DataImportError(
            f"{source}: no known input files found (expected kraken/raw/*.csv, binance/*.feather, "
            "onchain/, sentiment/ or news/ as in ../shared/data/README.md)."
        )

    report = ImportReport()
    for target, frame in sorted(frames.items()):
        _write_feather_atomic(frame, target)
        report.add(target, len(frame), _span(frame))
    return report
